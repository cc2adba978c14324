#include "loop/loop.h"

#include <uv.h>

#include <cstdio>
#include <cstdlib>

#include "loop/impl.h"

namespace tayori::loop {

namespace {

void Die(const char* what, int rc) {
  std::fprintf(stderr, "tayori: fatal: %s: %s\n", what, uv_strerror(rc));
  std::abort();
}

void Drain(uv_async_t* a) {
  auto* impl = static_cast<Loop::Impl*>(a->data);
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(impl->mu);
    batch.swap(impl->queue);
  }
  for (auto& fn : batch) fn();
}

}  // namespace

Loop::Loop() : impl_(std::make_unique<Impl>()) {
  if (int rc = uv_loop_init(&impl_->uv)) Die("uv_loop_init", rc);
  impl_->uv.data = impl_.get();
  if (int rc = uv_async_init(&impl_->uv, &impl_->wake, Drain)) Die("uv_async_init", rc);
  impl_->wake.data = impl_.get();
}

Loop::~Loop() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->queue.clear();
  }
  // Every Timer/FdWatcher/SignalWatcher must be destroyed before the Loop;
  // only our own wake-up handle is left to close.
  uv_close(reinterpret_cast<uv_handle_t*>(&impl_->wake), nullptr);
  uv_run(&impl_->uv, UV_RUN_DEFAULT);
  if (int rc = uv_loop_close(&impl_->uv)) Die("uv_loop_close (a handle is still open)", rc);
}

void Loop::Run() { uv_run(&impl_->uv, UV_RUN_DEFAULT); }

void Loop::Stop() { uv_stop(&impl_->uv); }

void Loop::Post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->queue.push_back(std::move(fn));
  }
  uv_async_send(&impl_->wake);
}

std::chrono::steady_clock::time_point Loop::Now() const {
  // uv_now is milliseconds from an arbitrary origin; steady_clock is the same
  // monotonic source on Linux, so use it directly for full resolution.
  return std::chrono::steady_clock::now();
}

// --- Timer -----------------------------------------------------------------

struct Timer::Handle {
  uv_timer_t uv;
  std::function<void()> fn;
};

Timer::Timer(Loop& loop) : h_(new Handle) {
  uv_timer_init(&loop.impl()->uv, &h_->uv);
  h_->uv.data = h_;
}

Timer::~Timer() {
  h_->fn = nullptr;
  uv_timer_stop(&h_->uv);
  uv_close(reinterpret_cast<uv_handle_t*>(&h_->uv),
           [](uv_handle_t* h) { delete static_cast<Handle*>(h->data); });
}

void Timer::Start(std::chrono::milliseconds delay, std::function<void()> fn, std::chrono::milliseconds repeat) {
  h_->fn = std::move(fn);
  uv_timer_start(
      &h_->uv,
      [](uv_timer_t* t) {
        auto* h = static_cast<Handle*>(t->data);
        // Copy: the callback may restart or destroy this timer.
        auto fn = h->fn;
        if (fn) fn();
      },
      static_cast<uint64_t>(delay.count() < 0 ? 0 : delay.count()), static_cast<uint64_t>(repeat.count()));
}

void Timer::Stop() { uv_timer_stop(&h_->uv); }

bool Timer::active() const { return uv_is_active(reinterpret_cast<const uv_handle_t*>(&h_->uv)) != 0; }

// --- FdWatcher -----------------------------------------------------------------

struct FdWatcher::Handle {
  uv_poll_t uv;
  Callback cb;
};

FdWatcher::FdWatcher(Loop& loop, int fd) : h_(new Handle) {
  if (int rc = uv_poll_init_socket(&loop.impl()->uv, &h_->uv, fd)) Die("uv_poll_init_socket", rc);
  h_->uv.data = h_;
}

FdWatcher::~FdWatcher() {
  h_->cb = nullptr;
  uv_poll_stop(&h_->uv);
  uv_close(reinterpret_cast<uv_handle_t*>(&h_->uv),
           [](uv_handle_t* h) { delete static_cast<Handle*>(h->data); });
}

void FdWatcher::Watch(bool read, bool write, Callback cb) {
  h_->cb = std::move(cb);
  int events = (read ? UV_READABLE : 0) | (write ? UV_WRITABLE : 0);
  uv_poll_start(&h_->uv, events, [](uv_poll_t* p, int status, int ev) {
    auto* h = static_cast<Handle*>(p->data);
    auto cb = h->cb;
    if (cb) cb((ev & UV_READABLE) != 0, (ev & UV_WRITABLE) != 0, status < 0);
  });
}

void FdWatcher::Stop() { uv_poll_stop(&h_->uv); }

// --- SignalWatcher -----------------------------------------------------------

struct SignalWatcher::Handle {
  uv_signal_t uv;
  std::function<void()> fn;
};

SignalWatcher::SignalWatcher(Loop& loop, int signum, std::function<void()> fn) : h_(new Handle) {
  uv_signal_init(&loop.impl()->uv, &h_->uv);
  h_->uv.data = h_;
  h_->fn = std::move(fn);
  uv_signal_start(
      &h_->uv,
      [](uv_signal_t* s, int) {
        auto* h = static_cast<Handle*>(s->data);
        auto fn = h->fn;
        if (fn) fn();
      },
      signum);
  // A pending signal watcher alone must not keep the loop running.
  uv_unref(reinterpret_cast<uv_handle_t*>(&h_->uv));
}

SignalWatcher::~SignalWatcher() {
  h_->fn = nullptr;
  uv_signal_stop(&h_->uv);
  uv_close(reinterpret_cast<uv_handle_t*>(&h_->uv),
           [](uv_handle_t* h) { delete static_cast<Handle*>(h->data); });
}

}  // namespace tayori::loop
