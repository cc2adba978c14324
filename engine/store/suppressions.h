// Suppression queries. Suppressions are per shop (tenant); list_id 0 means the
// whole shop, otherwise one list.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/connection.h"

namespace tayori::store {

struct SuppressionRow {
  uint64_t id = 0;
  uint64_t tenant_id = 0;
  std::string email;
  uint64_t list_id = 0;  // 0: the whole shop
  std::string reason, source, created_at;
  uint64_t campaign_id = 0;
};

// Suppressions with id > after_id, oldest first: the engine polls this so a
// suppression written by anyone (web app, unsubscribe endpoint, another
// instance) stops the next message to that address within a poll interval.
Result<std::vector<SuppressionRow>> SuppressionsSince(Connection& db, uint64_t after_id, int limit);
Result<uint64_t> MaxSuppressionId(Connection& db);

// Adds (idempotently) and records an audit event. Returns true when new.
Result<bool> AddSuppression(Connection& db, const SuppressionRow& row, const std::string& actor);
Result<bool> RemoveSuppression(Connection& db, uint64_t tenant_id, const std::string& email, uint64_t list_id,
                               const std::string& actor);
Result<std::vector<SuppressionRow>> ListSuppressions(Connection& db, uint64_t tenant_id, int limit);

// What a one-click unsubscribe token names, read within the token's shop: the
// shop's name, the subscriber's address (only if that subscriber belongs to
// the shop) and the list's name (only if the list belongs to the shop).
// nullopt members: not found in that shop.
struct UnsubscribeTarget {
  bool shop_found = false;
  std::string shop_name;
  std::optional<std::string> email;
  std::optional<std::string> list_name;
};
Result<UnsubscribeTarget> FindUnsubscribeTarget(Connection& db, uint64_t tenant_id, uint64_t subscriber_id,
                                                uint64_t list_id);

// An import batch in one transaction: the new rows (reason 'import', the
// given source) and one audit event per new row, the same event
// AddSuppression writes. `list_id` 0: the whole shop. Returns how many rows
// were new (already suppressed addresses are left as they are).
Result<uint64_t> ImportSuppressions(Connection& db, uint64_t tenant_id, uint64_t list_id,
                                    const std::vector<std::string>& emails, const std::string& source);

}  // namespace tayori::store
