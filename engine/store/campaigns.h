// Campaign queries of the engine: claiming due campaigns, expanding their
// recipients into deliveries, and moving their states. Every function runs on
// a DbWorker thread and is safe to run again after a transient failure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "store/connection.h"

namespace tayori::store {

// Everything the engine needs to render and sign a campaign's messages.
struct CampaignRow {
  uint64_t id = 0;
  uint64_t tenant_id = 0;
  uint64_t list_id = 0;
  uint64_t sender_domain_id = 0;
  std::string state;
  std::string tenant_slug, tenant_name, sender_id;
  std::string list_slug, list_name;
  std::string domain, domain_state, domain_state_reason;  // the author domain
  std::string from_address, from_name, reply_to;
  std::string subject_template, text_template, html_template, mail_type;
  std::string shop_fields_json, campaign_fields_json;  // JSON objects, "" when none
  bool expanded = false;
};

// Moves up to `limit` due campaigns (scheduled, scheduled_at <= now) to
// `sending` and claims their expansion for `instance` until now + lease_s.
// Uses SELECT … FOR UPDATE SKIP LOCKED so instances never block each other.
Result<std::vector<uint64_t>> ClaimDueCampaigns(Connection& db, const std::string& instance, int lease_s, int limit);

// Campaigns in `sending` that still need expanding and whose claim is free,
// expired or ours; claims them (takes over a dead instance's expansion).
Result<std::vector<uint64_t>> ClaimUnexpandedCampaigns(Connection& db, const std::string& instance, int lease_s,
                                                       int limit);

Result<CampaignRow> LoadCampaign(Connection& db, uint64_t campaign_id);

struct ExpandResult {
  int inserted = 0;    // new deliveries (queued or suppressed)
  int suppressed = 0;  // of which suppressed at expansion
  bool done = false;   // the whole list is expanded
};

// Expands the next `chunk` list members after the campaign's cursor into
// deliveries (INSERT IGNORE: idempotent), members suppressed for the shop or
// the list becoming `suppressed` deliveries, and advances the cursor in the
// same transaction. Only the instance holding the claim may expand.
Result<ExpandResult> ExpandChunk(Connection& db, uint64_t campaign_id, const std::string& instance, int lease_s,
                                 int chunk);

struct CampaignState {
  uint64_t id;
  std::string state;
  std::string reason;
};
// Current states of the given campaigns (to notice pause/cancel quickly).
Result<std::vector<CampaignState>> CampaignStates(Connection& db, const std::vector<uint64_t>& ids);

// Campaigns in `sending`, expanded, with no delivery left to send → `sent`.
// Returns the ids that finished.
Result<std::vector<uint64_t>> FinishCompletedCampaigns(Connection& db, const std::vector<uint64_t>& ids);

// Moves a campaign from one of `from` states to `to` with a reason, and
// records an event. Returns false when the campaign was not in a `from` state.
Result<bool> MoveCampaign(Connection& db, uint64_t campaign_id, const std::vector<std::string>& from,
                          const std::string& to, const std::string& reason, const std::string& actor);

// "x, y" → "'x','y'" for IN lists of known-safe identifiers.
std::string IdList(const std::vector<uint64_t>& ids);

}  // namespace tayori::store
