// The readiness checks (readiness/) applied to the platform's domains: run
// for one author domain with its facts from the database, judged against
// readiness.mandatory, recorded per domain (store/domain_readiness.h). One
// path for `tayori domain check`, `campaign schedule` and the daemon's
// periodic re-check (ReadinessService), so all three say the same words.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "config/config.h"
#include "loop/loop.h"
#include "readiness/domain_check.h"
#include "readiness/lookups.h"
#include "readiness/report.h"
#include "store/connection.h"
#include "store/db_worker.h"

namespace tayori::daemon {

// readiness.mandatory as check ids (names were checked with the config).
std::vector<readiness::CheckId> MandatoryChecks(const config::Config& config);

// What a report means for sending.
struct ReadinessVerdict {
  bool blocked = false;                 // a mandatory check failed
  std::vector<std::string> failed;      // their ids, in report order
  // "domain check dmarc_record failed for shop.example: There is no DMARC
  // record … → Publish …" (English): a paused campaign's reason, the
  // schedule refusal's message.
  std::string reason;
};
ReadinessVerdict JudgeReport(const readiness::Report& report, const std::vector<readiness::CheckId>& mandatory);

// Checks `domain` (a sender domain, A-label) now; blocking (DNS, probes).
Result<readiness::Report> CheckSenderDomain(store::Connection& db, const config::Config& config,
                                            readiness::Lookups& lookups, const std::string& domain,
                                            readiness::CheckScope scope = readiness::CheckScope::kAll);

// Records `report` as the domain's latest result, next due in
// `next_check_in_s` (readiness.interval_s spread ±10% when 0).
Status RecordReadiness(store::Connection& db, const config::Config& config, uint64_t sender_domain_id,
                       const readiness::Report& report, const std::string& checked_by, int next_check_in_s = 0);

// `campaign schedule`/`resume`/`create --schedule`: checks the campaign's
// domain now and records the result; kInvalidInput with the verdict's
// reason when a mandatory check fails. Nothing is checked (Ok) when
// readiness.mandatory is empty.
Status RequireReadyDomain(store::Connection& db, const config::Config& config, const std::string& domain);

struct ReadinessCounters {
  uint64_t checks = 0;            // domains checked by this process
  uint64_t check_errors = 0;      // runs that could not record a result
  uint64_t campaigns_paused = 0;  // by a failing mandatory check
};

// The daemon's periodic re-check: every few seconds it claims the most
// overdue domain (store::ClaimDueDomainCheck, so engines share the work and
// each domain comes round every readiness.interval_s, spread), checks it on a
// DbWorker of its own (the checks block on DNS and probes) and records the
// result; a domain failing a mandatory check has its scheduled and sending
// campaigns paused with the check's words. Owned by the loop thread.
class ReadinessService {
 public:
  ReadinessService(loop::Loop& loop, const config::Config& config, std::string password, std::string instance);
  ~ReadinessService();
  // Does nothing when readiness.interval_s is 0.
  Status Start();
  void Stop();
  // A reload: checks from the next job on use `next` ([dns], [readiness]
  // but its interval, which is fixed at start). `next` must outlive the
  // service.
  void Reconfigure(const config::Config& next);
  // Prometheus text: domains per state and check (from the database,
  // refreshed each minute) and this process's counters.
  std::string MetricsText() const;
  const ReadinessCounters& counters() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace tayori::daemon
