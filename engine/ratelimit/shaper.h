// Module ratelimit/: token buckets and adaptive per-destination shaping (throttling, rate
// recovery, connection caps); pure, time passed in. May include: base/, config/ (its links in
// CMakeLists.txt, and what they link publicly; scripts/check-layering checks both).
//
// The engine's outbound traffic shaping: a global token bucket in front of
// per-destination-group shapers (Destination). A message is reserved here
// BEFORE it is rendered and signed, so a throttled message costs no signature.
//
// Destination domains listed in a configured group share that group's limits
// (gmail.com + googlemail.com …); every other domain is shaped on its own with
// the default limits. Not thread-safe: owned by the loop thread.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "config/config.h"
#include "ratelimit/destination.h"

namespace tayori::ratelimit {

class Shaper {
 public:
  Shaper(const config::RateLimits& limits, SteadyTime now);

  // The shaping key of a recipient domain (A-label, lower case): its group
  // name, or the domain itself when it is in no group.
  std::string KeyOf(std::string_view dest_domain) const;

  // Takes one global token and one destination slot, or neither. On refusal
  // says how long until it could succeed (the larger of the two waits).
  Decision TryReserve(const std::string& key, SteadyTime now);
  // Reports the outcome of a reserved message (exactly once per reservation).
  void Finish(const std::string& key, Feedback feedback, SteadyTime now);
  // When the global bucket could give a token (nothing taken): lets the
  // dispatcher wait for the global budget without pulling work out of the
  // fair queue.
  Decision PeekGlobal(SteadyTime now) { return global_.Peek(now); }
  // Returns a reservation that was not used.
  void Abandon(const std::string& key);
  // How many messages waiting for a slot of `key` (Decision::until_slot_frees)
  // could try again now: call after Finish/Abandon.
  int FreeSlots(const std::string& key) const;

  // This instance's share of the global budget when several engines share a
  // database (the engine divides rate and burst by the live instances).
  void SetGlobalShare(double per_second, double burst, SteadyTime now) {
    global_.SetRate(per_second, now);
    global_.SetBurst(burst, now);
  }
  // This instance's share of every destination's limits when `instances`
  // engines share a database and this one is number `rank` (0-based) of
  // them by name: rate and burst divided by `instances`; of max_connections
  // each gets floor(max / instances), the first max % instances one more,
  // and never less than one (docs/engine.md "Several instances").
  void SetInstanceShare(int instances, int rank, SteadyTime now);
  static DestinationLimits ShareOf(DestinationLimits limits, int instances, int rank);

  // New configured limits (a reload): the default and group limits, which
  // domains form which group, applied at once to every destination known
  // (this instance's share of them). The global rate is the caller's to
  // set (SetGlobalShare), as it depends on the live instances. A domain
  // moved into or out of a group starts with the new key's limits; messages
  // reserved under its old key finish there.
  void Reconfigure(const config::RateLimits& limits, SteadyTime now);

  // Forgets destinations idle (nothing in flight, not paused, untouched)
  // for `idle`: a daemon running for months sees every recipient domain on
  // the Internet once, and would otherwise keep one entry for each. A
  // destination seen again starts fresh at its configured limits. Returns
  // how many were forgotten.
  size_t ForgetIdle(Duration idle, SteadyTime now);
  size_t size() const { return destinations_.size(); }

  // For metrics and tests.
  const Destination* Find(const std::string& key) const;
  bool Paused(const std::string& key, SteadyTime now) const;

 private:
  Destination& Get(const std::string& key, SteadyTime now);
  void ReadGroups(const config::RateLimits& limits);
  DestinationLimits ConfiguredFor(const std::string& key) const;

  TokenBucket global_;
  int instances_ = 1, rank_ = 0;
  DestinationLimits default_limits_;
  std::map<std::string, DestinationLimits> group_limits_;      // group name → limits
  std::unordered_map<std::string, std::string> group_of_domain_;
  std::unordered_map<std::string, std::unique_ptr<Destination>> destinations_;
};

}  // namespace tayori::ratelimit
