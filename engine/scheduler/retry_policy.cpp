#include "scheduler/retry_policy.h"

#include <algorithm>
#include <cmath>

namespace tayori::scheduler {

std::chrono::seconds RetryPolicy::Backoff(int attempts) const {
  // initial * 2^(attempts-1), capped; computed in double to avoid overflow.
  double s = retry_.initial_backoff_s * std::pow(2.0, std::max(0, attempts - 1));
  return std::chrono::seconds(static_cast<int64_t>(std::min<double>(s, retry_.max_backoff_s)));
}

NextStep RetryPolicy::AfterTransient(int attempts, SysTime now, SysTime first_queued, double unit_random) const {
  auto base = std::chrono::duration<double>(Backoff(attempts));
  // Jitter spreads retries of a large batch so they do not return as one burst.
  double factor = 1.0 + retry_.jitter * (2.0 * unit_random - 1.0);
  auto delay = std::chrono::duration_cast<std::chrono::system_clock::duration>(base * factor);
  SysTime next = now + delay;
  if (next - first_queued > std::chrono::seconds(retry_.max_age_s)) return {DeliveryState::kExpired, now};
  return {DeliveryState::kDeferred, next};
}

}  // namespace tayori::scheduler
