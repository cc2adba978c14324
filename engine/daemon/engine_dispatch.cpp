// The engine's dispatch: the fair queue, rate reservations and parking, render and sign on the workers, submission.
#include "daemon/engine_impl.h"

namespace tayori::daemon {

bool Engine::Impl::Suppressed(const Item& item, uint64_t list_id) const {
  return suppressed.Contains(item.tenant_id, list_id, item.delivery.email);
}

void Engine::Impl::Pump() {
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
      o.state = scheduler::DeliveryState::kSuppressed;
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

void Engine::Impl::WakeSlotWaiters(const std::string& key) {
  auto it = slot_waiters.find(key);
  if (it == slot_waiters.end()) return;
  for (int n = shaper.FreeSlots(key); n > 0 && !it->second.empty(); --n) {
    woken.push_back(std::move(it->second.front()));
    it->second.pop_front();
    --slot_waiting;
  }
  if (it->second.empty()) slot_waiters.erase(it);
}

std::vector<std::shared_ptr<Item>> Engine::Impl::TakeWaiting(const std::function<bool(const Item&)>& which) {
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

void Engine::Impl::ArmParkTimer(std::chrono::milliseconds at_most) {
  std::chrono::milliseconds wait = at_most;
  if (!parked.empty())
    wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(parked.top().ready_at - clock.Steady()));
  if (wait == std::chrono::milliseconds::max()) {
    park_timer->Stop();
    return;
  }
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
    if (built->ok()) sign_hist.Observe((*built)->sign_seconds);
    build_ns += static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
    ++built_messages;
    return [this, item, campaign, built] { OnBuilt(item, campaign, *built); };
  });
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
    if (e.sender_domain_id != domain_id || e.status != CampaignStatus::kReady) continue;
    log::Error("engine", "ALERT sender domain failed authentication at the receiver; pausing its campaigns",
               {{"campaign", std::to_string(id)}, {"domain", e.prepared->row.domain}, {"reply", reply}});
    e.status = CampaignStatus::kBlocked;
    Deactivate(id, e);
  }
}

}  // namespace tayori::daemon
