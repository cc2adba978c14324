// The leases one engine holds, and when each is due for renewal.
//
// A delivery's lease is held from the lease until its outcome is committed
// (an outcome waiting to be written keeps it: the delivery must not be
// taken over and sent again meanwhile). A lease held for a third of its
// term since it was taken or last renewed is renewed, so a throttled
// destination, a long queue or a slow write never lets one lapse, and
// fresh leases cost the database nothing. Pure: time is passed in. Not
// thread-safe: the engine's loop thread owns it.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "base/clock.h"

namespace tayori::scheduler {

class LeaseBook {
 public:
  // A lease taken by a lease request sent at `asked` (suppressions seen
  // before then were already in the database for it), arrived at `now`.
  void Hold(uint64_t delivery_id, SteadyTime asked, SteadyTime now);
  // Its outcome is committed: nothing more to renew.
  void Drop(uint64_t delivery_id);

  // The leases due for renewal at `now` with leases of `lease_s` seconds,
  // marked renewed now (the caller renews them in the database).
  std::vector<uint64_t> DueForRenewal(SteadyTime now, int lease_s);
  // A renewal that may not have happened (the poll carrying it failed):
  // due again at the next one.
  void RenewalFailed(const std::vector<uint64_t>& delivery_ids);
  // Every lease was renewed at `at` (after the database was away, the poll
  // renews everything this instance holds).
  void RenewedAll(SteadyTime at);

  // When the oldest lease still held was asked for (nullopt when none).
  std::optional<SteadyTime> OldestAsked() const;
  // Ids held, ascending.
  std::vector<uint64_t> Ids() const;
  bool Holds(uint64_t delivery_id) const { return held_.contains(delivery_id); }
  size_t size() const { return held_.size(); }

 private:
  struct Held {
    SteadyTime asked;
    SteadyTime renewed_at;
  };
  std::unordered_map<uint64_t, Held> held_;
};

}  // namespace tayori::scheduler
