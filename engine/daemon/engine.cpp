#include "daemon/engine.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <map>
#include <queue>
#include <random>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "daemon/http_service.h"
#include "daemon/domain_readiness.h"
#include "daemon/inbound_service.h"
#include "keys/lifecycle.h"
#include "daemon/message_factory.h"
#include "daemon/outcome.h"
#include "daemon/reload.h"
#include "daemon/service_notify.h"
#include "daemon/worker_pool.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/utf8_text.h"
#include "loop/loop.h"
#include "dns/provider.h"
#include "dns/resolver.h"
#include "mime/idn.h"
#include "net/transfers.h"
#include "ratelimit/fair_queue.h"
#include "ratelimit/shaper.h"
#include "render/random_source.h"
#include "scheduler/retry_policy.h"
#include "scheduler/suppression_cache.h"
#include "smtp/submitter.h"
#include "store/campaigns.h"
#include "store/db_worker.h"
#include "store/deliveries.h"
#include "store/feedback_rates.h"
#include "store/instances.h"
#include "store/privileges.h"
#include "store/keys.h"
#include "store/suppressions.h"

namespace tayori::daemon {
namespace {

using namespace std::chrono_literals;

constexpr int kExpandChunk = 5000;
constexpr size_t kFlushBatch = 500;
constexpr auto kFlushInterval = 100ms;
constexpr auto kParkLimit = std::chrono::seconds(30);  // longer waits go back to the database
// Rows per write-back transaction: larger batches catch up faster after a
// slow write; the MEMORY batch table and one multi-row INSERT stay small.
constexpr size_t kMaxWriteBatch = 2000;
constexpr size_t kLeaseCampaigns = 200;  // campaigns asked in one lease statement
constexpr auto kWarmUpPollInterval = std::chrono::milliseconds(100);
constexpr size_t kClaimsPerPoll = 200;   // due campaigns claimed (and expansions taken) per poll
// A failed outcome write is tried again after 1 s, doubling to this cap.
constexpr auto kMaxWriteBackoff = std::chrono::milliseconds(30000);
// How often the engine checks its sending shops' feedback rates.
constexpr auto kGuardInterval = std::chrono::seconds(30);
// How long the last write at shutdown may take before the process exits anyway.
constexpr auto kFinalWriteTimeout = std::chrono::seconds(15);

// A leased delivery on its way through the pipeline.
struct Item {
  store::LeasedDelivery delivery;
  uint64_t tenant_id = 0;
  std::string shaping_key;
};

// A rendered and signed message waiting for a relay slot.
struct Ready {
  std::shared_ptr<Item> item;
  std::shared_ptr<const PreparedCampaign> campaign;
  BuiltMessage built;
};

struct Parked {
  SteadyTime ready_at;
  std::shared_ptr<Item> item;
  bool operator>(const Parked& o) const { return ready_at > o.ready_at; }
};

enum class CampaignStatus { kLoading, kReady, kBlocked };

struct CampaignEntry {
  CampaignStatus status = CampaignStatus::kLoading;
  std::shared_ptr<const PreparedCampaign> prepared;
  uint64_t tenant_id = 0;
  uint64_t list_id = 0;
  uint64_t sender_domain_id = 0;
  size_t in_memory = 0;  // items queued, parked or in flight
  bool seen = true;      // still 'sending' at the last poll
  std::string key_version;  // store::SigningKeyVersions of its domain when prepared
};

std::string DefaultInstanceName() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return std::string(host) + "-" + std::to_string(getpid());
}


}  // namespace

struct Engine::Impl {
  // The configuration in force: replaced whole by a reload (SIGHUP), never
  // changed in place. Every configuration that was ever in force stays
  // alive (configs_in_force), because services built at start and jobs on
  // worker threads keep referring to the one they were given.
  std::shared_ptr<const config::Config> cfg_now;
  std::vector<std::shared_ptr<const config::Config>> configs_in_force;
  const config::Config& config() const { return *cfg_now; }
  EngineOptions options;
  const Clock& clock = SystemClock::Instance();
  std::shared_ptr<const FactorySecrets> secrets;  // replaced whole by a reload, like cfg_now
  std::string db_password;

  loop::Loop loop;
  std::unique_ptr<store::DbWorker> db_read;    // polls, leases, loads
  std::unique_ptr<store::DbWorker> db_expand;  // recipient expansion (long jobs)
  std::unique_ptr<store::DbWorker> db_write;   // outcome write-back
  std::unique_ptr<store::DbWorker> db_dkim;   // key lifecycle (key generation is slow)
  std::unique_ptr<WorkerPool> workers;
  std::unique_ptr<smtp::Submitter> submitter;
  std::unique_ptr<HttpService> http;
  std::unique_ptr<net::Transfers> dns_transfers;
  std::unique_ptr<dns::Provider> dns_provider;
  std::unique_ptr<dns::Resolver> resolver;
  std::unique_ptr<keys::KeyLifecycle> lifecycle;
  // inbound.start_in_run: the bounce and complaint listener on this loop,
  // with a database connection of its own.
  std::vector<std::unique_ptr<store::DbWorker>> db_inbound;
  std::unique_ptr<InboundService> inbound;
  // readiness.interval_s: every sender domain re-checked against the sender
  // rules; a domain failing a mandatory check has its campaigns paused.
  std::unique_ptr<ReadinessService> readiness;
  std::unique_ptr<ServiceNotifier> notifier;  // systemd: READY, STOPPING, WATCHDOG
  std::unique_ptr<loop::Timer> lifecycle_timer;
  std::unique_ptr<loop::Timer> poll_timer, flush_timer, park_timer, drain_timer, progress_timer;
  std::unique_ptr<loop::SignalWatcher> sigterm, sigint, sighup;
  // Reload (SIGHUP): submitters replaced by one for new [[relays]] finish
  // what they hold before they are dropped; a DNS change waits for the key
  // lifecycle's pass in progress; secrets stay alive like configurations.
  std::vector<std::unique_ptr<smtp::Submitter>> retired_submitters;
  std::vector<std::shared_ptr<const FactorySecrets>> secrets_in_force;
  bool dns_swap_pending = false;
  std::unique_ptr<dns::Provider> pending_provider;
  std::unique_ptr<dns::Resolver> pending_resolver;
  int live_instances = 1;
  uint64_t reloads_total = 0, reload_failures_total = 0;

  ratelimit::Shaper shaper;
  scheduler::RetryPolicy retry;
  crypto::KeyCache key_cache;
  ratelimit::FairQueue<std::shared_ptr<Item>> queue;
  std::priority_queue<Parked, std::vector<Parked>, std::greater<>> parked;
  // Items whose destination had every connection slot taken, by shaping
  // key, in arrival order: woken (moved to `woken`) as that destination's
  // messages finish, never by a timer.
  std::unordered_map<std::string, std::deque<std::shared_ptr<Item>>> slot_waiters;
  size_t slot_waiting = 0;
  std::deque<std::shared_ptr<Item>> woken;  // tried again before the fair queue
  std::map<uint64_t, CampaignEntry> campaigns;
  scheduler::SuppressionCache suppressed;
  // When the lease job in progress was asked for (suppressions visible
  // before then are in the database for every delivery it leases).
  SteadyTime lease_asked_at{};
  SteadyTime idle_destinations_checked_at{};
  SteadyTime guards_checked_at{};
  uint64_t suppression_cursor = 0;
  std::set<uint64_t> expanding;
  // Outcomes not yet committed, in the order they were recorded. A write
  // that fails puts its batch back at the front: an outcome is never
  // dropped, since a dropped one would let its delivery be sent again.
  std::deque<store::DeliveryOutcome> outcomes;
  // Every lease this engine holds, from the lease until its outcome is
  // committed, with when it was taken or last renewed: only these are
  // renewed (a lease it lost track of is released, see the poll).
  struct Held {
    SteadyTime leased_at;
    SteadyTime renewed_at;
  };
  std::unordered_map<uint64_t, Held> leases_held;
  // Items being rendered and signed: a drain deadline gives them back.
  std::unordered_map<uint64_t, std::shared_ptr<Item>> building_items;
  std::mt19937_64 rng{std::random_device{}()};

  size_t building = 0;      // render+sign jobs on workers
  std::deque<Ready> ready;  // signed, waiting for a relay slot
  size_t submitting = 0;    // messages with the relays
  size_t writes_pending = 0;
  // Outcome writes that failed (not a transient error the DbWorker retries
  // by itself): retried with backoff; no new work is leased meanwhile.
  int write_failures = 0;           // consecutive
  uint64_t write_failures_total = 0;
  SteadyTime write_alert_at{};
  std::string write_error;
  std::unique_ptr<loop::Timer> write_retry_timer;
  bool write_retry_armed = false;
  int poll_failures = 0;  // consecutive
  SteadyTime poll_failure_logged_at{};
  bool finishing = false;
  double write_seconds_total = 0;
  // Since when the database has answered every housekeeping poll without a
  // gap: only after a full heartbeat window of it may this instance judge
  // another one dead and take its leases (after an outage every instance
  // first needs the chance to beat and renew).
  SteadyTime connected_since{};
  store::InstanceIdentity self;
  bool poll_busy = false, lease_busy = false, draining = false, stopped = false;
  int exit_code = 0;
  int polls = 0;
  int heartbeats = 0;  // completed housekeeping polls; leasing starts after three
  int idle_polls = 0;
  uint64_t sent_total = 0, outcomes_total = 0;
  SteadyTime started_at{};
  uint64_t lease_cursor = 0;  // the last campaign the previous lease asked for
  size_t campaigns_asked_empty = 0;  // campaigns asked since a lease last found work
  // Metrics (loop thread only, except build_ns which workers add to).
  std::map<std::string, uint64_t> outcomes_by_state;
  std::map<std::pair<std::string, int>, uint64_t> replies_by_code;  // (relay, code)
  metrics::Histogram sign_hist{metrics::Histogram::LatencyBounds()};  // observed on worker threads
  metrics::Histogram write_hist{metrics::Histogram::LatencyBounds()};
  std::map<std::string, std::unique_ptr<metrics::Histogram>> relay_hist;  // by relay name (configured, bounded)
  struct ShopCounts {
    std::string slug;
    uint64_t total = 0;
    std::map<std::string, uint64_t> by_outcome;
  };
  std::unordered_map<uint64_t, ShopCounts> shop_counts;  // by tenant id; only when admin.shop_series > 0
  uint64_t rate_waits = 0;
  std::set<uint64_t> paused_domains;
  std::atomic<uint64_t> build_ns{0}, built_messages{0};
  uint64_t sent_at_last_progress = 0;

  Impl(const config::Config& c, EngineOptions o)
      : cfg_now(std::make_shared<const config::Config>(c)),
        configs_in_force{cfg_now},
        options(std::move(o)),
        shaper(c.rate_limits, SystemClock::Instance().Steady()),
        retry(c.retry) {}

  // Two windows, so that neither stage waits for the other: the relays get
  // two messages per connection (one being transferred, the next ready), and
  // signing runs a few messages per worker ahead of them. With one shared
  // window the workers sat idle while every slot waited on SMTP round trips
  // (the engine benchmark showed 15% idle CPU on a saturated machine).
  // Both fixed at start (the configuration does not change while running).
  size_t submit_window = 0;
  size_t build_window = 0;
  size_t in_flight() const { return building + ready.size() + submitting; }
  size_t in_memory() const { return queue.size() + parked.size() + slot_waiting + woken.size() + in_flight(); }
  int lease_s() const { return config().engine.lease_s; }
  // Housekeeping (heartbeat, renewal, takeover) runs every kHousekeepingPolls
  // polls; an instance is alive while it beat within three of those (and
  // never less than 10 s, so a busy loop is not mistaken for a dead one).
  static constexpr int kHousekeepingPolls = 5;
  int alive_window_s() const {
    return std::max(10, (3 * kHousekeepingPolls * config().engine.poll_interval_ms + 999) / 1000);
  }
  std::chrono::milliseconds poll_interval() const { return std::chrono::milliseconds(config().engine.poll_interval_ms); }
  bool writes_failing() const { return write_failures > 0 || (db_write && db_write->retrying()); }

  // ---- start / stop -----------------------------------------------------------

  Status Start() {
    db_read = std::make_unique<store::DbWorker>("db-read", config().database, db_password, loop);
    db_expand = std::make_unique<store::DbWorker>("db-expand", config().database, db_password, loop);
    db_write = std::make_unique<store::DbWorker>("db-write", config().database, db_password, loop);
    workers = std::make_unique<WorkerPool>(loop, config().engine.worker_threads);
    size_t connections = 0;
    for (const auto& r : config().relays) connections += static_cast<size_t>(r.max_connections);
    submit_window = std::max<size_t>(2, connections * 2);
    build_window = static_cast<size_t>(workers->threads()) * 4;
    TAYORI_ASSIGN_OR_RETURN(submitter, smtp::Submitter::Create(loop, config(), clock));

    // One-click unsubscribe, /healthz and /metrics on the engine's loop.
    HttpCallbacks callbacks;
    callbacks.metrics_text = [this] { return MetricsText(); };
    callbacks.not_ready = [this] { return NotReady(); };
    callbacks.on_suppressed = [this](const store::SuppressionRow& s) {
      // Honoured before the next message, without waiting for the next poll.
      suppressed.Add(s.tenant_id, s.list_id, s.email, clock.Steady());
    };
    http = std::make_unique<HttpService>(loop, config(), *db_read, std::move(callbacks));
    TAYORI_RETURN_IF_ERROR(http->Start().WithContext("HTTP listener"));

    // DKIM key lifecycle: automatic rotation of keys older than
    // dkim.rotation_age_days, publishing through the DNS provider.
    db_dkim = std::make_unique<store::DbWorker>("db-dkim", config().database, db_password, loop);
    dns_transfers = std::make_unique<net::Transfers>(loop, net::PoolOptions{2, 0});
    TAYORI_ASSIGN_OR_RETURN(dns_provider,
                            dns::MakeProvider(config().dns, config().dkim.platform_zone, loop, *dns_transfers));
    dns::ResolverOptions ro;
    ro.servers = config().dns.resolver;
    TAYORI_ASSIGN_OR_RETURN(resolver, dns::Resolver::Create(loop, ro));
    lifecycle = std::make_unique<keys::KeyLifecycle>(loop, *db_dkim, dns_provider.get(), *resolver, clock,
                                               secrets->keks.front(), config().dkim, "engine:" + options.instance);
    // A switch to a new signing key, made here, by another instance or by
    // `tayori dkim rotate`, reaches running campaigns through the poll
    // (SigningKeyVersions), one path for all three.
    if (config().inbound.start_in_run) {
      std::vector<store::DbWorker*> inbound_workers;
      for (int i = 0; i < config().inbound.database_connections; ++i) {
        db_inbound.push_back(std::make_unique<store::DbWorker>("db-inbound-" + std::to_string(i + 1), config().database,
                                                               db_password, loop));
        inbound_workers.push_back(db_inbound.back().get());
      }
      inbound = std::make_unique<InboundService>(loop, config(), inbound_workers);
      TAYORI_RETURN_IF_ERROR(inbound->Start());
    }
    readiness = std::make_unique<ReadinessService>(loop, config(), db_password, options.instance);
    TAYORI_RETURN_IF_ERROR(readiness->Start());
    lifecycle_timer = std::make_unique<loop::Timer>(loop);
    lifecycle_timer->Start(std::chrono::seconds(5), [this] {
                             if (dns_swap_pending && !lifecycle->ticking()) SwapDns();
                             lifecycle->Tick();
                           },
                           std::chrono::seconds(config().dkim.lifecycle_interval_s));
    poll_timer = std::make_unique<loop::Timer>(loop);
    flush_timer = std::make_unique<loop::Timer>(loop);
    park_timer = std::make_unique<loop::Timer>(loop);
    drain_timer = std::make_unique<loop::Timer>(loop);
    progress_timer = std::make_unique<loop::Timer>(loop);
    write_retry_timer = std::make_unique<loop::Timer>(loop);
    connected_since = started_at = clock.Steady();
    notifier = std::make_unique<ServiceNotifier>(loop);
    sigterm = std::make_unique<loop::SignalWatcher>(loop, SIGTERM, [this] { BeginDrain("SIGTERM"); });
    sigint = std::make_unique<loop::SignalWatcher>(loop, SIGINT, [this] { BeginDrain("SIGINT"); });
    sighup = std::make_unique<loop::SignalWatcher>(loop, SIGHUP, [this] { Reload(); });
    // The three warm-up heartbeats (see LeaseMore) come quickly, so a
    // restart sends again within a fraction of a second at any interval.
    poll_timer->Start(0ms, [this] { Poll(); }, std::min(kWarmUpPollInterval, poll_interval()));
    flush_timer->Start(kFlushInterval, [this] { Flush(); }, kFlushInterval);
    progress_timer->Start(5s, [this] { Progress(); }, 5s);
    log::Info("engine", "started",
              {{"instance", options.instance}, {"workers", std::to_string(workers->threads())},
               {"relays", std::to_string(config().relays.size())},
               {"http", config().http.listen_address + ":" + std::to_string(http->port())}});
    return Status::Ok();
  }

  void Stop() {
    if (stopped) return;
    stopped = true;
    poll_timer->Stop();
    flush_timer->Stop();
    park_timer->Stop();
    drain_timer->Stop();
    progress_timer->Stop();
    write_retry_timer->Stop();
    if (lifecycle_timer) lifecycle_timer->Stop();
    loop.Stop();
  }

  void Progress() {
    std::erase_if(retired_submitters, [](const auto& s) { return s->in_flight() == 0; });
    uint64_t delta = sent_total - sent_at_last_progress;
    sent_at_last_progress = sent_total;
    if (delta == 0 && in_memory() == 0) return;
    log::Info("engine", "progress",
              {{"sent", std::to_string(sent_total)}, {"rate_per_s", std::to_string(delta / 5)},
               {"queued", std::to_string(queue.size())}, {"parked", std::to_string(parked.size())},
               {"in_flight", std::to_string(in_flight())},
               {"campaigns", std::to_string(campaigns.size())}});
  }

  // ---- polling: campaigns, suppressions, leases ---------------------------------

  struct PollResult {
    std::vector<uint64_t> to_expand;
    std::vector<uint64_t> sending;
    bool due_or_sending = false;
    std::vector<store::SuppressionRow> suppressions;
    int live_instances = 1;
    int rank = 0;  // this instance's place among them, by name
    std::vector<uint64_t> finished;
    std::vector<store::CampaignState> known_states;  // of campaigns we hold
    std::map<uint64_t, std::string> key_versions;    // of the domains we send for
    store::TakeOver taken_over;
    int forgotten = 0;      // own leases we had lost track of, released
    bool was_away = false;  // the database (or this process) was away: everything was renewed
    bool name_lost = false;
    std::string name_lost_reason;
    SteadyTime submitted_at{};
  };

  void Poll() {
    if (poll_busy || stopped || finishing) return;
    ++polls;
    // The first three polls all heartbeat: instances started together see
    // each other before any of them leases work (global rate share).
    bool housekeeping = polls <= 3 || polls % kHousekeepingPolls == 1;
    // While draining only the housekeeping runs: alive, and renewing what
    // is still in flight.
    bool drain = draining;
    if (drain && !housekeeping) return;
    poll_busy = true;
    auto r = std::make_shared<PollResult>();
    r->submitted_at = clock.Steady();
    std::vector<uint64_t> idle_campaigns, known, domains;
    for (auto& [id, e] : campaigns) known.push_back(id);
    for (auto& [id, e] : campaigns) {
      if (e.status == CampaignStatus::kReady && e.in_memory == 0) idle_campaigns.push_back(id);
      if (e.status == CampaignStatus::kReady) domains.push_back(e.sender_domain_id);
    }
    std::string instance = options.instance;
    store::InstanceIdentity who = self;
    int lease = lease_s();
    int alive_window = alive_window_s();
    std::vector<uint64_t> renew;
    auto held = std::make_shared<std::vector<uint64_t>>();
    if (housekeeping) {
      renew = LeasesToRenew();
      held->reserve(leases_held.size());
      for (const auto& [id, h] : leases_held) held->push_back(id);
      std::sort(held->begin(), held->end());
    }
    SteadyTime now = clock.Steady();
    bool may_take_over = now - connected_since >= std::chrono::seconds(alive_window);
    // A housekeeping gap longer than this means we (or the database) were away.
    double away_after_s = 3.0 * kHousekeepingPolls * config().engine.poll_interval_ms / 1000.0 + 1.0;
    const Clock* steady = &clock;
    uint64_t cursor = suppression_cursor;
    int room = static_cast<int>(std::min<size_t>(
        kClaimsPerPoll, campaigns.size() >= static_cast<size_t>(config().engine.max_campaigns)
                            ? 0 : static_cast<size_t>(config().engine.max_campaigns) - campaigns.size()));
    db_read->Submit(
        [=](store::Connection& db) -> Status {
          // Housekeeping first, so a campaign finished here is not also listed
          // as sending below.
          if (housekeeping) {
            SteadyTime t0 = steady->Steady();
            auto beat = store::Heartbeat(db, who, drain ? "draining" : "running", alive_window);
            if (!beat.ok()) {
              if (beat.status().error_class() == ErrorClass::kPermanent) {
                r->name_lost = true;
                r->name_lost_reason = beat.status().message();
                return Status::Ok();
              }
              return beat.status();
            }
            r->live_instances = beat->live_instances;
            r->rank = beat->rank;
            // Away: this job waited (a retry after a lost connection, a
            // frozen server) or our previous beat is old. Then every lease
            // we hold may be close to expiry: renew them all before anything
            // else, and judge nobody dead this round.
            r->was_away = steady->Steady() - now > std::chrono::seconds(1) ||
                          steady->Steady() - t0 > std::chrono::seconds(1) || beat->gap_s > away_after_s;
            TAYORI_RETURN_IF_ERROR(store::RenewLeases(db, instance, lease, r->was_away ? *held : renew));
            if (drain) return Status::Ok();
            TAYORI_ASSIGN_OR_RETURN(r->forgotten, store::ReleaseForgottenLeases(db, instance, *held));
            if (may_take_over && !r->was_away) {
              TAYORI_ASSIGN_OR_RETURN(r->taken_over,
                                      store::TakeOverExpiredLeases(db, instance, beat->beat_at, alive_window, 5000));
            }
          }
          // Every poll, not only housekeeping ones: a finished campaign frees
          // its place among engine.max_campaigns.
          TAYORI_ASSIGN_OR_RETURN(r->finished, store::FinishCompletedCampaigns(db, idle_campaigns));
          // Claimed only while there is room to hold them: a campaign
          // another instance could send should not wait behind us.
          if (room > 0) {
            TAYORI_ASSIGN_OR_RETURN(auto claimed, store::ClaimDueCampaigns(db, instance, lease, room));
            for (uint64_t id : claimed) log::Info("engine", "claimed campaign", {{"campaign", std::to_string(id)}});
          }
          TAYORI_ASSIGN_OR_RETURN(r->to_expand, store::ClaimUnexpandedCampaigns(db, instance, lease, kClaimsPerPoll));
          TAYORI_ASSIGN_OR_RETURN(store::SendingSet set, store::SendingCampaigns(db));
          r->sending = std::move(set.sending);
          r->due_or_sending = !r->sending.empty() || set.any_due;
          TAYORI_ASSIGN_OR_RETURN(r->known_states, store::CampaignStates(db, known));
          TAYORI_ASSIGN_OR_RETURN(r->key_versions, store::SigningKeyVersions(db, domains));
          uint64_t from = cursor;
          if (from == 0) {
            // First poll: suppressions so far are applied by expansion and
            // leasing; only those that arrive from now on need watching.
            TAYORI_ASSIGN_OR_RETURN(uint64_t max_id, store::MaxSuppressionId(db));
            r->suppressions.push_back(store::SuppressionRow{max_id, 0, "", 0, "", "", "", 0});
          } else {
            TAYORI_ASSIGN_OR_RETURN(r->suppressions, store::SuppressionsSince(db, from, 10000));
          }
          return Status::Ok();
        },
        [this, r, housekeeping, drain, renew](Status st) {
          poll_busy = false;
          if (r->name_lost) {
            // Another process took our name: our leases are no longer ours,
            // and writing anything under the name could touch its work.
            log::Error("engine", "ALERT stopping at once: " + r->name_lost_reason);
            exit_code = 1;
            Stop();
            return;
          }
          if (!st.ok()) {
            // Once, then once a minute while it goes on (a read-only
            // database fails every poll for as long as it lasts).
            SteadyTime now = clock.Steady();
            ++poll_failures;
            if (poll_failures == 1 || now - poll_failure_logged_at >= std::chrono::seconds(60)) {
              poll_failure_logged_at = now;
              log::Warn("engine", "poll failed", {{"reason", st.message()}, {"failures", std::to_string(poll_failures)}});
            }
            // Those renewals may not have happened: due again next time.
            for (uint64_t id : renew)
              if (auto it = leases_held.find(id); it != leases_held.end()) it->second.renewed_at = SteadyTime{};
            return;
          }
          if (poll_failures > 0) {
            log::Info("engine", "polls succeed again", {{"failed_polls", std::to_string(poll_failures)}});
            poll_failures = 0;
          }
          ApplyPoll(*r, housekeeping, drain);
        });
  }

  // Memory stays bounded in a daemon that runs for months: suppressions
  // every held lease already saw in the database, and destinations idle for
  // rate_limits.destination_idle_s, are forgotten.
  void ForgetWhatNoLeaseNeeds() {
    SteadyTime now = clock.Steady();
    SteadyTime oldest = lease_busy ? lease_asked_at : now;
    for (const auto& [id, held] : leases_held) oldest = std::min(oldest, held.leased_at);
    size_t forgotten = suppressed.ForgetOlderThan(oldest);
    if (now - idle_destinations_checked_at >= std::chrono::seconds(std::min(60, config().rate_limits.destination_idle_s / 2))) {
      idle_destinations_checked_at = now;
      forgotten += shaper.ForgetIdle(std::chrono::seconds(config().rate_limits.destination_idle_s), now);
    }
    // glibc keeps freed memory for reuse; after forgetting a large set, give
    // it back so RSS shows what the daemon actually holds.
    if (forgotten >= 10000) malloc_trim(0);
  }

  // A shop whose complaint or hard-bounce rate went over its limit (hard
  // bounces at the relay, or reported by `tayori inbound`) stops sending:
  // its campaigns are paused with the reason; the next poll drops them.
  void CheckFeedbackGuards() {
    SteadyTime now = clock.Steady();
    if (now - guards_checked_at < kGuardInterval) return;
    guards_checked_at = now;
    std::set<uint64_t> shops;
    for (const auto& [id, e] : campaigns)
      if (e.status == CampaignStatus::kReady) shops.insert(e.tenant_id);
    if (shops.empty()) return;
    store::GuardLimits limits{config().feedback.max_complaint_rate, config().feedback.max_hard_bounce_rate,
                              static_cast<uint64_t>(config().feedback.min_volume)};
    std::string actor = options.instance;
    auto paused = std::make_shared<std::vector<std::pair<uint64_t, store::GuardVerdict>>>();
    db_read->Submit(
        [shops, limits, actor, paused](store::Connection& db) -> Status {
          paused->clear();
          for (uint64_t t : shops) {
            TAYORI_ASSIGN_OR_RETURN(store::GuardVerdict v, store::EnforceFeedbackGuards(db, t, limits, actor));
            if (v.paused > 0) paused->emplace_back(t, v);
          }
          return Status::Ok();
        },
        [paused](Status st) {
          if (!st.ok()) log::Warn("engine", "checking feedback rates failed", {{"reason", st.message()}});
          for (const auto& [t, v] : *paused)
            log::Error("engine", "ALERT shop over a feedback limit: its campaigns are paused",
                       {{"tenant", std::to_string(t)}, {"campaigns", std::to_string(v.paused)}, {"reason", v.reason}});
        });
  }

  // Leases held for a third of their term get renewed (a throttled
  // destination, a long queue, an outcome waiting to be written); the rest
  // are fresh.
  std::vector<uint64_t> LeasesToRenew() {
    SteadyTime now = clock.Steady();
    auto due = std::chrono::seconds(std::max(1, lease_s() / 3));
    std::vector<uint64_t> ids;
    for (auto& [id, held] : leases_held) {
      if (now - held.renewed_at < due) continue;
      ids.push_back(id);
      held.renewed_at = now;
    }
    return ids;
  }

  void ApplyPoll(const PollResult& r, bool housekeeping, bool drain) {
    if (drain) {
      if (r.was_away) {
        connected_since = clock.Steady();
        for (auto& [id, held] : leases_held) held.renewed_at = connected_since;
      }
      return;
    }
    for (const auto& s : r.suppressions) {
      suppression_cursor = std::max(suppression_cursor, s.id);
      if (s.tenant_id) suppressed.Add(s.tenant_id, s.list_id, s.email, r.submitted_at);
    }
    if (housekeeping) {
      // Ready once the database answered a whole poll (heartbeat included).
      if (heartbeats == 0) notifier->Ready("instance " + options.instance + " polling");
      if (++heartbeats == 3 && poll_interval() > kWarmUpPollInterval)
        poll_timer->Start(poll_interval(), [this] { Poll(); }, poll_interval());
      if (r.was_away) {
        connected_since = clock.Steady();
        // Every held lease was renewed just now.
        for (auto& [id, held] : leases_held) held.renewed_at = connected_since;
        log::Warn("engine", "database was away: renewed every lease held, taking no one's leases for a while",
                  {{"leases", std::to_string(leases_held.size())},
                   {"wait_s", std::to_string(alive_window_s())}});
      }
      live_instances = std::max(1, r.live_instances);
      shaper.SetGlobalShare(config().rate_limits.global_per_second / r.live_instances,
                            config().rate_limits.global_burst / r.live_instances, clock.Steady());
      // Each destination's limits are the platform's promise to that
      // receiver: shared between the instances the same way.
      shaper.SetInstanceShare(r.live_instances, r.rank, clock.Steady());
      if (r.taken_over.requeued > 0 || r.taken_over.cancelled > 0)
        log::Warn("engine", "took over expired leases of dead instances",
                  {{"requeued", std::to_string(r.taken_over.requeued)},
                   {"cancelled", std::to_string(r.taken_over.cancelled)}});
      if (r.forgotten > 0)
        log::Warn("engine", "released own leases it had lost track of",
                  {{"deliveries", std::to_string(r.forgotten)}});
      ForgetWhatNoLeaseNeeds();
      CheckFeedbackGuards();
    }
    for (uint64_t id : r.finished) {
      log::Info("engine", "campaign sent", {{"campaign", std::to_string(id)}});
      campaigns.erase(id);
    }
    for (uint64_t id : r.to_expand) Expand(id);
    // A signing key switched (a rotation step anywhere, a revoked key) or
    // the domain changed state: re-prepare with what the database says now.
    for (auto& [id, e] : campaigns) {
      if (e.status != CampaignStatus::kReady) continue;
      auto v = r.key_versions.find(e.sender_domain_id);
      if (v == r.key_versions.end() || v->second == e.key_version) continue;
      log::Info("engine", "signing keys of the author domain changed; preparing the campaign again",
                {{"campaign", std::to_string(id)}, {"domain", e.prepared->row.domain}});
      e.key_version = v->second;
      Load(id, true);
    }
    std::set<uint64_t> sending(r.sending.begin(), r.sending.end());
    for (auto& [id, e] : campaigns) e.seen = sending.contains(id);
    // Up to engine.max_campaigns held (templates, keys, queues); the
    // others wait their turn, oldest first, and are loaded as room frees.
    for (uint64_t id : sending) {
      if (campaigns.size() >= static_cast<size_t>(config().engine.max_campaigns)) break;
      if (!campaigns.contains(id)) {
        Load(id);
      }
    }
    // Campaigns no longer sending (paused, cancelled, sent elsewhere): drop what we hold.
    std::set<uint64_t> cancelled;
    for (const auto& cs : r.known_states)
      if (cs.state == "cancelled" || cs.state == "failed") cancelled.insert(cs.id);
    for (auto it = campaigns.begin(); it != campaigns.end();) {
      if (!it->second.seen) {
        Deactivate(it->first, it->second, cancelled.contains(it->first));
        if (it->second.in_memory == 0) {
          it = campaigns.erase(it);
          continue;
        }
      }
      ++it;
    }
    if (options.exit_when_idle) {
      idle_polls = (!r.due_or_sending && in_memory() == 0 && outcomes.empty() && writes_pending == 0) ? idle_polls + 1 : 0;
      if (idle_polls >= 2) {
        log::Info("engine", "idle: nothing is sending or due, exiting");
        BeginDrain("idle");
      }
    }
    campaigns_asked_empty = 0;  // each poll asks every ready campaign at least once
    LeaseMore();
  }

  void Expand(uint64_t id) {
    if (expanding.contains(id)) return;
    expanding.insert(id);
    auto progress = std::make_shared<store::ExpandResult>();
    auto total = std::make_shared<int>(0);
    std::string instance = options.instance;
    int lease = lease_s();
    // The step refers to itself weakly; a pending job's callback holds it
    // strongly, so it lives exactly as long as the expansion goes on.
    auto step_ptr = std::make_shared<std::function<void()>>();
    std::weak_ptr<std::function<void()>> weak_step = step_ptr;
    *step_ptr = [this, id, progress, total, instance, lease, weak_step] {
      auto step_ptr = weak_step.lock();
      if (!step_ptr) return;
      db_expand->Submit(
          [=](store::Connection& db) -> Status {
            TAYORI_ASSIGN_OR_RETURN(*progress, store::ExpandChunk(db, id, instance, lease, kExpandChunk));
            return Status::Ok();
          },
          [this, id, progress, total, step_ptr](Status st) {
            if (!st.ok()) {
              log::Error("engine", "expanding campaign failed", {{"campaign", std::to_string(id)}, {"reason", st.message()}});
              expanding.erase(id);
              if (draining) MaybeFinishDrain();
              return;
            }
            *total += progress->inserted;
            if (progress->stopped) {
              // Paused, cancelled or taken by another instance meanwhile:
              // expansion ends here (resumed by whoever sends it again).
              log::Info("engine", "expansion stopped",
                        {{"campaign", std::to_string(id)}, {"reason", progress->stop_reason},
                         {"deliveries", std::to_string(*total)}});
              expanding.erase(id);
              if (draining) MaybeFinishDrain();
              return;
            }
            if (progress->done || draining) {
              log::Info("engine", progress->done ? "campaign expanded" : "expansion paused for drain",
                        {{"campaign", std::to_string(id)}, {"deliveries", std::to_string(*total)}});
              expanding.erase(id);
              if (draining) MaybeFinishDrain();
              return;
            }
            if (*total % (kExpandChunk * 20) == 0)
              log::Info("engine", "expanding campaign",
                        {{"campaign", std::to_string(id)}, {"deliveries", std::to_string(*total)}});
            LeaseMore();
            (*step_ptr)();
          });
    };
    (*step_ptr)();
  }

  // Loads and prepares a campaign; with `reload`, a ready campaign keeps
  // sending with what it has until the new preparation replaces it.
  void Load(uint64_t id, bool reload = false) {
    CampaignEntry& e = campaigns[id];
    if (!reload) e.status = CampaignStatus::kLoading;
    auto row = std::make_shared<store::CampaignRow>();
    auto keys = std::make_shared<std::vector<store::DomainKeyRow>>();
    auto version = std::make_shared<std::string>();
    db_read->Submit(
        [=](store::Connection& db) -> Status {
          TAYORI_ASSIGN_OR_RETURN(*row, store::LoadCampaign(db, id));
          // The version first: a switch right after it is seen at the next poll.
          TAYORI_ASSIGN_OR_RETURN(auto versions, store::SigningKeyVersions(db, {row->sender_domain_id}));
          *version = versions[row->sender_domain_id];
          TAYORI_ASSIGN_OR_RETURN(*keys, store::ActiveDomainKeys(db, row->sender_domain_id));
          return Status::Ok();
        },
        [this, id, row, keys, version](Status st) {
          auto it = campaigns.find(id);
          if (it == campaigns.end()) return;
          if (!st.ok()) {
            if (st.error_class() == ErrorClass::kPermanent) {
              // E.g. the campaign points at another shop's list: never send
              // it; pause it with the reason for the operator.
              BlockCampaign(id, it->second, st.message());
              return;
            }
            log::Warn("engine", "cannot load campaign", {{"campaign", std::to_string(id)}, {"reason", st.message()}});
            if (it->second.status == CampaignStatus::kLoading && it->second.in_memory == 0)
              campaigns.erase(it);  // tried again at the next poll
            return;
          }
          it->second.key_version = *version;
          it->second.tenant_id = row->tenant_id;
          it->second.list_id = row->list_id;
          it->second.sender_domain_id = row->sender_domain_id;
          // Compiling templates and unsealing keys is CPU work: on a worker.
          auto result = std::make_shared<Result<std::shared_ptr<const PreparedCampaign>>>(Internal("not run"));
          // The worker reads the configuration and secrets in force now,
          // whatever a reload meanwhile puts in their place.
          workers->Submit([this, id, row, keys, result, cfg = cfg_now, sec = secrets]() -> std::function<void()> {
            *result = PrepareCampaign(*row, *keys, *cfg, *sec, key_cache, clock);
            return [this, id, result] { OnPrepared(id, *result); };
          });
        });
  }

  void OnPrepared(uint64_t id, const Result<std::shared_ptr<const PreparedCampaign>>& result) {
    auto it = campaigns.find(id);
    if (it == campaigns.end()) return;
    if (!result.ok()) {
      BlockCampaign(id, it->second, result.status().message());
      return;
    }
    it->second.status = CampaignStatus::kReady;
    it->second.prepared = *result;
    log::Info("engine", "campaign ready", {{"campaign", std::to_string(id)}, {"domain", (*result)->row.domain}});
    LeaseMore();
  }

  // The campaign cannot send as it is: record why and pause it, so an
  // operator sees the reason in `tayori campaign status`. What we hold of it
  // goes back unstarted.
  void BlockCampaign(uint64_t id, CampaignEntry& e, const std::string& reason) {
    e.status = CampaignStatus::kBlocked;
    log::Error("engine", "campaign cannot send, pausing it", {{"campaign", std::to_string(id)}, {"reason", reason}});
    Deactivate(id, e);
    db_read->Submit(
        [id, reason](store::Connection& db) -> Status {
          return store::MoveCampaign(db, id, {"sending"}, "paused", ScrubUtf8(reason, 500), "engine").status();
        },
        [id](Status st) {
          if (!st.ok())
            log::Warn("engine", "pausing a campaign failed", {{"campaign", std::to_string(id)}, {"reason", st.message()}});
        });
  }

  void LeaseMore() {
    // While outcome writes fail, new work would only add to what is waiting.
    if (lease_busy || draining || stopped || heartbeats < 3 || writes_failing()) return;
    size_t low_water = static_cast<size_t>(config().engine.batch_size);
    if (queue.size() + parked.size() + slot_waiting + woken.size() >= low_water) return;
    // Up to kLeaseCampaigns ready campaigns per lease, taken in turn from
    // where the previous lease stopped, so that with thousands sending each
    // gets its share and one statement stays a reasonable size.
    std::vector<uint64_t> ready;
    for (auto it = campaigns.upper_bound(lease_cursor); ready.size() < kLeaseCampaigns && it != campaigns.end(); ++it)
      if (it->second.status == CampaignStatus::kReady) ready.push_back(it->first);
    for (auto it = campaigns.begin(); ready.size() < kLeaseCampaigns && it != campaigns.end() && it->first <= lease_cursor; ++it)
      if (it->second.status == CampaignStatus::kReady) ready.push_back(it->first);
    if (ready.empty()) return;
    lease_cursor = ready.back();
    lease_busy = true;
    SteadyTime asked = lease_asked_at = clock.Steady();
    int per_campaign = std::max(10, config().engine.batch_size / static_cast<int>(ready.size()));
    auto leased = std::make_shared<std::vector<store::LeasedDelivery>>();
    std::string instance = options.instance;
    int lease = lease_s();
    db_read->Submit(
        [=](store::Connection& db) -> Status {
          // One transaction: a retried job (a deadlock, a lost connection)
          // starts again from nothing leased.
          TAYORI_ASSIGN_OR_RETURN(*leased, store::LeaseDeliveries(db, ready, instance, lease, per_campaign));
          return Status::Ok();
        },
        [this, leased, asked, asked_for = ready.size()](Status st) {
          lease_busy = false;
          for (auto& d : *leased) Enqueue(std::move(d), asked);
          Pump();
          if (!st.ok()) {
            log::Warn("engine", "leasing failed", {{"reason", st.message()}});
            return;
          }
          // Keep the queue topped up while there is work: after an empty
          // lease only until every ready campaign has been asked once.
          campaigns_asked_empty = leased->empty() ? campaigns_asked_empty + asked_for : 0;
          if (campaigns_asked_empty < campaigns.size()) LeaseMore();
        });
  }

  void Enqueue(store::LeasedDelivery d, SteadyTime asked) {
    auto it = campaigns.find(d.campaign_id);
    auto item = std::make_shared<Item>();
    item->tenant_id = it != campaigns.end() ? it->second.tenant_id : 0;
    auto domain = mime::DomainToALabel(d.dest_domain);
    item->shaping_key = shaper.KeyOf(domain.ok() ? *domain : d.dest_domain);
    item->delivery = std::move(d);
    leases_held[item->delivery.id] = Held{asked, clock.Steady()};
    if (it != campaigns.end()) ++it->second.in_memory;
    queue.Push(item->tenant_id, item->delivery.campaign_id, item);
  }

  // Drops a campaign's queued and parked items: released unstarted (paused)
  // or cancelled. Items already with a worker or relay finish normally.
  void Deactivate(uint64_t id, CampaignEntry& e, bool cancelled = false) {
    auto removed = queue.RemoveCampaign(e.tenant_id, id);
    std::vector<Parked> keep;
    while (!parked.empty()) {
      Parked p = parked.top();
      parked.pop();
      if (p.item->delivery.campaign_id == id) removed.push_back(p.item);
      else keep.push_back(p);
    }
    for (auto& p : keep) parked.push(p);
    for (auto& item : TakeWaiting([id](const Item& i) { return i.delivery.campaign_id == id; }))
      removed.push_back(std::move(item));
    for (auto& item : removed) {
      if (cancelled) {
        store::DeliveryOutcome o;
        o.delivery_id = item->delivery.id;
        o.campaign_id = id;
        o.state = "cancelled";
        o.counts_attempt = false;
        Record(*item, std::move(o));
      } else {
        Release(*item);
      }
    }
    if (!removed.empty())
      log::Info("engine", "campaign no longer sending, released its deliveries",
                {{"campaign", std::to_string(id)}, {"deliveries", std::to_string(removed.size())}});
  }

  // Gives a leased delivery back untouched.
  void Release(const Item& item, SysTime when = SysTime{}) {
    store::DeliveryOutcome o;
    o.delivery_id = item.delivery.id;
    o.campaign_id = item.delivery.campaign_id;
    o.state = when == SysTime{} ? "queued" : "deferred";
    o.next_attempt_unix = UnixSeconds(when == SysTime{} ? clock.Now() : when);
    o.counts_attempt = false;
    Record(item, std::move(o));
  }

  // The lease stays held (and renewed) until the outcome is committed.
  void Record(const Item& item, store::DeliveryOutcome o) {
    auto it = campaigns.find(item.delivery.campaign_id);
    if (it != campaigns.end() && it->second.in_memory > 0) --it->second.in_memory;
    if (o.state == "sent") ++sent_total;
    ++outcomes_total;
    ++outcomes_by_state[o.state];
    if (config().admin.shop_series > 0 && it != campaigns.end() && it->second.prepared) {
      ShopCounts& shop = shop_counts[it->second.tenant_id];
      if (shop.slug.empty()) shop.slug = it->second.prepared->row.tenant_slug;
      ++shop.total;
      ++shop.by_outcome[o.state];
    }
    outcomes.push_back(std::move(o));
    if (outcomes.size() >= kFlushBatch) Flush();
  }

  // ---- dispatch -----------------------------------------------------------------

  bool Suppressed(const Item& item, uint64_t list_id) const {
    return suppressed.Contains(item.tenant_id, list_id, item.delivery.email);
  }

  void Pump() {
    if (stopped) return;
    // While outcomes cannot be written, sending more would only grow what a
    // crash could send twice: what is queued waits (its leases renewed).
    if (writes_failing() && !draining) {
      ArmParkTimer(std::chrono::milliseconds(500));
      return;
    }
    SteadyTime now = clock.Steady();
    while (!parked.empty() && parked.top().ready_at <= now) {
      auto item = parked.top().item;
      parked.pop();
      queue.Push(item->tenant_id, item->delivery.campaign_id, item);
    }
    const size_t park_limit = static_cast<size_t>(config().engine.batch_size) * 2;
    while (building + ready.size() < build_window && (!woken.empty() || !queue.empty()) &&
           parked.size() + slot_waiting < park_limit) {
      // Waiting for the global budget keeps the work in the fair queue, so
      // the order between shops stays exactly round robin.
      ratelimit::Decision global = shaper.PeekGlobal(now);
      if (!global.allowed) {
        ++rate_waits;
        ArmParkTimer(std::chrono::duration_cast<std::chrono::milliseconds>(global.retry_after) + 1ms);
        return;
      }
      std::shared_ptr<Item> item;
      if (!woken.empty()) {
        item = std::move(woken.front());
        woken.pop_front();
      } else {
        item = *queue.Pop();
      }
      auto cit = campaigns.find(item->delivery.campaign_id);
      if (draining || cit == campaigns.end() || cit->second.status != CampaignStatus::kReady) {
        Release(*item);
        continue;
      }
      const CampaignEntry& c = cit->second;
      if (Suppressed(*item, c.list_id)) {
        store::DeliveryOutcome o;
        o.delivery_id = item->delivery.id;
        o.campaign_id = item->delivery.campaign_id;
        o.state = "suppressed";
        o.counts_attempt = false;
        Record(*item, std::move(o));
        continue;
      }
      ratelimit::Decision d = shaper.TryReserve(item->shaping_key, now);
      if (!d.allowed) {
        ++rate_waits;
        if (d.until_slot_frees) {
          slot_waiters[item->shaping_key].push_back(std::move(item));
          ++slot_waiting;
        } else if (d.retry_after > kParkLimit) {
          // A paused destination: the database keeps it, not our memory.
          Release(*item, clock.Now() + std::chrono::duration_cast<std::chrono::system_clock::duration>(d.retry_after));
        } else {
          parked.push(Parked{now + d.retry_after, item});
        }
        continue;
      }
      Build(item, c.prepared);
    }
    ArmParkTimer();
  }

  // A message of `key` finished or was given up: as many of the items
  // waiting for one of its slots as there are free slots go to the front.
  void WakeSlotWaiters(const std::string& key) {
    auto it = slot_waiters.find(key);
    if (it == slot_waiters.end()) return;
    for (int n = shaper.FreeSlots(key); n > 0 && !it->second.empty(); --n) {
      woken.push_back(std::move(it->second.front()));
      it->second.pop_front();
      --slot_waiting;
    }
    if (it->second.empty()) slot_waiters.erase(it);
  }

  // Every item waiting for a slot or woken, taken out (drain, deactivation).
  std::vector<std::shared_ptr<Item>> TakeWaiting(const std::function<bool(const Item&)>& which) {
    std::vector<std::shared_ptr<Item>> out;
    auto take = [&](std::deque<std::shared_ptr<Item>>& d) {
      std::deque<std::shared_ptr<Item>> keep;
      for (auto& item : d) {
        if (which(*item)) out.push_back(std::move(item));
        else keep.push_back(std::move(item));
      }
      d = std::move(keep);
    };
    take(woken);
    for (auto it = slot_waiters.begin(); it != slot_waiters.end();) {
      size_t before = it->second.size();
      take(it->second);
      slot_waiting -= before - it->second.size();
      it = it->second.empty() ? slot_waiters.erase(it) : std::next(it);
    }
    return out;
  }

  // Wakes Pump() when the next parked item is due, or after `at_most`.
  void ArmParkTimer(std::chrono::milliseconds at_most = std::chrono::milliseconds::max()) {
    std::chrono::milliseconds wait = at_most;
    if (!parked.empty())
      wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(parked.top().ready_at - clock.Steady()));
    if (wait == std::chrono::milliseconds::max()) {
      park_timer->Stop();
      return;
    }
    park_timer->Start(std::max(wait, 1ms), [this] { Pump(); });
  }

  void Build(std::shared_ptr<Item> item, std::shared_ptr<const PreparedCampaign> campaign) {
    ++building;
    building_items[item->delivery.id] = item;
    SysTime now = clock.Now();
    workers->Submit([this, item, campaign, now]() -> std::function<void()> {
      thread_local render::SystemRandom random;
      auto t0 = std::chrono::steady_clock::now();
      auto built = std::make_shared<Result<BuiltMessage>>(BuildMessage(*campaign, item->delivery, now, random));
      if (built->ok()) sign_hist.Observe((*built)->sign_seconds);
      build_ns += static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
      ++built_messages;
      return [this, item, campaign, built] { OnBuilt(item, campaign, *built); };
    });
  }

  void OnBuilt(std::shared_ptr<Item> item, std::shared_ptr<const PreparedCampaign> campaign,
               Result<BuiltMessage>& built) {
    --building;
    if (building_items.erase(item->delivery.id) == 0) {
      // Given back at the drain deadline while it was being built.
      shaper.Abandon(item->shaping_key);
      WakeSlotWaiters(item->shaping_key);
      if (draining) MaybeFinishDrain();
      return;
    }
    if (!built.ok()) {
      // This recipient's data cannot make a valid message (bad address,
      // header injection attempt): fail it with the reason, never send it.
      shaper.Abandon(item->shaping_key);
      WakeSlotWaiters(item->shaping_key);
      store::DeliveryOutcome o;
      o.delivery_id = item->delivery.id;
      o.campaign_id = item->delivery.campaign_id;
      o.state = "failed";
      o.reply = "not sent: " + built.status().message();
      log::Warn("engine", "delivery rejected before sending",
                {{"delivery", std::to_string(item->delivery.id)}, {"reason", built.status().message()}});
      Record(*item, std::move(o));
      Pump();
      return;
    }
    ready.push_back(Ready{std::move(item), std::move(campaign), std::move(*built)});
    SubmitReady();
    Pump();
  }

  void SubmitReady() {
    while (submitting < submit_window && !ready.empty()) {
      Ready r = std::move(ready.front());
      ready.pop_front();
      ++submitting;
      smtp::Submission s{r.item->delivery.id, r.built.envelope_to, r.built.data};
      submitter->Submit(std::move(s), [this, item = r.item, campaign = r.campaign, message_id = r.built.message_id,
                                       started = clock.Steady()](smtp::SubmitResult res) {
        auto& h = relay_hist[res.relay];
        if (!h) h = std::make_unique<metrics::Histogram>(metrics::Histogram::LatencyBounds());
        h->Observe(std::chrono::duration<double>(clock.Steady() - started).count());
        OnSubmitted(*item, *campaign, message_id, res);
      });
    }
  }

  void OnSubmitted(const Item& item, const PreparedCampaign& campaign, const std::string& message_id,
                   const smtp::SubmitResult& r) {
    --submitting;
    shaper.Finish(item.shaping_key, FeedbackFor(r.classification.outcome), clock.Steady());
    WakeSlotWaiters(item.shaping_key);
    ++replies_by_code[{r.relay, r.reply.code}];
    DeliveryContext ctx{&item.delivery, campaign.row.tenant_id, campaign.row.sender_domain_id, message_id};
    double u = std::uniform_real_distribution<double>(0, 1)(rng);
    store::DeliveryOutcome o = OutcomeFor(ctx, r, retry, clock.Now(), u);
    if (o.suppress_address)
      suppressed.AddPending(campaign.row.tenant_id, item.delivery.email);
    if (o.pause_sender_domain) PauseDomainLocally(campaign.row.sender_domain_id, r.reply.ToString());
    if (r.classification.outcome == smtp::Outcome::kDelivered && sent_total == 0)
      // How long a restart keeps due mail waiting: the first acceptance
      // after start (polls, claim, expansion, lease, build, submission).
      log::Info("engine", "first message accepted by a relay",
                {{"after_ms", std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 clock.Steady() - started_at).count())}});
    if (r.classification.outcome != smtp::Outcome::kDelivered)
      log::Info("relay", std::string("delivery ") + std::string(smtp::OutcomeName(r.classification.outcome)),
                {{"delivery", std::to_string(item.delivery.id)}, {"relay", r.relay}, {"reply", o.reply}});
    Record(item, std::move(o));
    SubmitReady();
    if (draining) MaybeFinishDrain();
    else Pump();
  }

  // An authentication failure: every further message of this author domain
  // would fail too. Stop its campaigns here at once; the write-back pauses the
  // domain and its campaigns in the database and records the alert.
  void PauseDomainLocally(uint64_t domain_id, const std::string& reply) {
    paused_domains.insert(domain_id);
    for (auto& [id, e] : campaigns) {
      if (e.sender_domain_id != domain_id || e.status != CampaignStatus::kReady) continue;
      log::Error("engine", "ALERT sender domain failed authentication at the receiver; pausing its campaigns",
                 {{"campaign", std::to_string(id)}, {"domain", e.prepared->row.domain}, {"reply", reply}});
      e.status = CampaignStatus::kBlocked;
      Deactivate(id, e);
    }
  }

  // ---- metrics (Prometheus text exposition) ---------------------------------------

  std::string MetricsText() const {
    metrics::Writer w;
    w.Family("tayori_messages_total", "counter", "Deliveries by the outcome this engine recorded.");
    for (const auto& [state, n] : outcomes_by_state)
      w.Sample("tayori_messages_total", {{"outcome", state}}, static_cast<double>(n));
    w.Family("tayori_relay_replies_total", "counter", "Final relay replies by relay and SMTP code (0: no reply).");
    for (const auto& [key, n] : replies_by_code)
      w.Sample("tayori_relay_replies_total", {{"relay", key.first}, {"code", std::to_string(key.second)}},
               static_cast<double>(n));
    w.Family("tayori_queue_depth", "gauge", "Leased deliveries waiting in the fair queue.");
    w.Sample("tayori_queue_depth", static_cast<double>(queue.size()));
    w.Family("tayori_parked", "gauge", "Deliveries waiting for a destination's rate.");
    w.Sample("tayori_parked", static_cast<double>(parked.size()));
    w.Family("tayori_in_flight", "gauge", "Messages being rendered and signed, or with a relay.");
    w.Sample("tayori_in_flight", {{"stage", "build"}}, static_cast<double>(building));
    w.Sample("tayori_in_flight", {{"stage", "ready"}}, static_cast<double>(ready.size()));
    w.Sample("tayori_in_flight", {{"stage", "submit"}}, static_cast<double>(submitting));
    w.Family("tayori_leases_held", "gauge", "Deliveries this engine holds a lease on.");
    w.Sample("tayori_leases_held", static_cast<double>(leases_held.size()));
    w.Family("tayori_build_seconds_total", "counter", "Time spent rendering and signing.");
    w.Sample("tayori_build_seconds_total", static_cast<double>(build_ns.load()) / 1e9);
    w.Family("tayori_built_messages_total", "counter", "Messages rendered and signed.");
    w.Sample("tayori_built_messages_total", static_cast<double>(built_messages.load()));
    w.Family("tayori_rate_limit_waits_total", "counter", "Times a message waited for the global or a destination rate.");
    w.Sample("tayori_rate_limit_waits_total", static_cast<double>(rate_waits));
    w.Family("tayori_paused_sender_domains", "gauge", "Author domains this engine paused after authentication failures.");
    w.Sample("tayori_paused_sender_domains", static_cast<double>(paused_domains.size()));
    w.Family("tayori_suppressions_cached", "gauge", "Suppressions held in memory for deliveries leased before them.");
    w.Sample("tayori_suppressions_cached", static_cast<double>(suppressed.size()));
    w.Family("tayori_destinations_tracked", "gauge", "Destination groups with shaping state in memory.");
    w.Sample("tayori_destinations_tracked", static_cast<double>(shaper.size()));
    if (inbound) w.Append(inbound->MetricsText());
    if (readiness) w.Append(readiness->MetricsText());
    w.Family("tayori_campaigns_active", "gauge", "Campaigns this engine is sending (at most engine.max_campaigns).");
    w.Sample("tayori_campaigns_active", static_cast<double>(campaigns.size()));
    // Parsed signing keys: the cache is bounded (crypto::KeyCache capacity);
    // campaigns being sent hold theirs besides.
    crypto::KeyCache::Stats keys = key_cache.stats();
    w.Family("tayori_key_cache_keys", "gauge", "Parsed private keys in the signing key cache.");
    w.Sample("tayori_key_cache_keys", static_cast<double>(keys.size));
    w.Family("tayori_key_cache_parses_total", "counter", "Private keys parsed (cache misses).");
    w.Sample("tayori_key_cache_parses_total", static_cast<double>(keys.misses));
    w.Family("tayori_key_cache_evictions_total", "counter", "Keys dropped from the cache to stay within its capacity.");
    w.Sample("tayori_key_cache_evictions_total", static_cast<double>(keys.evictions));
    w.Family("tayori_database_up", "gauge", "1 when the last database job reached the server.");
    w.Sample("tayori_database_up", db_read && db_write && db_read->healthy() && db_write->healthy() ? 1 : 0);
    w.Family("tayori_writeback_failing", "gauge", "1 while outcome writes fail (no new work is leased meanwhile).");
    w.Sample("tayori_writeback_failing", writes_failing() ? 1 : 0);
    w.Family("tayori_writeback_failures_total", "counter", "Outcome write transactions that failed and were retried.");
    w.Sample("tayori_writeback_failures_total", static_cast<double>(write_failures_total));
    w.Family("tayori_outcomes_unwritten", "gauge", "Outcomes recorded but not yet committed (their leases are kept).");
    w.Sample("tayori_outcomes_unwritten", static_cast<double>(outcomes.size()));
    w.Family("tayori_writeback_seconds_total", "counter", "Time spent in committed outcome writes.");
    w.Sample("tayori_writeback_seconds_total", write_seconds_total);
    w.Family("tayori_config_reloads_total", "counter", "SIGHUP reloads, by result.");
    w.Sample("tayori_config_reloads_total", {{"result", "applied"}},
             static_cast<double>(reloads_total - reload_failures_total));
    w.Sample("tayori_config_reloads_total", {{"result", "refused"}}, static_cast<double>(reload_failures_total));
    w.Family("tayori_sign_seconds", "histogram", "Time to DKIM-sign one message (body hash, header hash, signature).");
    w.Histogram("tayori_sign_seconds", {}, sign_hist.Snap());
    w.Family("tayori_relay_transaction_seconds", "histogram",
             "Time from handing a message to the SMTP client to the relay's final reply, by relay.");
    for (const auto& [relay, h] : relay_hist) w.Histogram("tayori_relay_transaction_seconds", {{"relay", relay}}, h->Snap());
    w.Family("tayori_writeback_batch_seconds", "histogram", "Time from dispatching an outcome batch to its commit.");
    w.Histogram("tayori_writeback_batch_seconds", {}, write_hist.Snap());
    ShopSeries(w);
    return w.Take();
  }

  // admin.shop_series: the N shops with the most outcomes recorded here, so a
  // platform of thousands of shops stays a bounded scrape (0: none).
  void ShopSeries(metrics::Writer& w) const {
    size_t n = static_cast<size_t>(config().admin.shop_series);
    if (n == 0) return;
    std::vector<const ShopCounts*> shops;
    shops.reserve(shop_counts.size());
    for (const auto& [id, c] : shop_counts) shops.push_back(&c);
    n = std::min(n, shops.size());
    std::partial_sort(shops.begin(), shops.begin() + static_cast<std::ptrdiff_t>(n), shops.end(),
                      [](const ShopCounts* a, const ShopCounts* b) { return a->total > b->total || (a->total == b->total && a->slug < b->slug); });
    w.Family("tayori_shop_messages_total", "counter",
             "Deliveries by outcome for the admin.shop_series shops with the most outcomes recorded here.");
    for (size_t i = 0; i < n; ++i)
      for (const auto& [state, count] : shops[i]->by_outcome)
        w.Sample("tayori_shop_messages_total", {{"shop", shops[i]->slug}, {"outcome", state}}, static_cast<double>(count));
  }

  // ---- reload (SIGHUP) -------------------------------------------------------------

  // Reads the configuration file again and applies what may change while
  // running (daemon/reload.h). Whatever can fail is tried first, so a
  // refused reload changes nothing; the work in hand is neither dropped
  // nor repeated: queued and in-flight deliveries keep their leases, and
  // only limits, relays, keys and resolvers change under them.
  void Reload() {
    if (options.config_path.empty()) {
      log::Warn("engine", "SIGHUP ignored: the engine was not started from a configuration file");
      return;
    }
    if (draining || stopped) {
      log::Info("engine", "SIGHUP ignored while draining");
      return;
    }
    ++reloads_total;
    if (notifier) notifier->Reloading("reloading " + options.config_path);
    Status st = TryReload();
    if (!st.ok()) {
      ++reload_failures_total;
      log::Error("engine", "reload refused; the running configuration stays in force",
                 {{"file", options.config_path}, {"reason", st.message()}});
      if (notifier) notifier->Reloaded("reload refused: " + st.message());
      return;
    }
    if (notifier) notifier->Reloaded("configuration reloaded");
  }

  Status TryReload() {
    TAYORI_ASSIGN_OR_RETURN(config::Config file, config::LoadConfigFile(options.config_path));
    ReloadPlan plan = PlanReload(config(), file);
    if (!plan.need_restart.empty())
      log::Warn("engine", "reload: these settings changed in the file but take effect only at a restart",
                {{"settings", JoinSettings(plan.need_restart)}});
    if (plan.applied.empty()) {
      log::Info("engine", "reload: no setting that can change while running has changed",
                {{"file", options.config_path}});
      return Status::Ok();
    }
    auto next = std::make_shared<const config::Config>(std::move(plan.next));

    // Everything that can fail, before anything changes.
    std::unique_ptr<smtp::Submitter> new_submitter;
    if (plan.Changed("relays")) {
      TAYORI_ASSIGN_OR_RETURN(new_submitter, smtp::Submitter::Create(loop, *next, clock));
    }
    std::shared_ptr<const FactorySecrets> new_secrets;
    if (plan.Changed("unsubscribe")) {
      TAYORI_ASSIGN_OR_RETURN(FactorySecrets loaded, LoadFactorySecrets(*next));
      new_secrets = std::make_shared<const FactorySecrets>(std::move(loaded));
    }
    std::unique_ptr<dns::Provider> new_provider;
    std::unique_ptr<dns::Resolver> new_resolver;
    if (plan.Changed("dns")) {
      TAYORI_ASSIGN_OR_RETURN(new_provider,
                              dns::MakeProvider(next->dns, next->dkim.platform_zone, loop, *dns_transfers));
      dns::ResolverOptions ro;
      ro.servers = next->dns.resolver;
      TAYORI_ASSIGN_OR_RETURN(new_resolver, dns::Resolver::Create(loop, ro));
    }
    if (plan.Changed("unsubscribe")) TAYORI_RETURN_IF_ERROR(http->Reconfigure(*next));

    // From here nothing fails.
    configs_in_force.push_back(next);
    cfg_now = next;
    if (plan.Changed("logging")) {
      log::Level level = log::Level::kInfo;
      log::Format format = log::Format::kText;
      log::Prefix prefix = log::Prefix::kAuto;
      log::ParseLevel(next->logging.level, &level);
      log::ParseFormat(next->logging.format, &format);
      log::ParsePrefix(next->logging.priority_prefix, &prefix);
      log::Configure(level, format, prefix);
    }
    if (plan.Changed("rate_limits")) {
      SteadyTime now = clock.Steady();
      shaper.Reconfigure(next->rate_limits, now);
      shaper.SetGlobalShare(next->rate_limits.global_per_second / live_instances,
                            next->rate_limits.global_burst / live_instances, now);
      // Messages parked for the old limits try again under the new ones.
      Pump();
    }
    if (plan.Changed("retry")) retry = scheduler::RetryPolicy(next->retry);
    if (new_submitter) {
      // What the old relays hold finishes there; new messages go to the new.
      retired_submitters.push_back(std::move(submitter));
      submitter = std::move(new_submitter);
      size_t connections = 0;
      for (const auto& r : next->relays) connections += static_cast<size_t>(r.max_connections);
      submit_window = std::max<size_t>(2, connections * 2);
      SubmitReady();
    }
    if (new_secrets) {
      secrets_in_force.push_back(secrets);
      secrets = new_secrets;
      // Campaigns prepared with the old unsubscribe key or base URL are
      // prepared again, as after a signing key switch.
      for (auto& [id, e] : campaigns)
        if (e.status == CampaignStatus::kReady) Load(id, true);
    }
    if (new_provider) {
      pending_provider = std::move(new_provider);
      pending_resolver = std::move(new_resolver);
      dns_swap_pending = true;
      if (!lifecycle->ticking()) SwapDns();
    }
    if (plan.Changed("dns") || plan.Changed("readiness")) readiness->Reconfigure(*next);
    log::Info("engine", "configuration reloaded",
              {{"file", options.config_path}, {"changed", JoinSettings(plan.applied)}});
    return Status::Ok();
  }

  // The key lifecycle publishes through the new DNS provider and resolver
  // from its next pass; called only between passes.
  void SwapDns() {
    dns_swap_pending = false;
    lifecycle.reset();
    dns_provider = std::move(pending_provider);
    resolver = std::move(pending_resolver);
    lifecycle = std::make_unique<keys::KeyLifecycle>(loop, *db_dkim, dns_provider.get(), *resolver, clock,
                                                     secrets->keks.front(), config().dkim,
                                                     "engine:" + options.instance);
    log::Info("engine", "key lifecycle now uses the reloaded DNS settings");
  }

  // Not ready while draining, while the database is unreachable, or while
  // outcome writes fail (the engine then sends nothing new): "" when ready,
  // else what /readyz says.
  std::string NotReady() const {
    if (draining) return "draining";
    if (!db_read || !db_read->healthy() || !db_write->healthy()) return "database unreachable";
    if (writes_failing()) return "outcome writes failing";
    return "";
  }

  // ---- write-back ---------------------------------------------------------------

  // One write at a time, oldest outcomes first; a write that fails keeps its
  // outcomes (and their leases) and is tried again after a backoff.
  void Flush() {
    if (outcomes.empty() || writes_pending > 0 || write_retry_armed || finishing) return;
    size_t n = std::min(outcomes.size(), kMaxWriteBatch);
    auto batch = std::make_shared<std::vector<store::DeliveryOutcome>>(
        std::make_move_iterator(outcomes.begin()), std::make_move_iterator(outcomes.begin() + static_cast<std::ptrdiff_t>(n)));
    outcomes.erase(outcomes.begin(), outcomes.begin() + static_cast<std::ptrdiff_t>(n));
    ++writes_pending;
    std::string instance = options.instance;
    auto started = clock.Steady();
    db_write->Submit([batch, instance](store::Connection& db) { return store::WriteOutcomes(db, instance, *batch).status(); },
                     [this, batch, started](Status st) {
                       --writes_pending;
                       if (st.ok()) OnWritten(*batch, started);
                       else OnWriteFailed(batch, st);
                     });
  }

  void OnWritten(const std::vector<store::DeliveryOutcome>& batch, SteadyTime started) {
    SteadyTime now = clock.Steady();
    for (const auto& o : batch) {
      leases_held.erase(o.delivery_id);
      if (o.suppress_address) suppressed.Committed(o.tenant_id, o.email, now);
    }
    double took = std::chrono::duration<double>(clock.Steady() - started).count();
    write_seconds_total += took;
    write_hist.Observe(took);
    if (write_failures > 0) {
      log::Info("engine", "outcome writes recovered; leasing resumes",
                {{"failed_attempts", std::to_string(write_failures)}});
      write_failures = 0;
    }
    // A full batch goes at once; a partial one waits for the flush timer:
    // flushing whatever arrived during the last write kept the write-back
    // busy with batches of a few dozen, eight statements each.
    if (outcomes.size() >= kFlushBatch || draining) Flush();
    if (draining) MaybeFinishDrain();
    else LeaseMore();
  }

  void OnWriteFailed(std::shared_ptr<std::vector<store::DeliveryOutcome>> batch, const Status& st) {
    // Back in front, in order: the next attempt writes them first.
    outcomes.insert(outcomes.begin(), std::make_move_iterator(batch->begin()), std::make_move_iterator(batch->end()));
    ++write_failures;
    ++write_failures_total;
    write_error = st.message();
    auto delay = std::min<std::chrono::milliseconds>(std::chrono::milliseconds(500 << std::min(write_failures, 6)),
                                                     kMaxWriteBackoff);
    SteadyTime now = clock.Steady();
    if (write_failures == 1 || now - write_alert_at >= std::chrono::seconds(60)) {
      write_alert_at = now;
      log::Error("engine", "ALERT writing outcomes failed; keeping them and their leases, leasing no new work until "
                           "a write succeeds",
                 {{"outcomes_waiting", std::to_string(outcomes.size())}, {"attempt", std::to_string(write_failures)},
                  {"retry_in_ms", std::to_string(delay.count())}, {"reason", st.message()}});
    }
    write_retry_armed = true;
    write_retry_timer->Start(delay, [this] {
      write_retry_armed = false;
      Flush();
    });
    if (draining) MaybeFinishDrain();
  }

  // ---- drain --------------------------------------------------------------------

  void BeginDrain(const char* why) {
    if (draining) return;
    draining = true;
    log::Info("engine", "draining: no new work, finishing in-flight messages", {{"reason", why}});
    notifier->Stopping(std::string("draining (") + why + ")");
    if (inbound) inbound->Drain([] {});  // no new connections; open sessions finish
    if (readiness) readiness->Stop();
    // Polls go on, housekeeping only: the heartbeat says we are alive and
    // the leases of what is still in flight stay renewed.
    // Unstarted work goes back to the database at once.
    while (!queue.empty()) Release(**queue.Pop());
    while (!parked.empty()) {
      Release(*parked.top().item);
      parked.pop();
    }
    for (auto& item : TakeWaiting([](const Item&) { return true; })) Release(*item);
    park_timer->Stop();
    drain_timer->Start(std::chrono::seconds(config().engine.drain_timeout_s), [this] {
      log::Warn("engine", "drain deadline reached; unstarted messages go back, those still with a relay keep their "
                          "leases until they expire",
                {{"in_flight", std::to_string(in_flight())}, {"outcomes_unwritten", std::to_string(outcomes.size())}});
      Finish();
    });
    Flush();
    MaybeFinishDrain();
  }

  void MaybeFinishDrain() {
    if (finishing || in_flight() > 0) return;
    if (!outcomes.empty()) {
      Flush();
      return;
    }
    if (writes_pending > 0 || !expanding.empty()) return;
    Finish();
  }

  // The last write: what is unstarted goes back to 'queued', every outcome
  // still waiting is written, and the instance is marked stopped. A message
  // still with a relay keeps its lease: it may be delivered yet, so it is
  // taken over only once that lease expires (the documented duplicate bound),
  // never released at once for another instance to send right away.
  void Finish() {
    if (finishing) return;
    finishing = true;
    drain_timer->Stop();
    write_retry_timer->Stop();
    poll_timer->Stop();
    for (auto& r : ready) Release(*r.item);
    ready.clear();
    for (auto& [id, item] : building_items) Release(*item);
    building_items.clear();
    auto batch = std::make_shared<std::vector<store::DeliveryOutcome>>(std::make_move_iterator(outcomes.begin()),
                                                                      std::make_move_iterator(outcomes.end()));
    outcomes.clear();
    // Held leases without an outcome here are with a relay.
    std::unordered_set<uint64_t> in_batch;
    for (const auto& o : *batch) in_batch.insert(o.delivery_id);
    auto with_relay = std::make_shared<std::vector<uint64_t>>();
    for (const auto& [id, h] : leases_held)
      if (!in_batch.contains(id)) with_relay->push_back(id);
    auto unwritten = std::make_shared<size_t>(0);
    std::string instance = options.instance;
    store::InstanceIdentity who = self;
    ++writes_pending;
    db_write->Submit(
        [instance, who, batch, with_relay, unwritten](store::Connection& db) -> Status {
          std::vector<uint64_t> keep = *with_relay;
          if (!batch->empty()) {
            auto written = store::WriteOutcomes(db, instance, *batch);
            if (!written.ok()) {
              // Their leases stay: a sent message's outcome must not become
              // 'queued' by a blanket release.
              *unwritten = batch->size();
              for (const auto& o : *batch) keep.push_back(o.delivery_id);
              log::Error("engine", "ALERT final outcome write failed; those deliveries keep their leases and are "
                                   "taken over when they expire",
                         {{"outcomes", std::to_string(batch->size())}, {"reason", written.status().message()}});
            }
          }
          std::sort(keep.begin(), keep.end());
          TAYORI_RETURN_IF_ERROR(store::ReleaseLeasesExcept(db, instance, keep).status());
          return store::Heartbeat(db, who, "stopped", 1).status();
        },
        [this, with_relay](Status st) {
          --writes_pending;
          if (!st.ok()) log::Warn("engine", "final release failed", {{"reason", st.message()}});
          log::Info("engine", "stopped",
                    {{"sent", std::to_string(sent_total)}, {"outcomes", std::to_string(outcomes_total)},
                     {"left_with_relays", std::to_string(with_relay->size())}});
          Stop();
        });
    // A database that does not answer must not keep the process alive.
    drain_timer->Start(kFinalWriteTimeout, [this] {
      log::Error("engine", "final write did not finish; exiting without it (leases expire and are taken over)");
      exit_code = 1;
      Stop();
    });
  }
};

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::Create(const config::Config& config, EngineOptions options) {
  if (options.instance.empty()) options.instance = config.engine.instance_name;
  if (options.instance.empty()) options.instance = DefaultInstanceName();
  auto impl = std::make_unique<Impl>(config, std::move(options));
  TAYORI_ASSIGN_OR_RETURN(FactorySecrets secrets, LoadFactorySecrets(config));
  impl->secrets = std::make_shared<const FactorySecrets>(std::move(secrets));
  TAYORI_ASSIGN_OR_RETURN(impl->db_password, config::ResolveSecret(config.database.password_env, "database.password_env"));
  // Fail fast on a wrong database, a missing privilege or a name in use,
  // before starting any thread.
  {
    TAYORI_ASSIGN_OR_RETURN(auto db, store::Connection::Open(config.database, impl->db_password));
    TAYORI_RETURN_IF_ERROR(store::CheckEnginePrivileges(*db, config.database.user));
    char host[256] = {0};
    gethostname(host, sizeof host - 1);
    impl->self = store::InstanceIdentity{impl->options.instance, host, static_cast<int>(getpid())};
    auto pid_alive = [](int pid) { return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM); };
    // Engines started together may deadlock on the name rows' gap locks:
    // a transient error, tried again.
    auto claimed = store::ClaimInstanceName(*db, impl->self, impl->alive_window_s(), pid_alive);
    for (int attempt = 1; !claimed.ok() && claimed.status().transient() && attempt < 10; ++attempt) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100 * attempt));
      claimed = store::ClaimInstanceName(*db, impl->self, impl->alive_window_s(), pid_alive);
    }
    TAYORI_ASSIGN_OR_RETURN(auto claim, std::move(claimed));
    if (claim.released_leases > 0)
      log::Warn("engine", "a previous process of this instance name died holding leases; released them",
                {{"instance", impl->options.instance}, {"deliveries", std::to_string(claim.released_leases)}});
  }
  TAYORI_RETURN_IF_ERROR(impl->Start());
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

int Engine::Run() {
  impl_->loop.Run();
  // Tear down in order: nothing may Post to the loop once it is gone.
  impl_->sigterm.reset();
  impl_->sigint.reset();
  impl_->sighup.reset();
  impl_->poll_timer.reset();
  impl_->flush_timer.reset();
  impl_->park_timer.reset();
  impl_->drain_timer.reset();
  impl_->progress_timer.reset();
  impl_->write_retry_timer.reset();
  impl_->lifecycle_timer.reset();
  impl_->lifecycle.reset();
  impl_->inbound.reset();
  impl_->readiness.reset();
  impl_->notifier.reset();
  impl_->http.reset();
  impl_->resolver.reset();
  impl_->dns_provider.reset();
  impl_->pending_resolver.reset();
  impl_->pending_provider.reset();
  impl_->dns_transfers.reset();
  impl_->submitter.reset();
  impl_->retired_submitters.clear();
  impl_->workers.reset();
  impl_->db_read.reset();
  impl_->db_expand.reset();
  impl_->db_write.reset();
  impl_->db_dkim.reset();
  impl_->db_inbound.clear();
  return impl_->exit_code;
}

}  // namespace tayori::daemon
