// The engine's dispatch: the fair queue, rate reservations and parking, render and sign on the workers, submission.
#include "daemon/engine_impl.h"

namespace tayori::daemon {

bool Engine::Impl::Suppressed(const Item& item, uint64_t list_id) const {
  return suppressed.Contains(item.ticket.tenant_id, list_id, item.delivery.email);
}

void Engine::Impl::Pump() {
  if (stopped) return;
  // While outcomes cannot be written, sending more would only grow what a
  // crash could send twice: what is queued waits (its leases renewed).
  if (writes_failing() && !draining) {
    ArmParkTimer(clock.Steady() + std::chrono::milliseconds(500));
    return;
  }
  scheduler::Dispatcher<std::shared_ptr<Item>>::Hooks hooks{
      .room = [this] { return building + ready.size() < build_window; },
      .vet = [this](const scheduler::Ticket&, std::shared_ptr<Item>& item) {
        auto cit = campaigns.find(item->delivery.campaign_id);
        if (draining || cit == campaigns.end() || cit->second.status != Preparation::kReady) {
          Release(*item);
          return scheduler::Vet::kTaken;
        }
        if (Suppressed(*item, cit->second.list_id)) {
          store::DeliveryOutcome o;
          o.delivery_id = item->delivery.id;
          o.campaign_id = item->delivery.campaign_id;
          o.state = scheduler::DeliveryState::kSuppressed;
          o.counts_attempt = false;
          Record(*item, std::move(o));
          return scheduler::Vet::kTaken;
        }
        return scheduler::Vet::kDispatch;
      },
      .start = [this](const scheduler::Ticket&, std::shared_ptr<Item> item) {
        Build(item, campaigns.at(item->delivery.campaign_id).prepared);
      },
      // A paused destination: the database keeps it, not our memory.
      .release = [this](const scheduler::Ticket&, std::shared_ptr<Item> item, ratelimit::Duration retry_after) {
        Release(*item, clock.Now() + std::chrono::duration_cast<std::chrono::system_clock::duration>(retry_after));
      },
  };
  const size_t park_limit = static_cast<size_t>(config().engine.batch_size) * 2;
  ArmParkTimer(dispatch.Run(clock.Steady(), park_limit, hooks));
}

void Engine::Impl::ArmParkTimer(std::optional<SteadyTime> at) {
  if (!at) {
    park_timer->Stop();
    return;
  }
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(*at - clock.Steady());
  park_timer->Start(std::max(wait, 1ms), [this] { Pump(); });
}

void Engine::Impl::Build(std::shared_ptr<Item> item, std::shared_ptr<const PreparedCampaign> campaign) {
  ++building;
  building_items[item->delivery.id] = item;
  SysTime now = clock.Now();
  workers->Submit([this, item, campaign, now]() -> std::function<void()> {
    thread_local render::SystemRandom random;
    auto t0 = std::chrono::steady_clock::now();
    auto built = std::make_shared<Result<BuiltMessage>>(BuildMessage(*campaign, item->delivery, now, random));
    if (built->ok()) {
      sign_hist.Observe((*built)->sign_seconds);
      // Only signatures that set nothing up: the same work in every run.
      if (!WorkerPool::FirstOfAffinityOnThread()) {
        double us = (*built)->sign_cpu_seconds * 1e6;
        size_t slot = us >= 0 ? std::min(sign_cpu_us.size() - 1, static_cast<size_t>(us)) : 0;
        sign_cpu_us[slot].fetch_add(1, std::memory_order_relaxed);
      }
    }
    build_ns += static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
    ++built_messages;
    return [this, item, campaign, built] { OnBuilt(item, campaign, *built); };
  }, campaign->row.sender_domain_id);  // one signing key, one thread (worker_pool.h)
}

void Engine::Impl::SubmitReady() {
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

void Engine::Impl::PauseDomainLocally(uint64_t domain_id, const std::string& reply) {
  paused_domains.insert(domain_id);
  for (auto& [id, e] : campaigns) {
    if (e.sender_domain_id != domain_id || e.status != Preparation::kReady) continue;
    log::Error("engine", "ALERT sender domain failed authentication at the receiver; pausing its campaigns",
               {{"campaign", std::to_string(id)}, {"domain", e.prepared->row.domain}, {"reply", reply}});
    e.status = Preparation::kBlocked;
    Deactivate(id, e);
  }
}

}  // namespace tayori::daemon
