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
// Each shop's rates over the last `window_days`, in the order asked (an id
// asked twice is answered twice; an unknown one with zeros). Two statements
// per 1,000 shops, for the campaigns and the feedback events: an engine
// sending for 10,000 shops checks them all every 30 s.
Result<std::vector<ShopRates>> GetShopsRates(Connection& db, const std::vector<uint64_t>& tenant_ids,
                                             int window_days);
// The same per sender (author) domain: tenant_id holds the domain's shop
// (0 when no campaign of it started in the window).
Result<std::vector<ShopRates>> GetDomainsRates(Connection& db, const std::vector<uint64_t>& sender_domain_ids,
                                               int window_days);

struct GuardLimits {
  double max_complaint_rate = 0.003;
  double max_hard_bounce_rate = 0.05;
  uint64_t min_volume = 1000;
};

// Why a shop's rates over one window break a limit ("" when they do not, or
// the window has fewer than min_volume messages delivered).
std::string GuardBreach(const ShopRates& rates, const GuardLimits& limits);

// Checks each shop's 1-day and 7-day rates, read for all the shops together;
// a shop over a limit in either window has its scheduled and sending
// campaigns paused with the reason and an alert event (all the pauses in one
// transaction, so a retried job finds none half done). Returns the shops over a limit, in the order given, each with
// the reason and how many campaigns were paused (0 when none was left to
// pause); the shops not returned are within limits.
struct GuardVerdict {
  std::string reason;
  int paused = 0;
};
struct ShopVerdict {
  uint64_t tenant_id = 0;
  GuardVerdict verdict;
};
Result<std::vector<ShopVerdict>> EnforceFeedbackGuards(Connection& db, const std::vector<uint64_t>& tenant_ids,
                                                       const GuardLimits& limits, const std::string& actor);

}  // namespace tayori::store
