// The engine's reload on SIGHUP (plan in daemon/reload.h).
#include "daemon/engine_impl.h"

namespace tayori::daemon {

void Engine::Impl::Reload() {
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

Status Engine::Impl::TryReload() {
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
  if (plan.Changed("logging")) config::ApplyLogging(next->logging);
  // Before the rate limits' Pump(), which parks under the horizon.
  if (plan.Changed("engine")) dispatch.SetParkHorizon(std::chrono::seconds(next->engine.park_horizon_s));
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
    std::vector<uint64_t> ready;
    for (auto& [id, e] : campaigns)
      if (e.status == Preparation::kReady) ready.push_back(id);
    Load(ready, true);
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

void Engine::Impl::SwapDns() {
  dns_swap_pending = false;
  lifecycle.reset();
  dns_provider = std::move(pending_provider);
  resolver = std::move(pending_resolver);
  lifecycle = std::make_unique<keys::KeyLifecycle>(loop, *db_dkim, dns_provider.get(), *resolver, clock,
                                                   secrets->keks.front(), config().dkim,
                                                   "engine:" + options.instance);
  log::Info("engine", "key lifecycle now uses the reloaded DNS settings");
}

std::string Engine::Impl::NotReady() const {
  if (draining) return "draining";
  if (!db_read || !db_read->healthy() || !db_write->healthy()) return "database unreachable";
  if (writes_failing()) return "outcome writes failing";
  return "";
}

}  // namespace tayori::daemon
