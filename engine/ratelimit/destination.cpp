#include "ratelimit/destination.h"

#include <algorithm>

#include "base/log.h"

namespace tayori::ratelimit {

Destination::Destination(std::string name, DestinationLimits limits, SteadyTime now)
    : name_(std::move(name)),
      limits_(limits),
      bucket_(limits.per_second, limits.burst, now),
      connection_cap_(limits.max_connections),
      last_recovery_(now),
      last_used_(now) {}

void Destination::Recover(SteadyTime now) {
  // Additive increase after a halving: one step per interval without a burst.
  if (now < last_recovery_) return;  // still within a throttle pause
  while (bucket_.rate() < limits_.per_second && now - last_recovery_ >= limits_.recovery_interval) {
    last_recovery_ += limits_.recovery_interval;
    bucket_.SetRate(std::min(limits_.per_second, bucket_.rate() + limits_.per_second * limits_.recovery_step), now);
  }
  if (bucket_.rate() >= limits_.per_second) last_recovery_ = now;
}

Decision Destination::TryStart(SteadyTime now) {
  last_used_ = now;
  if (now < paused_until_) return Decision::Wait(paused_until_ - now);
  Recover(now);
  // A slot frees when one of this destination's messages finishes: the
  // caller waits for that, not for a time (a fixed retry here capped a
  // destination at ~10 messages/s per connection whatever its rate).
  if (in_flight_ >= connection_cap_) return Decision::WaitForSlot();
  Decision d = bucket_.TryTake(now);
  if (d.allowed) ++in_flight_;
  return d;
}

void Destination::SetLimits(const DestinationLimits& limits, SteadyTime now) {
  const double fraction = limits_.per_second > 0 ? bucket_.rate() / limits_.per_second : 1;
  const bool full_cap = connection_cap_ >= limits_.max_connections;
  limits_ = limits;
  bucket_.SetRate(std::min(1.0, fraction) * limits_.per_second, now);
  bucket_.SetBurst(limits_.burst, now);
  connection_cap_ = full_cap ? limits_.max_connections : std::min(connection_cap_, limits_.max_connections);
}

void Destination::Abandon() {
  if (in_flight_ > 0) --in_flight_;
  bucket_.Refund();
}

void Destination::Finish(Feedback feedback, SteadyTime now) {
  last_used_ = now;
  if (in_flight_ > 0) --in_flight_;
  switch (feedback) {
    case Feedback::kDelivered:
    case Feedback::kPermanent:
      // The receiver is answering normally: earn back connections.
      if (connection_cap_ < limits_.max_connections &&
          ++ramp_successes_ >= limits_.ramp_successes_per_connection) {
        ramp_successes_ = 0;
        ++connection_cap_;
      }
      break;
    case Feedback::kThrottled: {
      // Several messages in flight may all draw the throttle at once: one
      // throttle per pause.
      if (now < paused_until_) break;
      // Throttling has stopped when none came for kQuietPauses × the last
      // pause after it ended: start short again.
      if (throttle_strikes_ > 0 && now - paused_until_ > kQuietPauses * last_pause_) throttle_strikes_ = 0;
      Duration pause = limits_.throttle_initial_pause;
      for (int i = 0; i < throttle_strikes_ && pause < limits_.throttle_pause; ++i) pause *= 2;
      pause = std::min(pause, limits_.throttle_pause);
      ++throttle_strikes_;
      last_pause_ = pause;
      paused_until_ = now + pause;
      connection_cap_ = 1;
      ramp_successes_ = 0;
      recent_transients_.clear();
      double halved = std::max(bucket_.rate() / 2, limits_.per_second * limits_.min_rate_fraction);
      bucket_.SetRate(halved, now);
      // Recovery counts from the end of the pause.
      last_recovery_ = paused_until_;
      log::Warn("ratelimit", "destination throttled by receiver, pausing",
                {{"destination", name_},
                 {"pause_s", std::to_string(std::chrono::duration_cast<std::chrono::seconds>(pause).count())},
                 {"throttles_in_a_row", std::to_string(throttle_strikes_)},
                 {"rate_per_s", std::to_string(halved)}});
      break;
    }
    case Feedback::kTransient: {
      recent_transients_.push_back(now);
      while (!recent_transients_.empty() && now - recent_transients_.front() > limits_.transient_window)
        recent_transients_.pop_front();
      if (static_cast<int>(recent_transients_.size()) >= limits_.transient_burst) {
        recent_transients_.clear();
        double halved = std::max(bucket_.rate() / 2, limits_.per_second * limits_.min_rate_fraction);
        bucket_.SetRate(halved, now);
        last_recovery_ = now;
        log::Warn("ratelimit", "burst of transient replies, halving destination rate",
                  {{"destination", name_}, {"rate_per_s", std::to_string(halved)}});
      }
      break;
    }
  }
}

}  // namespace tayori::ratelimit
