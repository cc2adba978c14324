#include "scheduler/lease_book.h"

#include <algorithm>

namespace tayori::scheduler {

void LeaseBook::Hold(uint64_t delivery_id, SteadyTime asked, SteadyTime now) { held_[delivery_id] = Held{asked, now}; }

void LeaseBook::Drop(uint64_t delivery_id) { held_.erase(delivery_id); }

std::vector<uint64_t> LeaseBook::DueForRenewal(SteadyTime now, int lease_s) {
  auto due = std::chrono::seconds(std::max(1, lease_s / 3));
  std::vector<uint64_t> ids;
  for (auto& [id, h] : held_) {
    if (now - h.renewed_at < due) continue;
    ids.push_back(id);
    h.renewed_at = now;
  }
  return ids;
}

void LeaseBook::RenewalFailed(const std::vector<uint64_t>& delivery_ids) {
  for (uint64_t id : delivery_ids)
    if (auto it = held_.find(id); it != held_.end()) it->second.renewed_at = SteadyTime{};
}

void LeaseBook::RenewedAll(SteadyTime at) {
  for (auto& [id, h] : held_) h.renewed_at = at;
}

std::optional<SteadyTime> LeaseBook::OldestAsked() const {
  std::optional<SteadyTime> oldest;
  for (const auto& [id, h] : held_)
    if (!oldest || h.asked < *oldest) oldest = h.asked;
  return oldest;
}

std::vector<uint64_t> LeaseBook::Ids() const {
  std::vector<uint64_t> ids;
  ids.reserve(held_.size());
  for (const auto& [id, h] : held_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace tayori::scheduler
