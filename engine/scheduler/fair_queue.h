// Fairness between shops and campaigns: a two-level round robin. Each Pop()
// serves the next shop (tenant) in turn, and within a shop the next campaign
// in turn, so one shop's million-recipient campaign cannot starve another
// shop's hundred-recipient one: with S busy shops each gets 1/S of the
// messages that the limits let through. Not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <optional>
#include <utility>

namespace tayori::scheduler {

template <typename T>
class FairQueue {
 public:
  void Push(uint64_t tenant_id, uint64_t campaign_id, T item) {
    Tenant& t = tenants_[tenant_id];
    if (t.campaigns.empty()) ring_.push_back(tenant_id);
    auto [it, inserted] = t.campaigns.try_emplace(campaign_id);
    if (inserted) t.order.push_back(campaign_id);
    it->second.push_back(std::move(item));
    ++size_;
  }

  // Next item in round-robin order, or nullopt when empty.
  std::optional<T> Pop() {
    if (ring_.empty()) return std::nullopt;
    uint64_t tenant_id = ring_.front();
    ring_.pop_front();
    Tenant& t = tenants_[tenant_id];
    uint64_t campaign_id = t.order.front();
    t.order.pop_front();
    auto& items = t.campaigns[campaign_id];
    T item = std::move(items.front());
    items.pop_front();
    --size_;
    if (items.empty()) t.campaigns.erase(campaign_id);
    else t.order.push_back(campaign_id);
    if (t.campaigns.empty()) tenants_.erase(tenant_id);
    else ring_.push_back(tenant_id);
    return item;
  }

  // Removes every queued item of a campaign (cancel/pause); returns them.
  std::deque<T> RemoveCampaign(uint64_t tenant_id, uint64_t campaign_id) {
    std::deque<T> out;
    auto t = tenants_.find(tenant_id);
    if (t == tenants_.end()) return out;
    auto c = t->second.campaigns.find(campaign_id);
    if (c == t->second.campaigns.end()) return out;
    out = std::move(c->second);
    size_ -= out.size();
    t->second.campaigns.erase(c);
    std::erase(t->second.order, campaign_id);
    if (t->second.campaigns.empty()) {
      tenants_.erase(t);
      std::erase(ring_, tenant_id);
    }
    return out;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  struct Tenant {
    std::map<uint64_t, std::deque<T>> campaigns;
    std::deque<uint64_t> order;  // campaigns in turn
  };
  std::map<uint64_t, Tenant> tenants_;
  std::deque<uint64_t> ring_;  // tenants in turn
  size_t size_ = 0;
};

}  // namespace tayori::scheduler
