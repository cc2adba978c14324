// Feedback rates per shop, and the guard that pauses a shop's sending when a
// rate goes over its limit (docs/feedback.md). Read from the campaigns'
// counters and feedback_events, so the rates are cheap to compute on every
// inbound message and on every engine housekeeping round.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/connection.h"

namespace tayori::store {

// One shop over one window (campaigns started within it).
struct ShopRates {
  uint64_t tenant_id = 0;
  int window_days = 0;
  uint64_t sent = 0;           // deliveries 'sent' now
  uint64_t async_bounced = 0;  // accepted by a relay, bounced later by a report (counted in hard_bounces)
  uint64_t hard_bounces = 0;   // at the relay or reported later ('bounced')
  uint64_t complaints = 0;
  // Accepted by a relay: the complaint rate's denominator.
  uint64_t delivered() const { return sent + async_bounced; }
  double complaint_rate() const {
    return delivered() ? static_cast<double>(complaints) / static_cast<double>(delivered()) : 0;
  }
  // Hard bounces per message with an outcome of sent or bounced.
  double hard_bounce_rate() const {
    uint64_t attempted = sent + hard_bounces;
    return attempted ? static_cast<double>(hard_bounces) / static_cast<double>(attempted) : 0;
  }
};
Result<ShopRates> GetShopRates(Connection& db, uint64_t tenant_id, int window_days);
// The same for one sender (author) domain: tenant_id holds the domain's shop.
Result<ShopRates> GetDomainRates(Connection& db, uint64_t sender_domain_id, int window_days);

struct GuardLimits {
  double max_complaint_rate = 0.003;
  double max_hard_bounce_rate = 0.05;
  uint64_t min_volume = 1000;
};

// Checks the shop's 1-day and 7-day rates; over a limit (with at least
// min_volume messages sent in that window) its scheduled and sending
// campaigns are paused with the reason and an alert event. Returns the
// reason ("" when within limits) and how many campaigns it paused.
struct GuardVerdict {
  std::string reason;
  int paused = 0;
};
Result<GuardVerdict> EnforceFeedbackGuards(Connection& db, uint64_t tenant_id, const GuardLimits& limits,
                                           const std::string& actor);

// Shops that have a campaign scheduled or sending (the engine checks these).
Result<std::vector<uint64_t>> ShopsSending(Connection& db);

}  // namespace tayori::store
