// The engine's outcome write-back and drain.
#include "daemon/engine_impl.h"

namespace tayori::daemon {

void Engine::Impl::Flush() {
  if (!outcomes.CanWrite() || finishing) return;
  auto batch = std::make_shared<std::vector<store::DeliveryOutcome>>(
      outcomes.TakeBatch(static_cast<size_t>(config().engine.write_batch_max)));
  ++writes_pending;
  std::string instance = options.instance;
  auto started = clock.Steady();
  db_write->Submit([batch, instance](store::Connection& db) { return store::WriteOutcomes(db, instance, *batch).status(); },
                   [this, batch, started](Status st) {
                     --writes_pending;
                     if (st.ok()) OnWritten(*batch, started);
                     else OnWriteFailed(std::move(*batch), st);
                   });
}

void Engine::Impl::OnWritten(const std::vector<store::DeliveryOutcome>& batch, SteadyTime started) {
  SteadyTime now = clock.Steady();
  for (const auto& o : batch) {
    leases.Drop(o.delivery_id);
    if (auto it = campaigns.find(o.campaign_id); it != campaigns.end()) it->second.finish_unchecked = true;
    if (o.suppress_address) suppressed.Committed(o.tenant_id, o.email, now);
  }
  double took = std::chrono::duration<double>(clock.Steady() - started).count();
  write_seconds_total += took;
  write_hist.Observe(took);
  if (int failed = outcomes.Written(); failed > 0)
    log::Info("engine", "outcome writes recovered; leasing resumes", {{"failed_attempts", std::to_string(failed)}});
  // A full batch goes at once; a partial one waits for the flush timer:
  // flushing whatever arrived during the last write kept the write-back
  // busy with batches of a few dozen, eight statements each.
  if (outcomes.size() >= static_cast<size_t>(config().engine.flush_batch) || draining) Flush();
  if (draining) MaybeFinishDrain();
  else LeaseMore();
}

void Engine::Impl::OnWriteFailed(std::vector<store::DeliveryOutcome> batch, const Status& st) {
  // Back in front, in order: the next attempt writes them first.
  auto delay = outcomes.Failed(std::move(batch));
  SteadyTime now = clock.Steady();
  if (outcomes.consecutive_failures() == 1 || now - write_alert_at >= std::chrono::seconds(60)) {
    write_alert_at = now;
    log::Error("engine", "ALERT writing outcomes failed; keeping them and their leases, leasing no new work until "
                         "a write succeeds",
               {{"outcomes_waiting", std::to_string(outcomes.size())},
                {"attempt", std::to_string(outcomes.consecutive_failures())},
                {"retry_in_ms", std::to_string(delay.count())}, {"reason", st.message()}});
  }
  write_retry_timer->Start(delay, [this] {
    outcomes.RetryDue();
    Flush();
  });
  if (draining) MaybeFinishDrain();
}

void Engine::Impl::BeginDrain(const char* why) {
  if (draining) return;
  draining = true;
  log::Info("engine", "draining: no new work, finishing in-flight messages", {{"reason", why}});
  notifier->Stopping(std::string("draining (") + why + ")");
  if (inbound) inbound->Drain([] {});  // no new connections; open sessions finish
  if (readiness) readiness->Stop();
  // Polls go on, housekeeping only: the heartbeat says we are alive and
  // the leases of what is still in flight stay renewed.
  // Unstarted work goes back to the database at once.
  for (auto& [ticket, item] : dispatch.TakeAll()) Release(*item);
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

void Engine::Impl::MaybeFinishDrain() {
  if (finishing || in_flight() > 0) return;
  if (!outcomes.empty()) {
    Flush();
    return;
  }
  if (writes_pending > 0 || !expanding.empty()) return;
  Finish();
}

void Engine::Impl::Finish() {
  if (finishing) return;
  finishing = true;
  drain_timer->Stop();
  write_retry_timer->Stop();
  poll_timer->Stop();
  for (auto& r : ready) Release(*r.item);
  ready.clear();
  for (auto& [id, item] : building_items) Release(*item);
  building_items.clear();
  auto batch = std::make_shared<std::vector<store::DeliveryOutcome>>(outcomes.TakeAll());
  // Held leases without an outcome here are with a relay.
  std::unordered_set<uint64_t> in_batch;
  for (const auto& o : *batch) in_batch.insert(o.delivery_id);
  auto with_relay = std::make_shared<std::vector<uint64_t>>();
  for (uint64_t id : leases.Ids())
    if (!in_batch.contains(id)) with_relay->push_back(id);
  auto unwritten = std::make_shared<size_t>(0);
  std::string instance = options.instance;
  store::InstanceIdentity who = self;
  ++writes_pending;
  // In batches of engine.write_batch_max, as the write-back writes them
  // (one batch is one MEMORY table and one INSERT, which have a size limit).
  size_t chunk = static_cast<size_t>(config().engine.write_batch_max);
  db_write->Submit(
      [instance, who, batch, with_relay, unwritten, chunk](store::Connection& db) -> Status {
        std::vector<uint64_t> keep = *with_relay;
        *unwritten = 0;
        for (size_t at = 0; at < batch->size(); at += chunk) {
          std::vector<store::DeliveryOutcome> part(batch->begin() + static_cast<std::ptrdiff_t>(at),
                                                   batch->begin() + static_cast<std::ptrdiff_t>(
                                                                        std::min(batch->size(), at + chunk)));
          auto written = store::WriteOutcomes(db, instance, part);
          if (!written.ok()) {
            // Their leases (and those of every later batch) stay: a sent
            // message's outcome must not become 'queued' by a blanket release.
            *unwritten = batch->size() - at;
            for (size_t i = at; i < batch->size(); ++i) keep.push_back((*batch)[i].delivery_id);
            log::Error("engine", "ALERT final outcome write failed; those deliveries keep their leases and are "
                                 "taken over when they expire",
                       {{"outcomes", std::to_string(*unwritten)}, {"reason", written.status().message()}});
            break;
          }
        }
        std::sort(keep.begin(), keep.end());
        TAYORI_RETURN_IF_ERROR(store::ReleaseLeasesExcept(db, instance, keep).status());
        return store::Heartbeat(db, who, "stopped", 1).status();
      },
      [this, with_relay](Status st) {
        --writes_pending;
        if (!st.ok()) log::Warn("engine", "final release failed", {{"reason", st.message()}});
        auto pool = workers->stats();
        crypto::KeyCache::Stats keys = key_cache.stats();
        log::Info("engine", "stopped",
                  {{"sent", std::to_string(sent_total)}, {"outcomes", std::to_string(outcomes_total)},
                   {"left_with_relays", std::to_string(with_relay->size())},
                   {"worker_jobs", std::to_string(pool.own + pool.stolen)},
                   {"worker_jobs_off_their_thread", std::to_string(pool.stolen)},
                   {"worker_jobs_first_on_thread", std::to_string(pool.first_on_thread)},
                   {"worker_domains_taken_over", std::to_string(pool.moved)},
                   {"sign_cpu_us_median", std::to_string(SignCpuMedianUs())},
                   {"key_cache_keys", std::to_string(keys.size)},
                   {"key_cache_capacity", std::to_string(key_cache.capacity())},
                   {"key_cache_parses", std::to_string(keys.misses)},
                   {"key_cache_evictions", std::to_string(keys.evictions)}});
        Stop();
      });
  // A database that does not answer must not keep the process alive.
  drain_timer->Start(kFinalWriteTimeout, [this] {
    log::Error("engine", "final write did not finish; exiting without it (leases expire and are taken over)");
    exit_code = 1;
    Stop();
  });
}

uint64_t Engine::Impl::SignCpuMedianUs() const {
  uint64_t total = 0;
  for (const auto& n : sign_cpu_us) total += n.load(std::memory_order_relaxed);
  if (total == 0) return 0;
  uint64_t seen = 0;
  for (size_t us = 0; us < sign_cpu_us.size(); ++us) {
    seen += sign_cpu_us[us].load(std::memory_order_relaxed);
    if (2 * seen >= total) return us;
  }
  return sign_cpu_us.size() - 1;
}

}  // namespace tayori::daemon
