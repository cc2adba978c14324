// Adaptive shaping of one destination group (gmail, yahoo-jp, …, or the
// default); docs/engine.md "Throttling" describes the policy:
//   * 421 4.7.28 / 450 4.2.1 ("unusual rate"): stop the destination for a
//     pause that starts at throttle_initial_pause and doubles while the
//     throttling continues (another throttle within 4 × the last pause after
//     it ended) up to throttle_pause; halve its rate; then resume on ONE
//     connection and ramp up one connection at a time as messages succeed.
//     After a quiet 4 × the last pause the next throttle starts short again;
//   * a burst of other transient replies halves the destination's rate;
//   * a halved rate recovers gradually (additive increase, multiplicative
//     decrease): +recovery_step of the configured rate per recovery_interval.
// Pure: every call takes the current steady time. Not thread-safe; the owner
// (the loop thread) serialises calls.
#pragma once

#include <algorithm>
#include <deque>
#include <string>

#include "ratelimit/token_bucket.h"

namespace tayori::ratelimit {

struct DestinationLimits {
  double per_second = 20;
  double burst = 40;
  int max_connections = 4;
  Duration throttle_initial_pause = std::chrono::seconds(30);
  Duration throttle_pause = std::chrono::minutes(10);  // the longest pause
  // Transient replies within `transient_window` that count as a burst.
  int transient_burst = 5;
  Duration transient_window = std::chrono::seconds(60);
  // Rate recovery: +recovery_step of the configured rate per recovery_interval.
  double recovery_step = 0.1;
  Duration recovery_interval = std::chrono::seconds(30);
  double min_rate_fraction = 1.0 / 64;
  // Successful messages that earn one more connection while ramping up.
  int ramp_successes_per_connection = 20;
};

// How a relay reply for this destination should move the shaper.
enum class Feedback { kDelivered, kThrottled, kTransient, kPermanent };

class Destination {
 public:
  Destination(std::string name, DestinationLimits limits, SteadyTime now);

  // May one more message start now? Checks the pause, the connection cap and
  // the rate; takes a token and a connection slot only when allowed.
  Decision TryStart(SteadyTime now);
  // A started message finished (always call once per allowed TryStart).
  void Finish(Feedback feedback, SteadyTime now);
  // A started message was abandoned before submission (e.g. another limit said
  // no): returns its token and slot.
  void Abandon();
  // New limits for the same destination (this instance's share changed):
  // a rate cut by throttling stays cut in proportion, a connection cap
  // still ramping up stays where it is unless the new maximum is lower.
  void SetLimits(const DestinationLimits& limits, SteadyTime now);
  const DestinationLimits& limits() const { return limits_; }

  const std::string& name() const { return name_; }
  bool paused(SteadyTime now) const { return now < paused_until_; }
  SteadyTime paused_until() const { return paused_until_; }
  // Throttles in a row (each within kQuietPauses × the last pause after it
  // ended): the next pause is initial × 2^strikes, capped.
  int throttle_strikes() const { return throttle_strikes_; }
  static constexpr int kQuietPauses = 4;
  int connection_cap() const { return connection_cap_; }
  // Slots a message could start in now (not counting the rate or a pause).
  int free_slots() const { return std::max(0, connection_cap_ - in_flight_); }
  int in_flight() const { return in_flight_; }
  double current_rate() const { return bucket_.rate(); }
  // Nothing in flight, not paused, and untouched since `since`: forgetting
  // it loses nothing but a rate reduction long since recovered.
  bool IdleSince(SteadyTime since, SteadyTime now) const {
    return in_flight_ == 0 && now >= paused_until_ && last_used_ < since;
  }

 private:
  void Recover(SteadyTime now);

  std::string name_;
  DestinationLimits limits_;
  TokenBucket bucket_;
  SteadyTime paused_until_{};
  int connection_cap_;
  int in_flight_ = 0;
  int ramp_successes_ = 0;
  int throttle_strikes_ = 0;
  Duration last_pause_{0};
  std::deque<SteadyTime> recent_transients_;
  SteadyTime last_recovery_;
  SteadyTime last_used_;
};

}  // namespace tayori::ratelimit
