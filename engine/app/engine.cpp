#include "app/engine.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <map>
#include <queue>
#include <random>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "app/http_service.h"
#include "app/key_lifecycle.h"
#include "app/message_factory.h"
#include "app/outcome.h"
#include "app/worker_pool.h"
#include "base/log.h"
#include "loop/loop.h"
#include "dns/provider.h"
#include "dns/resolver.h"
#include "mime/idn.h"
#include "net/transfers.h"
#include "ratelimit/fair_queue.h"
#include "ratelimit/shaper.h"
#include "render/random_source.h"
#include "scheduler/retry_policy.h"
#include "smtp/submitter.h"
#include "store/campaigns.h"
#include "store/db_worker.h"
#include "store/deliveries.h"
#include "store/instances.h"
#include "store/keys.h"
#include "store/suppressions.h"

namespace tayori::app {
namespace {

using namespace std::chrono_literals;

constexpr int kExpandChunk = 5000;
constexpr size_t kFlushBatch = 500;
constexpr auto kFlushInterval = 100ms;
constexpr auto kParkLimit = std::chrono::seconds(30);  // longer waits go back to the database

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
};

std::string DefaultInstanceName() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return std::string(host) + "-" + std::to_string(getpid());
}

std::string SuppressionKey(uint64_t tenant, uint64_t list, const std::string& email) {
  std::string lower = email;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return std::to_string(tenant) + "|" + std::to_string(list) + "|" + lower;
}

}  // namespace

struct Engine::Impl {
  config::Config config;
  EngineOptions options;
  const Clock& clock = SystemClock::Instance();
  FactorySecrets secrets;
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
  std::unique_ptr<KeyLifecycle> lifecycle;
  std::unique_ptr<loop::Timer> lifecycle_timer;
  std::unique_ptr<loop::Timer> poll_timer, flush_timer, park_timer, drain_timer, progress_timer;
  std::unique_ptr<loop::SignalWatcher> sigterm, sigint;

  ratelimit::Shaper shaper;
  scheduler::RetryPolicy retry;
  dkim::KeyCache key_cache;
  ratelimit::FairQueue<std::shared_ptr<Item>> queue;
  std::priority_queue<Parked, std::vector<Parked>, std::greater<>> parked;
  std::map<uint64_t, CampaignEntry> campaigns;
  std::unordered_set<std::string> suppressed;
  uint64_t suppression_cursor = 0;
  std::set<uint64_t> expanding;
  std::vector<store::DeliveryOutcome> outcomes;
  // Every lease this engine holds, with when it was taken or last renewed:
  // only these are renewed, so a lease it lost track of expires.
  std::unordered_map<uint64_t, SteadyTime> leases_held;
  std::mt19937_64 rng{std::random_device{}()};

  size_t building = 0;      // render+sign jobs on workers
  std::deque<Ready> ready;  // signed, waiting for a relay slot
  size_t submitting = 0;    // messages with the relays
  size_t writes_pending = 0;
  bool poll_busy = false, lease_busy = false, draining = false, stopped = false;
  int exit_code = 0;
  int polls = 0;
  int heartbeats = 0;  // completed housekeeping polls; leasing starts after three
  int idle_polls = 0;
  uint64_t sent_total = 0, outcomes_total = 0;
  // Metrics (loop thread only, except build_ns which workers add to).
  std::map<std::string, uint64_t> outcomes_by_state;
  std::map<std::pair<std::string, int>, uint64_t> replies_by_code;  // (relay, code)
  uint64_t rate_waits = 0;
  std::set<uint64_t> paused_domains;
  std::atomic<uint64_t> build_ns{0}, built_messages{0};
  uint64_t sent_at_last_progress = 0;

  Impl(const config::Config& c, EngineOptions o)
      : config(c), options(std::move(o)), shaper(c.rate_limits, SystemClock::Instance().Steady()), retry(c.retry) {}

  // Two windows, so that neither stage waits for the other: the relays get
  // two messages per connection (one being transferred, the next ready), and
  // signing runs a few messages per worker ahead of them. With one shared
  // window the workers sat idle while every slot waited on SMTP round trips
  // (the engine benchmark showed 15% idle CPU on a saturated machine).
  // Both fixed at start (the configuration does not change while running).
  size_t submit_window = 0;
  size_t build_window = 0;
  size_t in_flight() const { return building + ready.size() + submitting; }
  size_t in_memory() const { return queue.size() + parked.size() + in_flight(); }
  int lease_s() const { return config.engine.lease_s; }

  // ---- start / stop -----------------------------------------------------------

  Status Start() {
    db_read = std::make_unique<store::DbWorker>("db-read", config.database, db_password, loop);
    db_expand = std::make_unique<store::DbWorker>("db-expand", config.database, db_password, loop);
    db_write = std::make_unique<store::DbWorker>("db-write", config.database, db_password, loop);
    workers = std::make_unique<WorkerPool>(loop, config.engine.worker_threads);
    size_t connections = 0;
    for (const auto& r : config.relays) connections += static_cast<size_t>(r.max_connections);
    submit_window = std::max<size_t>(2, connections * 2);
    build_window = static_cast<size_t>(workers->threads()) * 4;
    TAYORI_ASSIGN_OR_RETURN(submitter, smtp::Submitter::Create(loop, config, clock));

    // One-click unsubscribe, /healthz and /metrics on the engine's loop.
    HttpCallbacks callbacks;
    callbacks.metrics_text = [this] { return MetricsText(); };
    callbacks.healthy = [this] { return Healthy(); };
    callbacks.on_suppressed = [this](const store::SuppressionRow& s) {
      // Honoured before the next message, without waiting for the next poll.
      suppressed.insert(SuppressionKey(s.tenant_id, s.list_id, s.email));
    };
    http = std::make_unique<HttpService>(loop, config, *db_read, std::move(callbacks));
    TAYORI_RETURN_IF_ERROR(http->Start().WithContext("HTTP listener"));

    // DKIM key lifecycle: automatic rotation of keys older than
    // dkim.rotation_age_days, publishing through the DNS provider.
    db_dkim = std::make_unique<store::DbWorker>("db-dkim", config.database, db_password, loop);
    dns_transfers = std::make_unique<net::Transfers>(loop, net::PoolOptions{2, 0});
    TAYORI_ASSIGN_OR_RETURN(dns_provider,
                            dns::MakeProvider(config.dns, config.dkim.platform_zone, loop, *dns_transfers));
    dns::ResolverOptions ro;
    ro.servers = config.dns.resolver;
    TAYORI_ASSIGN_OR_RETURN(resolver, dns::Resolver::Create(loop, ro));
    lifecycle = std::make_unique<KeyLifecycle>(loop, *db_dkim, dns_provider.get(), *resolver, clock,
                                               secrets.keks.front(), config.dkim, "engine:" + options.instance);
    // A switch to a new signing key: campaigns of that domain re-prepare
    // their Signer (the old key stays published for the grace period, so
    // messages signed meanwhile still verify).
    lifecycle->OnTransition([this](const LifecycleTransition& t) {
      if (t.to != "active") return;
      for (auto& [id, e] : campaigns)
        if (e.status == CampaignStatus::kReady && e.prepared && e.prepared->row.domain == t.domain) Load(id, true);
    });
    lifecycle_timer = std::make_unique<loop::Timer>(loop);
    lifecycle_timer->Start(std::chrono::seconds(5), [this] { lifecycle->Tick(); },
                           std::chrono::seconds(config.dkim.lifecycle_interval_s));
    poll_timer = std::make_unique<loop::Timer>(loop);
    flush_timer = std::make_unique<loop::Timer>(loop);
    park_timer = std::make_unique<loop::Timer>(loop);
    drain_timer = std::make_unique<loop::Timer>(loop);
    progress_timer = std::make_unique<loop::Timer>(loop);
    sigterm = std::make_unique<loop::SignalWatcher>(loop, SIGTERM, [this] { BeginDrain("SIGTERM"); });
    sigint = std::make_unique<loop::SignalWatcher>(loop, SIGINT, [this] { BeginDrain("SIGINT"); });
    poll_timer->Start(0ms, [this] { Poll(); }, std::chrono::milliseconds(config.engine.poll_interval_ms));
    flush_timer->Start(kFlushInterval, [this] { Flush(); }, kFlushInterval);
    progress_timer->Start(5s, [this] { Progress(); }, 5s);
    log::Info("engine", "started",
              {{"instance", options.instance}, {"workers", std::to_string(workers->threads())},
               {"relays", std::to_string(config.relays.size())},
               {"http", config.http.listen_address + ":" + std::to_string(http->port())}});
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
    if (lifecycle_timer) lifecycle_timer->Stop();
    loop.Stop();
  }

  void Progress() {
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
    std::vector<uint64_t> finished;
    std::vector<store::CampaignState> known_states;  // of campaigns we hold
    int taken_over = 0;
  };

  void Poll() {
    if (poll_busy || draining) return;
    poll_busy = true;
    ++polls;
    auto r = std::make_shared<PollResult>();
    // The first three polls all heartbeat: instances started together see
    // each other before any of them leases work (global rate share).
    bool housekeeping = polls <= 3 || polls % 5 == 1;
    std::vector<uint64_t> idle_campaigns, known;
    for (auto& [id, e] : campaigns) known.push_back(id);
    for (auto& [id, e] : campaigns)
      if (e.status == CampaignStatus::kReady && e.in_memory == 0) idle_campaigns.push_back(id);
    std::string instance = options.instance;
    int lease = lease_s();
    std::vector<uint64_t> renew;
    if (housekeeping) renew = LeasesToRenew();
    uint64_t cursor = suppression_cursor;
    double alive_window = std::max(3.0 * config.engine.poll_interval_ms / 1000.0 * 5, 10.0);
    db_read->Submit(
        [=](store::Connection& db) -> Status {
          // Housekeeping first, so a campaign finished here is not also listed
          // as sending below.
          if (housekeeping) {
            TAYORI_ASSIGN_OR_RETURN(r->live_instances,
                                    store::Heartbeat(db, instance, "", getpid(), "running", static_cast<int>(alive_window)));
            TAYORI_RETURN_IF_ERROR(store::RenewLeases(db, instance, lease, renew));
            TAYORI_ASSIGN_OR_RETURN(r->taken_over, store::TakeOverExpiredLeases(db, 5000));
            TAYORI_ASSIGN_OR_RETURN(r->finished, store::FinishCompletedCampaigns(db, idle_campaigns));
          }
          TAYORI_ASSIGN_OR_RETURN(auto claimed, store::ClaimDueCampaigns(db, instance, lease, 10));
          for (uint64_t id : claimed) log::Info("engine", "claimed campaign", {{"campaign", std::to_string(id)}});
          TAYORI_ASSIGN_OR_RETURN(r->to_expand, store::ClaimUnexpandedCampaigns(db, instance, lease, 10));
          TAYORI_ASSIGN_OR_RETURN(store::Rows rows, db.Query("SELECT id FROM campaigns WHERE state = 'sending'"));
          r->sending.clear();
          for (const auto& row : rows.rows) r->sending.push_back(std::stoull(*row[0]));
          TAYORI_ASSIGN_OR_RETURN(store::Rows due, db.Query("SELECT COUNT(*) FROM campaigns WHERE state = 'scheduled' "
                                                            "AND scheduled_at <= UTC_TIMESTAMP(6)"));
          r->due_or_sending = !r->sending.empty() || due.rows[0][0].value_or("0") != "0";
          TAYORI_ASSIGN_OR_RETURN(r->known_states, store::CampaignStates(db, known));
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
        [this, r, housekeeping](Status st) {
          poll_busy = false;
          if (!st.ok()) {
            log::Warn("engine", "poll failed", {{"reason", st.message()}});
            return;
          }
          ApplyPoll(*r, housekeeping);
        });
  }

  // Leases held for a third of their term get renewed (a throttled
  // destination, a long queue); the rest are fresh.
  std::vector<uint64_t> LeasesToRenew() {
    SteadyTime now = clock.Steady();
    auto due = std::chrono::seconds(std::max(1, lease_s() / 3));
    std::vector<uint64_t> ids;
    for (auto& [id, since] : leases_held) {
      if (now - since < due) continue;
      ids.push_back(id);
      since = now;
    }
    return ids;
  }

  void ApplyPoll(const PollResult& r, bool housekeeping) {
    for (const auto& s : r.suppressions) {
      suppression_cursor = std::max(suppression_cursor, s.id);
      if (s.tenant_id) suppressed.insert(SuppressionKey(s.tenant_id, s.list_id, s.email));
    }
    if (housekeeping) {
      ++heartbeats;
      shaper.SetGlobalShare(config.rate_limits.global_per_second / r.live_instances,
                            config.rate_limits.global_burst / r.live_instances, clock.Steady());
      if (r.taken_over > 0)
        log::Warn("engine", "took over expired leases", {{"deliveries", std::to_string(r.taken_over)}});
      for (uint64_t id : r.finished) {
        log::Info("engine", "campaign sent", {{"campaign", std::to_string(id)}});
        campaigns.erase(id);
      }
    }
    for (uint64_t id : r.to_expand) Expand(id);
    std::set<uint64_t> sending(r.sending.begin(), r.sending.end());
    for (auto& [id, e] : campaigns) e.seen = sending.contains(id);
    for (uint64_t id : sending)
      if (!campaigns.contains(id)) Load(id);
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
    db_read->Submit(
        [=](store::Connection& db) -> Status {
          TAYORI_ASSIGN_OR_RETURN(*row, store::LoadCampaign(db, id));
          TAYORI_ASSIGN_OR_RETURN(*keys, store::ActiveDomainKeys(db, row->sender_domain_id));
          return Status::Ok();
        },
        [this, id, row, keys](Status st) {
          auto it = campaigns.find(id);
          if (it == campaigns.end()) return;
          if (!st.ok()) {
            log::Warn("engine", "cannot load campaign", {{"campaign", std::to_string(id)}, {"reason", st.message()}});
            campaigns.erase(it);  // tried again at the next poll
            return;
          }
          it->second.tenant_id = row->tenant_id;
          it->second.list_id = row->list_id;
          it->second.sender_domain_id = row->sender_domain_id;
          // Compiling templates and unsealing keys is CPU work: on a worker.
          auto result = std::make_shared<Result<std::shared_ptr<const PreparedCampaign>>>(Internal("not run"));
          workers->Submit([this, id, row, keys, result]() -> std::function<void()> {
            *result = PrepareCampaign(*row, *keys, config, secrets, key_cache, clock);
            return [this, id, result] { OnPrepared(id, *result); };
          });
        });
  }

  void OnPrepared(uint64_t id, const Result<std::shared_ptr<const PreparedCampaign>>& result) {
    auto it = campaigns.find(id);
    if (it == campaigns.end()) return;
    if (!result.ok()) {
      // The campaign cannot send as it is: record why and pause it, so an
      // operator sees the reason in `tayori campaign status`.
      it->second.status = CampaignStatus::kBlocked;
      std::string reason = result.status().message();
      log::Error("engine", "campaign cannot send, pausing it", {{"campaign", std::to_string(id)}, {"reason", reason}});
      db_write->Submit(
          [id, reason](store::Connection& db) -> Status {
            return store::MoveCampaign(db, id, {"sending"}, "paused", reason, "engine").status();
          },
          [](Status) {});
      return;
    }
    it->second.status = CampaignStatus::kReady;
    it->second.prepared = *result;
    log::Info("engine", "campaign ready", {{"campaign", std::to_string(id)}, {"domain", (*result)->row.domain}});
    LeaseMore();
  }

  void LeaseMore() {
    if (lease_busy || draining || heartbeats < 3) return;
    size_t low_water = static_cast<size_t>(config.engine.batch_size);
    if (queue.size() + parked.size() >= low_water) return;
    std::vector<uint64_t> ready;
    for (auto& [id, e] : campaigns)
      if (e.status == CampaignStatus::kReady) ready.push_back(id);
    if (ready.empty()) return;
    lease_busy = true;
    int per_campaign = std::max(20, config.engine.batch_size / static_cast<int>(ready.size()));
    auto leased = std::make_shared<std::vector<store::LeasedDelivery>>();
    auto next = std::make_shared<size_t>(0);
    std::string instance = options.instance;
    int lease = lease_s();
    db_read->Submit(
        [=](store::Connection& db) -> Status {
          // Each campaign's lease commits on its own; a retried job (a
          // deadlock, a lost connection) goes on from the campaign that
          // failed and keeps what the earlier ones leased.
          for (; *next < ready.size(); ++*next) {
            TAYORI_ASSIGN_OR_RETURN(auto batch,
                                    store::LeaseDeliveries(db, ready[*next], instance, lease, per_campaign));
            leased->insert(leased->end(), std::make_move_iterator(batch.begin()), std::make_move_iterator(batch.end()));
          }
          return Status::Ok();
        },
        [this, leased](Status st) {
          lease_busy = false;
          // What was leased before a failure is ours: queue it either way.
          for (auto& d : *leased) Enqueue(std::move(d));
          Pump();
          if (!st.ok()) log::Warn("engine", "leasing failed", {{"reason", st.message()}});
          // Keep the queue topped up while there is work.
          else if (!leased->empty()) LeaseMore();
        });
  }

  void Enqueue(store::LeasedDelivery d) {
    auto it = campaigns.find(d.campaign_id);
    auto item = std::make_shared<Item>();
    item->tenant_id = it != campaigns.end() ? it->second.tenant_id : 0;
    auto domain = mime::DomainToALabel(d.dest_domain);
    item->shaping_key = shaper.KeyOf(domain.ok() ? *domain : d.dest_domain);
    item->delivery = std::move(d);
    leases_held[item->delivery.id] = clock.Steady();
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

  void Record(const Item& item, store::DeliveryOutcome o) {
    leases_held.erase(item.delivery.id);
    auto it = campaigns.find(item.delivery.campaign_id);
    if (it != campaigns.end() && it->second.in_memory > 0) --it->second.in_memory;
    if (o.state == "sent") ++sent_total;
    ++outcomes_total;
    ++outcomes_by_state[o.state];
    outcomes.push_back(std::move(o));
    if (outcomes.size() >= kFlushBatch) Flush();
  }

  // ---- dispatch -----------------------------------------------------------------

  bool Suppressed(const Item& item, uint64_t list_id) const {
    if (suppressed.empty()) return false;
    return suppressed.contains(SuppressionKey(item.tenant_id, 0, item.delivery.email)) ||
           suppressed.contains(SuppressionKey(item.tenant_id, list_id, item.delivery.email));
  }

  void Pump() {
    if (stopped) return;
    SteadyTime now = clock.Steady();
    while (!parked.empty() && parked.top().ready_at <= now) {
      auto item = parked.top().item;
      parked.pop();
      queue.Push(item->tenant_id, item->delivery.campaign_id, item);
    }
    const size_t park_limit = static_cast<size_t>(config.engine.batch_size) * 2;
    while (building + ready.size() < build_window && !queue.empty() && parked.size() < park_limit) {
      // Waiting for the global budget keeps the work in the fair queue, so
      // the order between shops stays exactly round robin.
      ratelimit::Decision global = shaper.PeekGlobal(now);
      if (!global.allowed) {
        ++rate_waits;
        ArmParkTimer(std::chrono::duration_cast<std::chrono::milliseconds>(global.retry_after) + 1ms);
        return;
      }
      std::shared_ptr<Item> item = *queue.Pop();
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
        if (d.retry_after > kParkLimit) {
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
    SysTime now = clock.Now();
    workers->Submit([this, item, campaign, now]() -> std::function<void()> {
      thread_local render::SystemRandom random;
      auto t0 = std::chrono::steady_clock::now();
      auto built = std::make_shared<Result<BuiltMessage>>(BuildMessage(*campaign, item->delivery, now, random));
      build_ns += static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
      ++built_messages;
      return [this, item, campaign, built] { OnBuilt(item, campaign, *built); };
    });
  }

  void OnBuilt(std::shared_ptr<Item> item, std::shared_ptr<const PreparedCampaign> campaign,
               Result<BuiltMessage>& built) {
    --building;
    if (!built.ok()) {
      // This recipient's data cannot make a valid message (bad address,
      // header injection attempt): fail it with the reason, never send it.
      shaper.Abandon(item->shaping_key);
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
      submitter->Submit(std::move(s), [this, item = r.item, campaign = r.campaign,
                                       message_id = r.built.message_id](smtp::SubmitResult res) {
        OnSubmitted(*item, *campaign, message_id, res);
      });
    }
  }

  void OnSubmitted(const Item& item, const PreparedCampaign& campaign, const std::string& message_id,
                   const smtp::SubmitResult& r) {
    --submitting;
    shaper.Finish(item.shaping_key, FeedbackFor(r.classification.outcome), clock.Steady());
    ++replies_by_code[{r.relay, r.reply.code}];
    DeliveryContext ctx{&item.delivery, campaign.row.tenant_id, campaign.row.sender_domain_id, message_id};
    double u = std::uniform_real_distribution<double>(0, 1)(rng);
    store::DeliveryOutcome o = OutcomeFor(ctx, r, retry, clock.Now(), u);
    if (o.suppress_address)
      suppressed.insert(SuppressionKey(campaign.row.tenant_id, 0, item.delivery.email));
    if (o.pause_sender_domain) PauseDomainLocally(campaign.row.sender_domain_id, r.reply.ToString());
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
    std::string out;
    auto line = [&](const std::string& name, const std::string& labels, double value) {
      out += name;
      if (!labels.empty()) out += "{" + labels + "}";
      char buf[64];
      std::snprintf(buf, sizeof buf, " %.9g\n", value);
      out += buf;
    };
    auto help = [&](const char* name, const char* type, const char* text) {
      out += std::string("# HELP ") + name + " " + text + "\n# TYPE " + name + " " + type + "\n";
    };
    help("tayori_messages_total", "counter", "Deliveries by the outcome this engine recorded.");
    for (const auto& [state, n] : outcomes_by_state) line("tayori_messages_total", "outcome=\"" + state + "\"", n);
    help("tayori_relay_replies_total", "counter", "Final relay replies by relay and SMTP code (0: no reply).");
    for (const auto& [key, n] : replies_by_code)
      line("tayori_relay_replies_total", "relay=\"" + key.first + "\",code=\"" + std::to_string(key.second) + "\"", n);
    help("tayori_queue_depth", "gauge", "Leased deliveries waiting in the fair queue.");
    line("tayori_queue_depth", "", static_cast<double>(queue.size()));
    help("tayori_parked", "gauge", "Deliveries waiting for a destination's rate.");
    line("tayori_parked", "", static_cast<double>(parked.size()));
    help("tayori_in_flight", "gauge", "Messages being rendered and signed, or with a relay.");
    line("tayori_in_flight", "stage=\"build\"", static_cast<double>(building));
    line("tayori_in_flight", "stage=\"ready\"", static_cast<double>(ready.size()));
    line("tayori_in_flight", "stage=\"submit\"", static_cast<double>(submitting));
    help("tayori_leases_held", "gauge", "Deliveries this engine holds a lease on.");
    line("tayori_leases_held", "", static_cast<double>(in_memory()));
    help("tayori_build_seconds_total", "counter", "Time spent rendering and signing.");
    line("tayori_build_seconds_total", "", static_cast<double>(build_ns.load()) / 1e9);
    help("tayori_built_messages_total", "counter", "Messages rendered and signed.");
    line("tayori_built_messages_total", "", static_cast<double>(built_messages.load()));
    help("tayori_rate_limit_waits_total", "counter", "Times a message waited for the global or a destination rate.");
    line("tayori_rate_limit_waits_total", "", static_cast<double>(rate_waits));
    help("tayori_paused_sender_domains", "gauge", "Author domains this engine paused after authentication failures.");
    line("tayori_paused_sender_domains", "", static_cast<double>(paused_domains.size()));
    help("tayori_campaigns_active", "gauge", "Campaigns this engine is sending.");
    line("tayori_campaigns_active", "", static_cast<double>(campaigns.size()));
    help("tayori_database_up", "gauge", "1 when the last database job reached the server.");
    line("tayori_database_up", "", db_read && db_write && db_read->healthy() && db_write->healthy() ? 1 : 0);
    return out;
  }

  bool Healthy() const { return !draining && db_read && db_read->healthy() && db_write->healthy(); }

  // ---- write-back ---------------------------------------------------------------

  void Flush() {
    if (outcomes.empty()) return;
    auto batch = std::make_shared<std::vector<store::DeliveryOutcome>>(std::move(outcomes));
    outcomes.clear();
    ++writes_pending;
    std::string instance = options.instance;
    db_write->Submit([batch, instance](store::Connection& db) { return store::WriteOutcomes(db, instance, *batch).status(); },
                     [this, batch](Status st) {
                       --writes_pending;
                       if (!st.ok())
                         log::Error("engine", "writing outcomes failed; their leases will expire and be retried",
                                    {{"outcomes", std::to_string(batch->size())}, {"reason", st.message()}});
                       if (draining) MaybeFinishDrain();
                       else LeaseMore();
                     });
  }

  // ---- drain --------------------------------------------------------------------

  void BeginDrain(const char* why) {
    if (draining) return;
    draining = true;
    log::Info("engine", "draining: no new work, finishing in-flight messages", {{"reason", why}});
    poll_timer->Stop();
    // Unstarted work goes back to the database at once.
    while (!queue.empty()) Release(**queue.Pop());
    while (!parked.empty()) {
      Release(*parked.top().item);
      parked.pop();
    }
    park_timer->Stop();
    drain_timer->Start(std::chrono::seconds(config.engine.drain_timeout_s), [this] {
      log::Warn("engine", "drain deadline reached; leases of unfinished messages will expire",
                {{"in_flight", std::to_string(in_flight())}});
      Finish();
    });
    MaybeFinishDrain();
  }

  void MaybeFinishDrain() {
    if (in_flight() > 0) return;
    if (!outcomes.empty()) Flush();
    if (writes_pending > 0 || !expanding.empty()) return;
    Finish();
  }

  void Finish() {
    std::string instance = options.instance;
    ++writes_pending;
    db_write->Submit(
        [instance](store::Connection& db) -> Status {
          TAYORI_RETURN_IF_ERROR(store::ReleaseLeases(db, instance, {}).status());
          return store::Heartbeat(db, instance, "", getpid(), "stopped", 1).status();
        },
        [this](Status st) {
          --writes_pending;
          if (!st.ok()) log::Warn("engine", "final release failed", {{"reason", st.message()}});
          log::Info("engine", "stopped", {{"sent", std::to_string(sent_total)}, {"outcomes", std::to_string(outcomes_total)}});
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
  TAYORI_ASSIGN_OR_RETURN(impl->secrets, LoadFactorySecrets(config));
  TAYORI_ASSIGN_OR_RETURN(impl->db_password, config::ResolveSecret(config.database.password_env, "database.password_env"));
  // Fail fast on a wrong database before starting any thread.
  {
    TAYORI_ASSIGN_OR_RETURN(auto db, store::Connection::Open(config.database, impl->db_password));
  }
  TAYORI_RETURN_IF_ERROR(impl->Start());
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

int Engine::Run() {
  impl_->loop.Run();
  // Tear down in order: nothing may Post to the loop once it is gone.
  impl_->sigterm.reset();
  impl_->sigint.reset();
  impl_->poll_timer.reset();
  impl_->flush_timer.reset();
  impl_->park_timer.reset();
  impl_->drain_timer.reset();
  impl_->progress_timer.reset();
  impl_->lifecycle_timer.reset();
  impl_->lifecycle.reset();
  impl_->http.reset();
  impl_->resolver.reset();
  impl_->dns_provider.reset();
  impl_->dns_transfers.reset();
  impl_->submitter.reset();
  impl_->workers.reset();
  impl_->db_read.reset();
  impl_->db_expand.reset();
  impl_->db_write.reset();
  impl_->db_dkim.reset();
  return impl_->exit_code;
}

}  // namespace tayori::app
