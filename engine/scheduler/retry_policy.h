// What happens to a delivery after an attempt: the pure decision from the
// relay's classified answer, the attempt count and the delivery's age to its
// next state and time. Exponential backoff with jitter up to a maximum age,
// then expired (docs/engine.md, [retry] in config/tayori.example.toml).
#pragma once

#include <chrono>
#include <cstdint>

#include "base/clock.h"
#include "config/config.h"
#include "scheduler/states.h"

namespace tayori::scheduler {

struct NextStep {
  DeliveryState state;
  SysTime next_attempt_at;  // meaningful when state == kDeferred
};

class RetryPolicy {
 public:
  explicit RetryPolicy(const config::Retry& retry) : retry_(retry) {}

  // `attempts` counts the attempt just made (1 after the first). `first_queued`
  // is when the delivery was created; `unit_random` in [0,1) drives the jitter
  // (injected so tests are deterministic).
  NextStep AfterTransient(int attempts, SysTime now, SysTime first_queued, double unit_random) const;
  // The pause of a whole destination or sender domain is not the message's
  // fault: it is retried at `resume_at` without counting towards expiry sooner.
  NextStep Deferred(SysTime resume_at) const { return {DeliveryState::kDeferred, resume_at}; }

  std::chrono::seconds Backoff(int attempts) const;

 private:
  config::Retry retry_;
};

}  // namespace tayori::scheduler
