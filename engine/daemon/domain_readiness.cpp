#include "daemon/domain_readiness.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <random>

#include "base/metrics.h"
#include "base/log.h"
#include "daemon/domain_facts.h"
#include "readiness/network_lookups.h"
#include "store/domain_readiness.h"
#include "store/keys.h"

namespace tayori::daemon {

std::vector<readiness::CheckId> MandatoryChecks(const config::Config& config) {
  std::vector<readiness::CheckId> out;
  for (const auto& name : config.readiness.mandatory)
    if (auto id = readiness::CheckIdFromName(name)) out.push_back(*id);
  return out;
}

ReadinessVerdict JudgeReport(const readiness::Report& report, const std::vector<readiness::CheckId>& mandatory) {
  ReadinessVerdict v;
  for (const readiness::Check* c : report.FailedAmong(mandatory)) {
    std::string id(readiness::CheckIdName(c->id));
    if (v.failed.empty() || v.failed.back() != id) v.failed.push_back(id);
    if (!v.reason.empty()) continue;
    v.reason = "domain check " + id + " failed for " + report.domain;
    if (!c->subject.empty()) v.reason += " (" + c->subject + ")";
    v.reason += ": " + c->found.Render(readiness::Lang::kEn);
    if (!c->what_to_do.empty()) v.reason += " → " + c->what_to_do.Render(readiness::Lang::kEn);
  }
  v.blocked = !v.failed.empty();
  return v;
}

Result<readiness::Report> CheckSenderDomain(store::Connection& db, const config::Config& config,
                                            readiness::Lookups& lookups, const std::string& domain,
                                            readiness::CheckScope scope) {
  TAYORI_ASSIGN_OR_RETURN(readiness::DomainFacts facts, GatherDomainFacts(db, config, domain));
  return readiness::CheckDomain(facts, lookups, scope);
}

namespace {

int SpreadInterval(int interval_s) {
  if (interval_s <= 0) return 86400;  // the daemon does not re-check; any time will do
  static thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_real_distribution<double> spread(0.9, 1.1);
  return static_cast<int>(interval_s * spread(rng));
}

}  // namespace

Status RecordReadiness(store::Connection& db, const config::Config& config, uint64_t sender_domain_id,
                       const readiness::Report& report, const std::string& checked_by, int next_check_in_s) {
  store::DomainReadinessRecord r;
  r.sender_domain_id = sender_domain_id;
  r.state = std::string(readiness::StateName(report.Overall()));
  ReadinessVerdict v = JudgeReport(report, MandatoryChecks(config));
  r.mandatory_failed = v.failed;
  r.reason = v.reason;
  r.report_en = readiness::RenderJson(report, readiness::Lang::kEn);
  r.report_ja = readiness::RenderJson(report, readiness::Lang::kJa);
  std::map<std::string, readiness::State> worst;
  int domain_worst = -1, platform_worst = -1;
  for (const auto& c : report.checks) {
    int& w = readiness::IsPlatformCheck(c.id) ? platform_worst : domain_worst;
    w = std::max(w, static_cast<int>(c.state));
    auto [it, added] = worst.emplace(std::string(readiness::CheckIdName(c.id)), c.state);
    if (!added && static_cast<int>(c.state) > static_cast<int>(it->second)) it->second = c.state;
  }
  auto name = [](int w) {
    return w < 0 ? std::string("unknown") : std::string(readiness::StateName(static_cast<readiness::State>(w)));
  };
  r.domain_state = name(domain_worst);
  r.platform_state = name(platform_worst);
  for (const auto& [id, state] : worst) r.check_states.emplace_back(id, std::string(readiness::StateName(state)));
  r.checked_by = checked_by;
  r.next_check_in_s = next_check_in_s > 0 ? next_check_in_s : SpreadInterval(config.readiness.interval_s);
  return store::SaveDomainReadiness(db, r);
}

Status RequireReadyDomain(store::Connection& db, const config::Config& config, const std::string& domain) {
  const auto mandatory = MandatoryChecks(config);
  if (mandatory.empty()) return Status::Ok();
  TAYORI_ASSIGN_OR_RETURN(store::SenderDomainRow row, store::FindSenderDomain(db, domain));
  readiness::NetworkOptions net;
  net.dns.servers = config.dns.resolver;
  TAYORI_ASSIGN_OR_RETURN(auto lookups, readiness::NetworkLookups::Create(net));
  TAYORI_ASSIGN_OR_RETURN(readiness::Report report, CheckSenderDomain(db, config, *lookups, domain));
  TAYORI_RETURN_IF_ERROR(RecordReadiness(db, config, row.id, report, "cli"));
  ReadinessVerdict v = JudgeReport(report, mandatory);
  if (!v.blocked) return Status::Ok();
  std::string failed;
  for (const auto& f : v.failed) failed += (failed.empty() ? "" : ", ") + f;
  return InvalidInput(v.reason + " (mandatory checks failing: " + failed +
                      "; `tayori domain check " + domain + "` shows every check; readiness.mandatory lists them)");
}

// ---- the daemon's re-check -------------------------------------------------

namespace {

// A claim lasts this long: a check that has not recorded by then (the
// engine crashed) is taken up by another engine.
constexpr int kClaimSeconds = 600;
// One job checks domains for at most this long, then lets the queue (the
// counts for /metrics, a shutdown) through.
constexpr auto kJobBudget = std::chrono::seconds(10);
// The platform's checks (SPF, reverse DNS, bounce MX, relay TLS, the
// one-click endpoint) are the same for every domain: run once per this
// period, not once per domain (each probes the relays and the endpoint).
constexpr auto kPlatformCheckAge = std::chrono::minutes(10);
constexpr auto kTick = std::chrono::seconds(5);
constexpr auto kCountsEvery = std::chrono::seconds(60);

struct CheckedDomain {
  std::string domain;
  std::string state;
  ReadinessVerdict verdict;
  int paused = 0;
};

}  // namespace

// Worker-thread state: used only by jobs on `db`, one at a time.
struct WorkerState {
  std::atomic<bool> stopping{false};
  std::atomic<bool> reconfigured{false};  // set on the loop by a reload
  std::unique_ptr<readiness::NetworkLookups> lookups;
  std::optional<readiness::Report> platform;
  std::chrono::steady_clock::time_point platform_at{};
};

struct ReadinessService::Impl {
  loop::Loop& loop;
  const config::Config* config;  // the one in force; a job keeps the one it started with
  std::string instance;
  std::unique_ptr<store::DbWorker> db;
  std::unique_ptr<loop::Timer> timer;
  std::shared_ptr<WorkerState> worker = std::make_shared<WorkerState>();
  bool busy = false;
  std::chrono::steady_clock::time_point counted_at{};
  std::vector<store::ReadinessCount> counts;
  ReadinessCounters counters;

  std::string password;

  Impl(loop::Loop& l, const config::Config& c, std::string pw, std::string inst)
      : loop(l), config(&c), instance(std::move(inst)), password(std::move(pw)) {}

  void Tick() {
    if (busy) return;
    busy = true;
    auto checked = std::make_shared<std::vector<CheckedDomain>>();
    auto errors = std::make_shared<std::vector<std::string>>();
    const bool count = std::chrono::steady_clock::now() - counted_at >= kCountsEvery;
    auto new_counts = std::make_shared<std::vector<store::ReadinessCount>>();
    std::shared_ptr<WorkerState> w = worker;
    const config::Config* cfg = config;
    std::string actor = instance;
    db->Submit(
        [w, cfg, actor, checked, errors, count, new_counts](store::Connection& conn) -> Status {
          checked->clear();
          errors->clear();
          if (w->reconfigured.exchange(false)) {
            w->lookups.reset();
            w->platform.reset();
          }
          if (!w->lookups) {
            readiness::NetworkOptions net;
            net.dns.servers = cfg->dns.resolver;
            net.max_cache_age = std::chrono::seconds(cfg->readiness.dns_cache_max_s);
            TAYORI_ASSIGN_OR_RETURN(w->lookups, readiness::NetworkLookups::Create(net));
          }
          const auto mandatory = MandatoryChecks(*cfg);
          const auto started = std::chrono::steady_clock::now();
          while (!w->stopping && std::chrono::steady_clock::now() - started < kJobBudget) {
            TAYORI_ASSIGN_OR_RETURN(std::optional<uint64_t> id, store::ClaimDueDomainCheck(conn, kClaimSeconds));
            if (!id) break;
            Status st = CheckOne(conn, *cfg, *w, *id, actor, mandatory, *checked);
            if (!st.ok()) errors->push_back(st.message());
          }
          if (count || !checked->empty()) {
            TAYORI_ASSIGN_OR_RETURN(*new_counts, store::CountDomainReadiness(conn));
          }
          return Status::Ok();
        },
        [this, checked, errors, count, new_counts](Status st) {
          busy = false;
          if (!st.ok()) {
            ++counters.check_errors;
            log::Warn("readiness", "domain re-check failed", {{"reason", st.message()}});
          }
          for (const auto& e : *errors) {
            ++counters.check_errors;
            log::Warn("readiness", "domain re-check failed", {{"reason", e}});
          }
          for (const auto& c : *checked) {
            ++counters.checks;
            counters.campaigns_paused += static_cast<uint64_t>(c.paused);
            if (c.paused > 0)
              log::Error("readiness", "ALERT domain fails a mandatory check: its campaigns are paused",
                         {{"domain", c.domain}, {"campaigns", std::to_string(c.paused)}, {"reason", c.verdict.reason}});
            else if (c.verdict.blocked)
              log::Warn("readiness", "domain fails a mandatory check", {{"domain", c.domain},
                                                                        {"reason", c.verdict.reason}});
            else
              log::Info("readiness", "domain checked", {{"domain", c.domain}, {"state", c.state}});
          }
          if (st.ok() && (count || !checked->empty())) {
            counts = std::move(*new_counts);
            counted_at = std::chrono::steady_clock::now();
          }
        });
  }

  // Checks one claimed domain, records the result and pauses the domain's
  // campaigns when a mandatory check fails. Worker thread.
  static Status CheckOne(store::Connection& conn, const config::Config& cfg, WorkerState& w, uint64_t id,
                         const std::string& actor, const std::vector<readiness::CheckId>& mandatory,
                         std::vector<CheckedDomain>& checked) {
    TAYORI_ASSIGN_OR_RETURN(store::SenderDomainRow row, store::FindSenderDomainById(conn, id));
    const std::string name = row.domain;
    TAYORI_ASSIGN_OR_RETURN(readiness::DomainFacts facts, GatherDomainFacts(conn, cfg, name));
    readiness::Report report = readiness::CheckDomain(facts, *w.lookups, readiness::CheckScope::kDomainOnly);
    const auto now = std::chrono::steady_clock::now();
    if (!w.platform || now - w.platform_at >= kPlatformCheckAge) {
      w.platform = readiness::CheckDomain(facts, *w.lookups, readiness::CheckScope::kPlatformOnly);
      w.platform_at = now;
    }
    for (const auto& c : w.platform->checks) report.checks.push_back(c);
    TAYORI_RETURN_IF_ERROR(RecordReadiness(conn, cfg, id, report, actor));
    CheckedDomain out;
    out.domain = name;
    out.state = std::string(readiness::StateName(report.Overall()));
    out.verdict = JudgeReport(report, mandatory);
    if (out.verdict.blocked) {
      TAYORI_ASSIGN_OR_RETURN(out.paused, store::PauseCampaignsOfDomain(conn, id, "paused: " + out.verdict.reason +
                                                                                      "; fix it, then resume",
                                                                         actor));
    }
    checked.push_back(std::move(out));
    return Status::Ok();
  }
};

ReadinessService::ReadinessService(loop::Loop& loop, const config::Config& config, std::string password,
                                   std::string instance)
    : impl_(std::make_unique<Impl>(loop, config, std::move(password), std::move(instance))) {}

ReadinessService::~ReadinessService() {
  if (!impl_) return;
  impl_->worker->stopping = true;
  if (impl_->timer) impl_->timer->Stop();
  impl_->db.reset();  // finishes the check in progress
}

Status ReadinessService::Start() {
  if (impl_->config->readiness.interval_s <= 0) return Status::Ok();
  impl_->db = std::make_unique<store::DbWorker>("db-readiness", impl_->config->database, impl_->password, impl_->loop);
  impl_->timer = std::make_unique<loop::Timer>(impl_->loop);
  impl_->timer->Start(std::chrono::duration_cast<std::chrono::milliseconds>(kTick), [this] { impl_->Tick(); },
                      std::chrono::duration_cast<std::chrono::milliseconds>(kTick));
  return Status::Ok();
}

void ReadinessService::Reconfigure(const config::Config& next) {
  impl_->config = &next;
  // The next job builds its DNS lookups from the new [dns] and drops the
  // cached platform report; a job still running finishes with the
  // configuration it started with.
  impl_->worker->reconfigured = true;
}

void ReadinessService::Stop() {
  impl_->worker->stopping = true;
  if (impl_->timer) impl_->timer->Stop();
}

const ReadinessCounters& ReadinessService::counters() const { return impl_->counters; }

std::string ReadinessService::MetricsText() const {
  metrics::Writer w;
  w.Family("tayori_domains", "gauge", "Sender domains by the worst state of their last readiness check.");
  for (const auto& c : impl_->counts)
    if (c.check_id.empty()) w.Sample("tayori_domains", {{"state", c.state}}, static_cast<double>(c.domains));
  w.Family("tayori_domain_checks", "gauge", "Sender domains by readiness check and its state.");
  for (const auto& c : impl_->counts)
    if (!c.check_id.empty())
      w.Sample("tayori_domain_checks", {{"check", c.check_id}, {"state", c.state}}, static_cast<double>(c.domains));
  w.Family("tayori_domain_rechecks_total", "counter", "Sender domains re-checked by this engine.");
  w.Sample("tayori_domain_rechecks_total", static_cast<double>(impl_->counters.checks));
  w.Family("tayori_domain_recheck_errors_total", "counter", "Re-checks that could not complete (DNS or database).");
  w.Sample("tayori_domain_recheck_errors_total", static_cast<double>(impl_->counters.check_errors));
  w.Family("tayori_readiness_paused_campaigns_total", "counter",
           "Campaigns paused because their sender domain failed a mandatory check.");
  w.Sample("tayori_readiness_paused_campaigns_total", static_cast<double>(impl_->counters.campaigns_paused));
  return w.Take();
}

}  // namespace tayori::daemon
