// The engine's wiring: start, stop, progress, Engine::Create and Run. The
// state is Engine::Impl (engine_impl.h); each concern is one engine_*.cpp.
#include "daemon/engine.h"

#include "daemon/engine_impl.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include <thread>

namespace tayori::daemon {

using namespace std::chrono_literals;

Status Engine::Impl::Start() {
  db_read = std::make_unique<store::DbWorker>("db-read", config().database, db_password, loop);
  db_expand = std::make_unique<store::DbWorker>("db-expand", config().database, db_password, loop);
  db_write = std::make_unique<store::DbWorker>("db-write", config().database, db_password, loop);
  workers = std::make_unique<WorkerPool>(loop, config().engine.worker_threads);
  size_t connections = 0;
  for (const auto& r : config().relays) connections += static_cast<size_t>(r.max_connections);
  submit_window = std::max<size_t>(2, connections * 2);
  dispatch.SetParkHorizon(std::chrono::seconds(config().engine.park_horizon_s));
  build_window = workers->window();
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

void Engine::Impl::Stop() {
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

void Engine::Impl::Progress() {
  std::erase_if(retired_submitters, [](const auto& s) { return s->in_flight() == 0; });
  uint64_t delta = sent_total - sent_at_last_progress;
  sent_at_last_progress = sent_total;
  if (delta == 0 && in_memory() == 0) return;
  log::Info("engine", "progress",
            {{"sent", std::to_string(sent_total)}, {"rate_per_s", std::to_string(delta / 5)},
             {"queued", std::to_string(dispatch.queued())}, {"parked", std::to_string(dispatch.parked())},
             {"in_flight", std::to_string(in_flight())},
             {"campaigns", std::to_string(campaigns.size())}});
}


Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::Create(const config::Config& config, EngineOptions options) {
  if (options.instance.empty()) options.instance = config.engine.instance_name;
  if (options.instance.empty()) options.instance = DefaultInstanceName();
  if (std::string why = config::CheckInstanceName(options.instance); !why.empty())
    return ConfigError("instance name (engine.instance_name or --instance): " + why);
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
