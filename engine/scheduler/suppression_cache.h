// The engine's memory of suppressions that arrived after its deliveries were
// leased: an unsubscribe or a hard bounce must stop the next message even if
// that delivery was leased (and so checked against the database) earlier.
//
// Bounded by what can still need it: a lease taken after a suppression was
// committed already saw it in the database, so an entry is forgotten once
// every lease the engine holds was taken after the entry became visible
// (ForgetOlderThan with the oldest lease still held). A daemon that runs for
// months and reads millions of suppressions keeps only the recent ones.
// Not thread-safe: owned by the loop thread.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/clock.h"

namespace tayori::scheduler {

class SuppressionCache {
 public:
  // `list_id` 0: the whole shop. Addresses compare case-insensitively.
  // `visible_at`: when any lease taken afterwards sees the suppression in
  // the database (for a row read by a poll: when that poll was submitted).
  void Add(uint64_t tenant_id, uint64_t list_id, std::string_view email, SteadyTime visible_at);
  // A suppression the engine decided itself (a hard bounce) that is not yet
  // committed: kept until Committed() gives it a time.
  void AddPending(uint64_t tenant_id, std::string_view email);
  void Committed(uint64_t tenant_id, std::string_view email, SteadyTime at);

  // Suppressed for the shop, or for this list of it.
  bool Contains(uint64_t tenant_id, uint64_t list_id, std::string_view email) const;

  // Forgets entries visible before `oldest_lease` (the time the oldest lease
  // still held was asked for). Returns how many were forgotten.
  size_t ForgetOlderThan(SteadyTime oldest_lease);
  size_t size() const { return entries_.size(); }

 private:
  static std::string Key(uint64_t tenant_id, uint64_t list_id, std::string_view email);

  std::unordered_map<std::string, SteadyTime> entries_;   // key → visible_at (max: pending)
  std::deque<std::pair<SteadyTime, std::string>> order_;  // by visible_at, oldest first
};

}  // namespace tayori::scheduler
