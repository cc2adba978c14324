#include "ratelimit/shaper.h"

#include <algorithm>

namespace tayori::ratelimit {
namespace {

DestinationLimits LimitsFrom(double per_second, double burst, int max_connections, const config::RateLimits& r) {
  DestinationLimits l;
  l.per_second = per_second;
  l.burst = burst;
  l.max_connections = max_connections;
  l.throttle_initial_pause = std::chrono::seconds(r.throttle_initial_pause_s);
  l.throttle_pause = std::chrono::seconds(r.throttle_pause_s);
  l.recovery_interval = std::chrono::seconds(r.rate_recovery_interval_s);
  l.recovery_step = r.rate_recovery_step;
  return l;
}

}  // namespace

Shaper::Shaper(const config::RateLimits& limits, SteadyTime now)
    : global_(limits.global_per_second, limits.global_burst, now) {
  ReadGroups(limits);
}

void Shaper::ReadGroups(const config::RateLimits& limits) {
  default_limits_ = LimitsFrom(limits.default_per_second, limits.default_burst, limits.default_max_connections, limits);
  group_limits_.clear();
  group_of_domain_.clear();
  for (const auto& g : limits.groups) {
    group_limits_[g.name] = LimitsFrom(g.per_second, g.burst, g.max_connections, limits);
    for (const auto& d : g.domains) {
      std::string lower = d;
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      group_of_domain_[lower] = g.name;
    }
  }
}

std::string Shaper::KeyOf(std::string_view dest_domain) const {
  auto it = group_of_domain_.find(std::string(dest_domain));
  return it != group_of_domain_.end() ? "group:" + it->second : std::string(dest_domain);
}

Destination& Shaper::Get(const std::string& key, SteadyTime now) {
  auto it = destinations_.find(key);
  if (it != destinations_.end()) return *it->second;
  DestinationLimits limits = ConfiguredFor(key);
  auto [ins, _] = destinations_.emplace(key, std::make_unique<Destination>(key, ShareOf(limits, instances_, rank_),
                                                                          now));
  return *ins->second;
}

DestinationLimits Shaper::ShareOf(DestinationLimits limits, int instances, int rank) {
  if (instances <= 1) return limits;
  limits.per_second /= instances;
  limits.burst = std::max(1.0, limits.burst / instances);
  const int base = limits.max_connections / instances;
  const int extra = rank < limits.max_connections % instances ? 1 : 0;
  limits.max_connections = std::max(1, base + extra);
  return limits;
}

DestinationLimits Shaper::ConfiguredFor(const std::string& key) const {
  if (key.rfind("group:", 0) == 0) {
    auto g = group_limits_.find(key.substr(6));
    if (g != group_limits_.end()) return g->second;
  }
  return default_limits_;
}

void Shaper::Reconfigure(const config::RateLimits& limits, SteadyTime now) {
  ReadGroups(limits);
  for (auto& [key, dest] : destinations_) dest->SetLimits(ShareOf(ConfiguredFor(key), instances_, rank_), now);
}

void Shaper::SetInstanceShare(int instances, int rank, SteadyTime now) {
  instances = std::max(1, instances);
  rank = std::clamp(rank, 0, instances - 1);
  if (instances == instances_ && rank == rank_) return;
  instances_ = instances;
  rank_ = rank;
  for (auto& [key, dest] : destinations_) dest->SetLimits(ShareOf(ConfiguredFor(key), instances_, rank_), now);
}

Decision Shaper::TryReserve(const std::string& key, SteadyTime now) {
  Decision global = global_.Peek(now);
  Destination& dest = Get(key, now);
  if (!global.allowed) {
    // Report the later of the two waits so the caller does not wake early.
    Decision d = dest.paused(now) ? Decision::Wait(dest.paused_until() - now) : global;
    return Decision::Wait(std::max(d.retry_after, global.retry_after));
  }
  Decision d = dest.TryStart(now);
  if (!d.allowed) return d;
  Decision taken = global_.TryTake(now);
  if (!taken.allowed) {  // cannot happen after a successful Peek at the same time
    dest.Abandon();
    return taken;
  }
  return Decision::Allow();
}

void Shaper::Finish(const std::string& key, Feedback feedback, SteadyTime now) {
  Get(key, now).Finish(feedback, now);
}

void Shaper::Abandon(const std::string& key) {
  auto it = destinations_.find(key);
  if (it != destinations_.end()) it->second->Abandon();
  global_.Refund();
}

int Shaper::FreeSlots(const std::string& key) const {
  const Destination* d = Find(key);
  return d ? d->free_slots() : 1;
}

const Destination* Shaper::Find(const std::string& key) const {
  auto it = destinations_.find(key);
  return it == destinations_.end() ? nullptr : it->second.get();
}

size_t Shaper::ForgetIdle(Duration idle, SteadyTime now) {
  size_t n = 0;
  for (auto it = destinations_.begin(); it != destinations_.end();) {
    if (it->second->IdleSince(now - idle, now)) {
      it = destinations_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

bool Shaper::Paused(const std::string& key, SteadyTime now) const {
  const Destination* d = Find(key);
  return d && d->paused(now);
}

}  // namespace tayori::ratelimit
