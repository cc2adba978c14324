// Internal to daemon/: the engine's state (Engine::Impl) and the helpers
// its files share. engine.cpp wires, starts and stops it; the other
// engine_*.cpp files hold one concern each (polling and leasing, dispatch
// through the pipeline, write-back and drain, metrics, reload). Nothing
// outside daemon/engine*.cpp includes this header.
#pragma once

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <unistd.h>
#include <array>
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
#include "ratelimit/shaper.h"
#include "render/random_source.h"
#include "render/template_cache.h"
#include "scheduler/dispatcher.h"
#include "scheduler/lease_book.h"
#include "scheduler/outcome_queue.h"
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
#include "daemon/engine.h"

namespace tayori::daemon {


using namespace std::chrono_literals;

// The sizes of the engine's database work are [engine] settings
// (expansion_chunk, claims_per_poll, lease_campaigns, flush_batch,
// write_batch_max, park_horizon_s). The constants below are not, each for
// the reason given.
//
// Recorded outcomes are written at the latest this long after the first of
// a batch: it bounds how long a committed send waits to be recorded, and
// any value an operator would choose is dominated by flush_batch under load.
constexpr auto kFlushInterval = 100ms;
// The three warm-up polls at start (each a heartbeat) come this quickly, so
// that instances started together see each other before any leases work;
// after them polls follow engine.poll_interval_ms. Only start-up latency
// depends on it.
constexpr auto kWarmUpPollInterval = std::chrono::milliseconds(100);
constexpr int kWarmUpHeartbeats = 3;
// Campaigns expanded together in one transaction at most: the statements of
// store::ExpandCampaigns hold a part per campaign, and their planning grows
// with the parts. (Rows per transaction are engine.expansion_chunk.) With
// ten thousand small campaigns, one transaction each was most of the
// database's work.
constexpr size_t kExpansionBatch = 100;
// A failed outcome write is tried again after 1 s, doubling to this cap:
// the cap only bounds how soon a recovered database is noticed.
constexpr auto kMaxWriteBackoff = std::chrono::milliseconds(30000);
// How often the engine checks all its sending shops' feedback rates (a shop
// whose campaign it has just prepared is checked at the next housekeeping
// poll); the rates themselves ([feedback]) are the operator's lever.
constexpr auto kGuardInterval = std::chrono::seconds(30);
// How long the last write at shutdown may take before the process exits
// anyway: it must fit systemd's TimeoutStopSec beside drain_timeout_s.
constexpr auto kFinalWriteTimeout = std::chrono::seconds(15);

// A leased delivery on its way through the pipeline.
struct Item {
  store::LeasedDelivery delivery;
  scheduler::Ticket ticket;  // its shop, campaign and shaping key, as the dispatcher sees it
};

// A rendered and signed message waiting for a relay slot.
struct Ready {
  std::shared_ptr<Item> item;
  std::shared_ptr<const PreparedCampaign> campaign;
  BuiltMessage built;
};

// Where a held campaign stands in this engine's memory — being loaded and
// prepared, ready to send, or blocked (it cannot send as prepared and is
// being paused) — not a campaign state: that is scheduler::CampaignState,
// the database's.
enum class Preparation { kLoading, kReady, kBlocked };

struct CampaignEntry {
  Preparation status = Preparation::kLoading;
  std::shared_ptr<const PreparedCampaign> prepared;
  uint64_t tenant_id = 0;
  uint64_t list_id = 0;
  uint64_t sender_domain_id = 0;
  size_t in_memory = 0;  // items queued, parked or in flight
  bool seen = true;      // still 'sending' at the last poll
  std::string key_version;  // store::SigningKeyVersions of its domain when prepared
  bool reloading = false;   // a Load(…, reload) of it is reading the database
  // Whether it may have finished since its last finish check: set when it is
  // loaded or expanded and when outcomes of it are written. Only these go in
  // an ordinary poll's finish check; a housekeeping poll checks every idle
  // campaign (another instance may have sent its last deliveries).
  bool finish_unchecked = true;
};

inline std::string DefaultInstanceName() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return std::string(host) + "-" + std::to_string(getpid());
}



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
  // Its jobs use key_cache and templates, declared after it (destroyed
  // first): Run() resets it before returning, which runs what is queued.
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
  render::TemplateCache templates;  // parsed once per text for all campaigns
  // Leased work not started yet: fair queue, parked, waiting for a slot
  // (scheduler/dispatcher.h decides; Pump() applies its decisions).
  scheduler::Dispatcher<std::shared_ptr<Item>> dispatch{shaper, std::chrono::seconds(30)};  // horizon set at start
  std::map<uint64_t, CampaignEntry> campaigns;
  scheduler::SuppressionCache suppressed;
  // When the lease job in progress was asked for (suppressions visible
  // before then are in the database for every delivery it leases).
  SteadyTime lease_asked_at{};
  SteadyTime idle_destinations_checked_at{};
  SteadyTime guards_checked_at{};
  // Shops checked since the last check of all (guards_checked_at).
  std::set<uint64_t> guarded_shops;
  uint64_t suppression_cursor = 0;
  // Campaigns being expanded: queued in claim order, taken kExpansionBatch
  // at a time by one job; a campaign with more to go goes to the back, so
  // a long list does not hold up the small ones claimed after it.
  std::set<uint64_t> expanding;
  std::deque<uint64_t> expand_queue;
  std::map<uint64_t, int> expanded_deliveries;  // so far, per campaign in the queue
  bool expansion_busy = false;
  // Outcomes not yet committed, in the order they were recorded
  // (scheduler/outcome_queue.h: one write at a time, a failed batch back in
  // front, never dropped).
  scheduler::OutcomeQueue<store::DeliveryOutcome> outcomes{kMaxWriteBackoff};
  // Every lease this engine holds, from the lease until its outcome is
  // committed: only these are renewed (a lease it lost track of is
  // released, see the poll).
  scheduler::LeaseBook leases;
  // Items being rendered and signed: a drain deadline gives them back.
  std::unordered_map<uint64_t, std::shared_ptr<Item>> building_items;
  std::mt19937_64 rng{std::random_device{}()};

  size_t building = 0;      // render+sign jobs on workers
  std::deque<Ready> ready;  // signed, waiting for a relay slot
  size_t submitting = 0;    // messages with the relays
  size_t writes_pending = 0;  // the write-back's and the final write's
  // Outcome writes that failed (not a transient error the DbWorker retries
  // by itself) are retried after a backoff; no new work is leased meanwhile.
  SteadyTime write_alert_at{};
  std::unique_ptr<loop::Timer> write_retry_timer;
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
  int heartbeats = 0;  // completed housekeeping polls; leasing starts after kWarmUpHeartbeats
  int idle_polls = 0;
  uint64_t sent_total = 0, outcomes_total = 0;
  SteadyTime started_at{};
  uint64_t lease_cursor = 0;  // the last campaign the previous lease asked for
  size_t campaigns_asked_empty = 0;  // campaigns asked since a lease last found work
  // Metrics (loop thread only, except build_ns which workers add to).
  std::map<std::string, uint64_t> outcomes_by_state;
  std::map<std::pair<std::string, int>, uint64_t> replies_by_code;  // (relay, code)
  metrics::Histogram sign_hist{metrics::Histogram::LatencyBounds()};  // observed on worker threads
  // Each signature's CPU time in µs (the last slot: that or more), for the
  // median in the stop line. Every signature with one key size is the same
  // work, so that median is the run's own measure of the machine's speed:
  // scripts/bench compares runs made on a shared host's fast and slow phases
  // with it. Not a key's first signature on a thread: that one also sets the
  // key up (WorkerPool::FirstOfAffinityOnThread).
  std::array<std::atomic<uint32_t>, 4096> sign_cpu_us{};
  uint64_t SignCpuMedianUs() const;
  metrics::Histogram write_hist{metrics::Histogram::LatencyBounds()};
  std::map<std::string, std::unique_ptr<metrics::Histogram>> relay_hist;  // by relay name (configured, bounded)
  struct ShopCounts {
    std::string slug;
    uint64_t total = 0;
    std::map<std::string, uint64_t> by_outcome;
  };
  std::unordered_map<uint64_t, ShopCounts> shop_counts;  // by tenant id; only when admin.shop_series > 0
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
  // submit_window follows the relays' connections, also after a reload.
  size_t submit_window = 0;
  size_t build_window = 0;
  size_t in_flight() const { return building + ready.size() + submitting; }
  size_t in_memory() const { return dispatch.size() + in_flight(); }
  int lease_s() const { return config().engine.lease_s; }
  // Housekeeping (heartbeat, renewal, takeover) runs every kHousekeepingPolls
  // polls; an instance is alive while it beat within three of those (and
  // never less than 10 s, so a busy loop is not mistaken for a dead one).
  static constexpr int kHousekeepingPolls = 5;
  int alive_window_s() const {
    return std::max(10, (3 * kHousekeepingPolls * config().engine.poll_interval_ms + 999) / 1000);
  }
  std::chrono::milliseconds poll_interval() const { return std::chrono::milliseconds(config().engine.poll_interval_ms); }
  bool writes_failing() const { return outcomes.failing() || (db_write && db_write->retrying()); }

  // ---- start / stop -----------------------------------------------------------

  Status Start();
  void Stop();
  void Progress();

  // ---- polling: campaigns, suppressions, leases ---------------------------------

  struct PollResult {
    std::vector<uint64_t> to_expand;
    std::vector<uint64_t> sending;
    bool due_or_sending = false;
    std::vector<store::SuppressionRow> suppressions;
    int live_instances = 1;
    int rank = 0;  // this instance's place among them, by name
    std::vector<uint64_t> finished;
    std::vector<store::CampaignStateRow> known_states;  // of campaigns we hold
    std::map<uint64_t, std::string> key_versions;    // of the domains we send for
    store::TakeOver taken_over;
    int forgotten = 0;      // own leases we had lost track of, released
    bool was_away = false;  // the database (or this process) was away: everything was renewed
    bool name_lost = false;
    std::string name_lost_reason;
    SteadyTime submitted_at{};
  };

  void Poll();

  // Memory stays bounded in a daemon that runs for months: suppressions
  // every held lease already saw in the database, and destinations idle for
  // rate_limits.destination_idle_s, are forgotten.
  void ForgetWhatNoLeaseNeeds();

  // A shop whose complaint or hard-bounce rate went over its limit (hard
  // bounces at the relay, or reported by `tayori inbound`) stops sending:
  // its campaigns are paused with the reason; the next poll drops them.
  void CheckFeedbackGuards();

  void ApplyPoll(const PollResult& r, bool housekeeping, bool drain);
  void Expand(const std::vector<uint64_t>& ids);
  void ExpandNext();

  // Loads and prepares campaigns (one database job for all); with
  // `reload`, a ready campaign keeps sending with what it has until the new
  // preparation replaces it.
  void Load(const std::vector<uint64_t>& ids, bool reload = false);
  void OnPrepared(uint64_t id, const Result<std::shared_ptr<const PreparedCampaign>>& result);

  // The campaign cannot send as it is: record why and pause it, so an
  // operator sees the reason in `tayori campaign status`. What we hold of it
  // goes back unstarted.
  void BlockCampaign(uint64_t id, CampaignEntry& e, const std::string& reason);
  void LeaseMore();
  void Enqueue(store::LeasedDelivery d, SteadyTime asked);

  // Drops a campaign's queued and parked items: released unstarted (paused)
  // or cancelled. Items already with a worker or relay finish normally.
  void Deactivate(uint64_t id, CampaignEntry& e, bool cancelled = false);

  // Gives a leased delivery back untouched.
  void Release(const Item& item, SysTime when = SysTime{});

  // The lease stays held (and renewed) until the outcome is committed.
  void Record(const Item& item, store::DeliveryOutcome o);

  // ---- dispatch -----------------------------------------------------------------

  bool Suppressed(const Item& item, uint64_t list_id) const;
  void Pump();

  // Wakes Pump() at `at` (nullopt: only an event will).
  void ArmParkTimer(std::optional<SteadyTime> at);
  void Build(std::shared_ptr<Item> item, std::shared_ptr<const PreparedCampaign> campaign);

  void OnBuilt(std::shared_ptr<Item> item, std::shared_ptr<const PreparedCampaign> campaign,
               Result<BuiltMessage>& built) {
    --building;
    if (building_items.erase(item->delivery.id) == 0) {
      // Given back at the drain deadline while it was being built.
      dispatch.Abandon(item->ticket.shaping_key);
      if (draining) MaybeFinishDrain();
      return;
    }
    if (!built.ok()) {
      // This recipient's data cannot make a valid message (bad address,
      // header injection attempt): fail it with the reason, never send it.
      dispatch.Abandon(item->ticket.shaping_key);
      store::DeliveryOutcome o;
      o.delivery_id = item->delivery.id;
      o.campaign_id = item->delivery.campaign_id;
      o.state = scheduler::DeliveryState::kFailed;
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

  void SubmitReady();

  void OnSubmitted(const Item& item, const PreparedCampaign& campaign, const std::string& message_id,
                   const smtp::SubmitResult& r) {
    --submitting;
    dispatch.Finish(item.ticket.shaping_key, FeedbackFor(r.classification.outcome), clock.Steady());
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
  void PauseDomainLocally(uint64_t domain_id, const std::string& reply);

  // ---- metrics (Prometheus text exposition) ---------------------------------------

  std::string MetricsText() const;

  // admin.shop_series: the N shops with the most outcomes recorded here, so a
  // platform of thousands of shops stays a bounded scrape (0: none).
  void ShopSeries(metrics::Writer& w) const;

  // ---- reload (SIGHUP) -------------------------------------------------------------

  // Reads the configuration file again and applies what may change while
  // running (daemon/reload.h). Whatever can fail is tried first, so a
  // refused reload changes nothing; the work in hand is neither dropped
  // nor repeated: queued and in-flight deliveries keep their leases, and
  // only limits, relays, keys and resolvers change under them.
  void Reload();
  Status TryReload();

  // The key lifecycle publishes through the new DNS provider and resolver
  // from its next pass; called only between passes.
  void SwapDns();

  // Not ready while draining, while the database is unreachable, or while
  // outcome writes fail (the engine then sends nothing new): "" when ready,
  // else what /readyz says.
  std::string NotReady() const;

  // ---- write-back ---------------------------------------------------------------

  // One write at a time, oldest outcomes first; a write that fails keeps its
  // outcomes (and their leases) and is tried again after a backoff.
  void Flush();
  void OnWritten(const std::vector<store::DeliveryOutcome>& batch, SteadyTime started);
  void OnWriteFailed(std::vector<store::DeliveryOutcome> batch, const Status& st);

  // ---- drain --------------------------------------------------------------------

  void BeginDrain(const char* why);
  void MaybeFinishDrain();

  // The last write: what is unstarted goes back to 'queued', every outcome
  // still waiting is written, and the instance is marked stopped. A message
  // still with a relay keeps its lease: it may be delivered yet, so it is
  // taken over only once that lease expires (the documented duplicate bound),
  // never released at once for another instance to send right away.
  void Finish();
};

}  // namespace tayori::daemon
