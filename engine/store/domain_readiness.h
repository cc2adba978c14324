// The last readiness check of each author domain (`tayori domain check`,
// the daemon's periodic re-check; docs/readiness.md): what `domain list`,
// `domain show`, `/metrics` and `campaign schedule` read, and the claim that
// keeps two engines from checking one domain at once.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "store/connection.h"

namespace tayori::store {

// One check run's result, as the caller rendered it.
struct DomainReadinessRecord {
  uint64_t sender_domain_id = 0;
  std::string state;                          // pass | warn | fail (the worst check)
  std::string domain_state, platform_state;   // the same over the domain's / the platform's checks
  std::vector<std::string> mandatory_failed;  // failing check ids named by readiness.mandatory
  std::string reason;                         // the first of them in words; "" when none
  std::string report_en, report_ja;           // `domain check --json` output
  std::vector<std::pair<std::string, std::string>> check_states;  // check id → its worst state
  std::string checked_by;                     // instance name, or "cli"
  // When the daemon should check the domain again, in seconds from now.
  int next_check_in_s = 0;
};

// Replaces the domain's row and its check states, in one transaction.
Status SaveDomainReadiness(Connection& db, const DomainReadinessRecord& record);

struct DomainReadinessRow {
  uint64_t sender_domain_id = 0;
  std::string domain;
  std::string state = "unknown";     // unknown | pass | warn | fail
  std::string domain_state = "unknown", platform_state = "unknown";
  std::string mandatory_failed;      // comma-separated
  std::string reason;
  std::string report_en, report_ja;  // empty unless asked for
  std::string checked_at;            // UTC "YYYY-MM-DD HH:MM:SS"; empty: never
  std::string checked_by;
  std::string next_check_at;
};

// Every domain's row (reports left out), keyed by sender domain id; a domain
// never checked has none.
Result<std::map<uint64_t, DomainReadinessRow>> AllDomainReadiness(Connection& db);
// One domain's row with its reports; nullopt when never checked.
Result<std::optional<DomainReadinessRow>> FindDomainReadiness(Connection& db, uint64_t sender_domain_id);

// The sender domain whose check is most overdue (never checked first), its
// next_check_at moved `claim_s` ahead so no other engine takes it; nullopt
// when none is due. A claim not followed by SaveDomainReadiness (a crash)
// runs out after claim_s.
Result<std::optional<uint64_t>> ClaimDueDomainCheck(Connection& db, int claim_s);

// How many domains are in each state, per check id (for /metrics), and
// overall under the check id "" (never-checked domains as "unknown").
struct ReadinessCount {
  std::string check_id;
  std::string state;
  uint64_t domains = 0;
};
Result<std::vector<ReadinessCount>> CountDomainReadiness(Connection& db);

// Pauses the domain's scheduled and sending campaigns with `reason`, an
// alert event for each, in one transaction. Returns how many were paused.
Result<int> PauseCampaignsOfDomain(Connection& db, uint64_t sender_domain_id, const std::string& reason,
                                   const std::string& actor);

}  // namespace tayori::store
