// Campaign queries of the engine: claiming due campaigns, expanding their
// recipients into deliveries, and moving their states. Every function runs on
// a DbWorker thread and is safe to run again after a transient failure.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "scheduler/states.h"
#include "store/connection.h"

namespace tayori::store {

// Everything the engine needs to render and sign a campaign's messages.
struct CampaignRow {
  uint64_t id = 0;
  uint64_t tenant_id = 0;
  uint64_t list_id = 0;
  uint64_t sender_domain_id = 0;
  scheduler::CampaignState state = scheduler::CampaignState::kDraft;
  std::string tenant_slug, tenant_name, sender_id;
  std::string list_slug, list_name;
  std::string domain;  // the author domain
  scheduler::DomainState domain_state = scheduler::DomainState::kPending;
  std::string domain_state_reason;
  std::string from_address, from_name, reply_to;
  std::string subject_template, text_template, html_template, mail_type;
  std::string shop_fields_json, campaign_fields_json;  // JSON objects, "" when none
  bool expanded = false;
};

// Moves up to `limit` due campaigns (scheduled, scheduled_at <= now) to
// `sending` and claims their expansion for `instance` until now + lease_s.
// A due campaign whose list or domain belongs to another shop is moved to
// `paused` with the reason instead, and is not returned.
// Uses SELECT … FOR UPDATE SKIP LOCKED so instances never block each other.
Result<std::vector<uint64_t>> ClaimDueCampaigns(Connection& db, const std::string& instance, int lease_s, int limit);

// Campaigns in `sending` that still need expanding and whose claim is free,
// expired or ours; claims them (takes over a dead instance's expansion).
Result<std::vector<uint64_t>> ClaimUnexpandedCampaigns(Connection& db, const std::string& instance, int lease_s,
                                                       int limit);

// Loads a campaign with its shop, list and author domain. The list and the
// domain must belong to the campaign's shop: a row the web app wrote pointing
// at another shop's list would mail that shop's subscribers under that shop's
// key, so it is refused (kPermanent, with the reason; see OwnershipProblems).
Result<CampaignRow> LoadCampaign(Connection& db, uint64_t campaign_id);
// LoadCampaign for several campaigns in one statement (two when one is
// missing or refused): each id's row or its own error.
Result<std::map<uint64_t, Result<CampaignRow>>> LoadCampaigns(Connection& db, const std::vector<uint64_t>& campaign_ids);

struct ExpandResult {
  int inserted = 0;    // new deliveries (queued or suppressed)
  int suppressed = 0;  // of which suppressed at expansion
  bool done = false;   // the whole list is expanded
  // Expansion must not go on: the campaign is no longer 'sending' (paused,
  // cancelled), another instance holds the claim, or the campaign was found
  // pointing at another shop's list or domain (then it is paused here).
  bool stopped = false;
  std::string stop_reason;
};

// Expands the next `chunk` list members after the campaign's cursor into
// deliveries (INSERT IGNORE: idempotent), members suppressed for the shop or
// the list becoming `suppressed` deliveries, and advances the cursor in the
// same transaction. Only the instance holding the claim may expand.
Result<ExpandResult> ExpandChunk(Connection& db, uint64_t campaign_id, const std::string& instance, int lease_s,
                                 int chunk);

// ExpandChunk for several campaigns in one transaction of a few statements
// whatever their number (ten thousand small campaigns would otherwise be ten
// thousand transactions). The chunks together stay within `chunk` members:
// the first campaign always gets its chunk, the others go while they fit,
// and those left out are absent from the result (ask again). Ownership is
// checked for all at once. Keep the list short (the statements hold a part
// per campaign): the engine asks for kExpansionBatch at most.
Result<std::map<uint64_t, ExpandResult>> ExpandCampaigns(Connection& db, const std::vector<uint64_t>& campaign_ids,
                                                         const std::string& instance, int lease_s, int chunk);

// "" for each campaign whose list and sender domain belong to its shop, else
// the reason, e.g. "list 7 belongs to shop 2, not to the campaign's shop 1";
// campaigns that do not exist are absent.
Result<std::map<uint64_t, std::string>> OwnershipProblems(Connection& db, const std::vector<uint64_t>& campaign_ids);

// Ids of every campaign in 'sending', and whether any campaign is due
// ('scheduled' with scheduled_at <= now) — what the engine polls for.
struct SendingSet {
  std::vector<uint64_t> sending;
  bool any_due = false;
};
Result<SendingSet> SendingCampaigns(Connection& db);

// A campaign's state as the poll reads it, with the reason it was moved.
struct CampaignStateRow {
  uint64_t id = 0;
  scheduler::CampaignState state = scheduler::CampaignState::kDraft;
  std::string reason;
};
// Current states of the given campaigns (to notice pause/cancel quickly).
Result<std::vector<CampaignStateRow>> CampaignStates(Connection& db, const std::vector<uint64_t>& ids);

// Campaigns in `sending`, expanded, with no delivery left to send → `sent`.
// Returns the ids that finished.
Result<std::vector<uint64_t>> FinishCompletedCampaigns(Connection& db, const std::vector<uint64_t>& ids);

// Moves a campaign from one of `from` states to `to` with a reason, and
// records an event. Returns false when the campaign was not in a `from` state.
Result<bool> MoveCampaign(Connection& db, uint64_t campaign_id, const std::vector<scheduler::CampaignState>& from,
                          scheduler::CampaignState to, const std::string& reason, const std::string& actor);

// A version of what each author domain signs with: its active keys and its
// state, as text that changes whenever a rotation step (by any instance or
// the CLI) switches the signing key or the domain is paused. The engine
// compares it at every housekeeping poll and re-prepares a campaign whose version changed,
// so a key switch reaches campaigns already sending.
Result<std::map<uint64_t, std::string>> SigningKeyVersions(Connection& db, const std::vector<uint64_t>& domain_ids);

// "x, y" → "'x','y'" for IN lists of known-safe identifiers.
std::string IdList(const std::vector<uint64_t>& ids);

}  // namespace tayori::store
