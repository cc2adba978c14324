// Delivery queries of the engine: leasing due deliveries, renewing and
// releasing leases, taking over a dead instance's leases, and writing
// outcomes back in batched transactions. Runs on a DbWorker thread.
//
// Exactly-once accounting: an outcome is written only while the delivery is
// still leased by this instance (`state = 'leased' AND lease_owner = me`), and
// campaign counters move by the number of rows that changed in the same
// transaction, so a write-back retried after a lost connection changes nothing
// twice.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "scheduler/states.h"
#include "store/connection.h"

namespace tayori::store {

struct LeasedDelivery {
  uint64_t id = 0;
  uint64_t campaign_id = 0;
  uint64_t subscriber_id = 0;
  std::string email;
  std::string dest_domain;
  std::string display_name;
  std::string fields_json;   // subscriber's extra fields ("" when none)
  int attempts = 0;          // attempts made before this lease
  int64_t created_unix = 0;  // when the delivery was queued (expiry clock)
};

// Leases up to `limit` due deliveries (queued or deferred, next_attempt_at <=
// now) of one campaign for `owner`, skipping rows other instances hold.
Result<std::vector<LeasedDelivery>> LeaseDeliveries(Connection& db, uint64_t campaign_id, const std::string& owner,
                                                    int lease_s, int limit);
// The same for several campaigns in one transaction, up to `per_campaign`
// each; the result is in delivery id order.
Result<std::vector<LeasedDelivery>> LeaseDeliveries(Connection& db, const std::vector<uint64_t>& campaign_ids,
                                                    const std::string& owner, int lease_s, int per_campaign);

// Pushes the expiry of the given leases of `owner` (work that has waited a
// while, e.g. on a throttled destination). Only what the engine still holds
// is renewed: a lease it lost track of expires and is taken over.
Status RenewLeases(Connection& db, const std::string& owner, int lease_s, const std::vector<uint64_t>& ids);

// Gives leases back unstarted (drain, pause): state 'queued' again.
// Empty `ids` releases every lease of `owner`.
Result<int> ReleaseLeases(Connection& db, const std::string& owner, const std::vector<uint64_t>& ids);

// Leases whose holder is dead go back to 'queued' — or become 'cancelled'
// when their campaign was cancelled meanwhile. A holder is dead when its
// lease expired AND it has no heartbeat (state other than 'stopped') within
// `alive_window_s` before `my_beat_at` (this instance's own last beat, as
// the database wrote it, which the caller just made): measuring against our
// own beat instead of the server's clock means a statement that sat in a
// frozen server never judges a live holder dead. Never touches `me`'s own
// leases (see ReleaseForgottenLeases). Their message may have been
// submitted before the holder died: that is the documented duplicate bound.
struct TakeOver {
  int requeued = 0;
  int cancelled = 0;
};
Result<TakeOver> TakeOverExpiredLeases(Connection& db, const std::string& me, const std::string& my_beat_at,
                                       int alive_window_s, int limit);

// Gives back every lease of `owner` except the sorted `keep` ids (at
// shutdown: everything but the messages still with a relay).
Result<int> ReleaseLeasesExcept(Connection& db, const std::string& owner, const std::vector<uint64_t>& keep);

// Own leases that expired although this instance is alive are leases it
// lost track of (a lease transaction whose COMMIT reply was lost): those not
// in `held` (sorted ids the instance still holds) go back to 'queued'.
// Call it right after renewing every due lease, so nothing held is expired.
Result<int> ReleaseForgottenLeases(Connection& db, const std::string& me, const std::vector<uint64_t>& held);

// What became of one leased delivery.
struct DeliveryOutcome {
  uint64_t delivery_id = 0;
  uint64_t campaign_id = 0;
  // sent, deferred, failed, bounced, suppressed, expired, unknown, cancelled, or queued (given back unstarted)
  scheduler::DeliveryState state = scheduler::DeliveryState::kQueued;
  int64_t next_attempt_unix = 0;  // for deferred
  bool counts_attempt = true;     // false: never reached a relay (throttled, paused)
  int code = 0;                   // SMTP code (0: none)
  std::string enhanced, reply, message_id, relay, queue_id;
  // Side effects decided by the classification table:
  bool suppress_address = false;  // hard bounce: suppress for the shop
  uint64_t tenant_id = 0;
  std::string email;
  bool pause_sender_domain = false;
  uint64_t sender_domain_id = 0;
};

struct WriteBackResult {
  int written = 0;  // outcomes applied (others had lost their lease)
};

Result<WriteBackResult> WriteOutcomes(Connection& db, const std::string& owner,
                                      const std::vector<DeliveryOutcome>& outcomes);

}  // namespace tayori::store
