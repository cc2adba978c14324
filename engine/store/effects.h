// The side effects a delivery's fate can have beyond its own row, shared by
// the outcome write-back (a synchronous relay reply) and inbound feedback (a
// bounce or complaint that came back later): an address suppressed for a
// shop, and a sender domain paused with its campaigns. Both run inside the
// caller's transaction and are idempotent (a second run changes nothing).
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "store/connection.h"

namespace tayori::store {

struct ShopSuppression {
  uint64_t tenant_id = 0;
  std::string email;
  std::string reason;       // suppressions.reason: bounce | complaint
  std::string source;       // e.g. "smtp 5.1.1", "dsn 5.1.1", "arf abuse"
  uint64_t campaign_id = 0;  // 0: none
  std::string detail;       // the audit event's text
  std::string actor;        // engine instance, "inbound"
};
// Suppresses the address for the whole shop (list_id 0) and writes an audit
// event when the row is new. Returns whether it was new.
Result<bool> SuppressForShop(Connection& db, const ShopSuppression& s);

// Pauses the sender domain (with `reason`, an alert event) and every
// scheduled or sending campaign of it. Returns whether the domain was not
// paused before.
Result<bool> PauseSenderDomain(Connection& db, uint64_t sender_domain_id, const std::string& reason,
                               const std::string& actor);

}  // namespace tayori::store
