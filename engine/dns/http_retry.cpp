#include "dns/http_retry.h"

#include <algorithm>

#include "base/log.h"

namespace tayori::dns {

struct HttpRetry::Attempt {
  net::HttpRequest request;
  Classifier classify;
  std::function<void(Status)> done;
  int number = 0;
};

HttpRetry::HttpRetry(loop::Loop& loop, net::Transfers& transfers, RetryPolicy policy, std::string what)
    : loop_(loop), transfers_(transfers), policy_(policy), what_(std::move(what)) {}

HttpRetry::~HttpRetry() { *alive_ = false; }

void HttpRetry::Send(net::HttpRequest request, Classifier classify, std::function<void(Status)> done) {
  auto a = std::make_shared<Attempt>();
  a->request = std::move(request);
  a->classify = std::move(classify);
  a->done = std::move(done);
  Try(std::move(a));
}

void HttpRetry::Try(std::shared_ptr<Attempt> a) {
  ++a->number;
  std::weak_ptr<bool> alive = alive_;
  net::HttpRequest req = a->request;
  transfers_.Http(std::move(req), [this, alive, a](net::HttpResult r) {
    if (alive.expired() || !*alive.lock()) return;
    Status st = r.ok ? a->classify(r) : Transient("cannot reach " + what_ + ": " + r.error);
    if (st.ok() || !st.transient() || a->number >= policy_.attempts) {
      if (!st.ok() && st.transient() && a->number > 1)
        st = st.WithContext("gave up after " + std::to_string(a->number) + " attempts");
      auto done = std::move(a->done);
      done(std::move(st));
      return;
    }
    auto delay = policy_.initial_backoff * (1 << std::min(a->number - 1, 16));
    delay = std::min<std::chrono::milliseconds>(delay, policy_.max_backoff);
    log::Warn("dns", what_ + ": transient failure, retrying",
              {{"attempt", std::to_string(a->number)}, {"in_ms", std::to_string(delay.count())},
               {"reason", st.message()}});
    // One timer per waiting retry; it is dropped once it fired.
    timers_.push_back(std::make_unique<loop::Timer>(loop_));
    auto it = std::prev(timers_.end());
    (*it)->Start(delay, [this, alive, a, it] {
      if (alive.expired() || !*alive.lock()) return;
      auto attempt = a;   // destroying a Timer inside its callback is safe (loop.h)
      timers_.erase(it);
      Try(std::move(attempt));
    });
  });
}

}  // namespace tayori::dns
