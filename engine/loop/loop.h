// Module loop/: the event loop: uv_loop_t and RAII handle wrappers; the only includer of libuv.
// May include: base/ (its links in CMakeLists.txt, and what they link publicly; scripts/check-
// layering checks both).
//
// The event loop: one uv_loop_t per Loop, used from one thread (the loop
// thread). Handles are RAII objects whose memory is freed only in the libuv
// close callback, so destroying a wrapper inside its own callback is safe.
// Only this module includes <uv.h>; other modules watch file descriptors and
// set timers through these wrappers (net/ for libcurl, dns/ for c-ares, the
// HTTP listener for libmicrohttpd). TCP listeners and streams are in
// loop/tcp.h (the inbound SMTP/LMTP listener).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace tayori::loop {

class Loop {
 public:
  Loop();
  // Every handle wrapper must be destroyed first; aborts if a handle is still
  // open (uv_loop_close() != 0), which is a bug in the owner.
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  // Runs until Stop() is called (the cross-thread queue keeps the loop alive).
  void Run();
  // Callable from the loop thread only; Run() returns after the current iteration.
  void Stop();

  // Thread-safe: runs `fn` on the loop thread soon. Wake-ups coalesce; each
  // one drains the whole queue. Functions posted after the loop is destroyed
  // are dropped.
  void Post(std::function<void()> fn);

  // The loop's cached monotonic time (milliseconds resolution, libuv's uv_now).
  std::chrono::steady_clock::time_point Now() const;

  struct Impl;
  Impl* impl() { return impl_.get(); }

 private:
  std::unique_ptr<Impl> impl_;
};

// A one-shot or repeating timer.
class Timer {
 public:
  explicit Timer(Loop& loop);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // (Re)starts: `fn` runs after `delay`, then every `repeat` if non-zero.
  void Start(std::chrono::milliseconds delay, std::function<void()> fn,
             std::chrono::milliseconds repeat = std::chrono::milliseconds(0));
  void Stop();
  bool active() const;

 private:
  struct Handle;
  Handle* h_;
};

// Watches a socket for readability/writability (uv_poll).
class FdWatcher {
 public:
  using Callback = std::function<void(bool readable, bool writable, bool error)>;
  FdWatcher(Loop& loop, int fd);
  ~FdWatcher();
  FdWatcher(const FdWatcher&) = delete;
  FdWatcher& operator=(const FdWatcher&) = delete;

  void Watch(bool read, bool write, Callback cb);
  void Stop();

 private:
  struct Handle;
  Handle* h_;
};

// Runs `fn` on the loop thread when the process receives `signum`.
class SignalWatcher {
 public:
  SignalWatcher(Loop& loop, int signum, std::function<void()> fn);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  struct Handle;
  Handle* h_;
};

}  // namespace tayori::loop
