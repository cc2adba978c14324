#include "scheduler/suppression_cache.h"

#include <algorithm>
#include <cctype>

namespace tayori::scheduler {

std::string SuppressionCache::Key(uint64_t tenant_id, uint64_t list_id, std::string_view email) {
  std::string key = std::to_string(tenant_id) + "|" + std::to_string(list_id) + "|";
  key.reserve(key.size() + email.size());
  for (char c : email) key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

void SuppressionCache::Add(uint64_t tenant_id, uint64_t list_id, std::string_view email, SteadyTime visible_at) {
  std::string key = Key(tenant_id, list_id, email);
  auto [it, inserted] = entries_.try_emplace(key, visible_at);
  if (!inserted) {
    // A later sighting keeps it longer; a pending one keeps waiting for its commit.
    if (it->second == SteadyTime::max() || it->second >= visible_at) return;
    it->second = visible_at;
  }
  // Times come in non-decreasing order in practice (polls, commits); keep
  // the deque sorted anyway so ForgetOlderThan can stop at the first young one.
  if (!order_.empty() && order_.back().first > visible_at) {
    auto pos = std::upper_bound(order_.begin(), order_.end(), visible_at,
                                [](SteadyTime t, const auto& e) { return t < e.first; });
    order_.insert(pos, {visible_at, std::move(key)});
  } else {
    order_.emplace_back(visible_at, std::move(key));
  }
}

void SuppressionCache::AddPending(uint64_t tenant_id, std::string_view email) {
  entries_[Key(tenant_id, 0, email)] = SteadyTime::max();
}

void SuppressionCache::Committed(uint64_t tenant_id, std::string_view email, SteadyTime at) {
  auto it = entries_.find(Key(tenant_id, 0, email));
  if (it == entries_.end() || it->second != SteadyTime::max()) return;
  entries_.erase(it);
  Add(tenant_id, 0, email, at);
}

bool SuppressionCache::Contains(uint64_t tenant_id, uint64_t list_id, std::string_view email) const {
  if (entries_.empty()) return false;
  return entries_.contains(Key(tenant_id, 0, email)) || (list_id && entries_.contains(Key(tenant_id, list_id, email)));
}

size_t SuppressionCache::ForgetOlderThan(SteadyTime oldest_lease) {
  size_t n = 0;
  while (!order_.empty() && order_.front().first < oldest_lease) {
    auto it = entries_.find(order_.front().second);
    // Only if this is still the entry's time (not seen again later, not pending).
    if (it != entries_.end() && it->second == order_.front().first) {
      entries_.erase(it);
      ++n;
    }
    order_.pop_front();
  }
  return n;
}

}  // namespace tayori::scheduler
