#include "ratelimit/token_bucket.h"

#include <algorithm>
#include <cmath>

namespace tayori::ratelimit {

TokenBucket::TokenBucket(double rate_per_second, double burst, SteadyTime now)
    : rate_(rate_per_second), burst_(burst), tokens_(burst), last_(now) {}

void TokenBucket::Refill(SteadyTime now) {
  if (now <= last_) return;  // time never runs backwards for a bucket
  double elapsed = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
  last_ = now;
}

double TokenBucket::tokens(SteadyTime now) {
  Refill(now);
  return tokens_;
}

Decision TokenBucket::Peek(SteadyTime now, double n) {
  Refill(now);
  if (tokens_ >= n) return Decision::Allow();
  if (n > burst_) n = burst_;  // a request larger than the bucket waits for a full bucket
  double seconds = (n - tokens_) / rate_;
  // Round up to whole nanoseconds so a caller that waits exactly this long succeeds.
  return Decision::Wait(Duration(static_cast<int64_t>(std::ceil(seconds * 1e9))));
}

Decision TokenBucket::TryTake(SteadyTime now, double n) {
  Decision d = Peek(now, n);
  if (d.allowed) tokens_ -= n;
  return d;
}

void TokenBucket::Refund(double n) { tokens_ = std::min(burst_, tokens_ + n); }

void TokenBucket::SetRate(double rate_per_second, SteadyTime now) {
  Refill(now);
  rate_ = rate_per_second;
}

void TokenBucket::SetBurst(double burst, SteadyTime now) {
  Refill(now);
  burst_ = std::max(1.0, burst);
  tokens_ = std::min(tokens_, burst_);
}

}  // namespace tayori::ratelimit
