// Read-only listings for operators (`tayori tenant list`, `list list`,
// `campaign list`): shops, their lists and campaigns, with the counts an
// operator looks at first. Bounded: a listing returns at most `limit` rows,
// newest last for campaigns, so a platform with thousands of shops does not
// page the whole table into the CLI by accident.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "scheduler/states.h"
#include "store/connection.h"

namespace tayori::store {

struct TenantListing {
  uint64_t id = 0;
  std::string slug, name, sender_id, created_at;
  uint64_t lists = 0, sender_domains = 0, campaigns = 0;
};
Result<std::vector<TenantListing>> ListTenants(Connection& db, int limit);

struct ListListing {
  uint64_t id = 0;
  std::string tenant_slug, slug, name, created_at;
  uint64_t subscribed = 0, unsubscribed = 0;
};
// tenant_id 0: every shop's lists.
Result<std::vector<ListListing>> ListLists(Connection& db, uint64_t tenant_id, int limit);

struct CampaignListing {
  uint64_t id = 0;
  std::string tenant_slug, list_slug, domain;
  scheduler::CampaignState state = scheduler::CampaignState::kDraft;
  std::string state_reason, scheduled_at, started_at, finished_at;
  uint64_t total = 0, sent = 0, failed = 0, bounced = 0, suppressed = 0, expired = 0, unknown = 0, cancelled = 0;
};
// tenant_id 0: every shop; state nullopt: every state. The `limit` most
// recent campaigns, in id order.
Result<std::vector<CampaignListing>> ListCampaigns(Connection& db, uint64_t tenant_id,
                                                   std::optional<scheduler::CampaignState> state, int limit);

}  // namespace tayori::store
