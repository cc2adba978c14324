// The engine's polling: housekeeping, claims, leasing (expansion and
// loading are in engine_campaigns.cpp).
#include "daemon/engine_impl.h"

namespace tayori::daemon {

void Engine::Impl::Poll() {
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
    if (e.status == Preparation::kReady && e.in_memory == 0 && (housekeeping || e.finish_unchecked)) {
      idle_campaigns.push_back(id);
      e.finish_unchecked = false;  // set again by any write of its outcomes from now on
    }
    // Key switches are looked for at housekeeping polls: with a thousand
    // shops sending, reading every one's key versions five times a second
    // cost the database more than the switches it found are worth (a
    // switch waits at most 5 polls; DNS caches lag minutes behind anyway).
    if (e.status == Preparation::kReady && housekeeping) domains.push_back(e.sender_domain_id);
  }
  std::string instance = options.instance;
  store::InstanceIdentity who = self;
  int lease = lease_s();
  int alive_window = alive_window_s();
  std::vector<uint64_t> renew;
  auto held = std::make_shared<std::vector<uint64_t>>();
  if (housekeeping) {
    renew = leases.DueForRenewal(clock.Steady(), lease_s());
    *held = leases.Ids();
  }
  SteadyTime now = clock.Steady();
  bool may_take_over = now - connected_since >= std::chrono::seconds(alive_window);
  // A housekeeping gap longer than this means we (or the database) were away.
  double away_after_s = 3.0 * kHousekeepingPolls * config().engine.poll_interval_ms / 1000.0 + 1.0;
  const Clock* steady = &clock;
  uint64_t cursor = suppression_cursor;
  const size_t max_campaigns = static_cast<size_t>(config().engine.max_campaigns);
  const int claims = config().engine.claims_per_poll;
  int room = static_cast<int>(std::min<size_t>(
      static_cast<size_t>(claims), campaigns.size() >= max_campaigns ? 0 : max_campaigns - campaigns.size()));
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
        TAYORI_ASSIGN_OR_RETURN(r->to_expand, store::ClaimUnexpandedCampaigns(db, instance, lease, claims));
        TAYORI_ASSIGN_OR_RETURN(store::SendingSet set, store::SendingCampaigns(db));
        r->sending = std::move(set.sending);
        r->due_or_sending = !r->sending.empty() || set.any_due;
        // The states of those held that left `sending` (paused, cancelled,
        // failed, sent elsewhere): usually none. Reading all held each poll
        // was a thousand-id statement five times a second with many shops.
        std::set<uint64_t> still(r->sending.begin(), r->sending.end());
        std::vector<uint64_t> left;
        for (uint64_t id : known)
          if (!still.contains(id)) left.push_back(id);
        TAYORI_ASSIGN_OR_RETURN(r->known_states, store::CampaignStates(db, left));
        if (housekeeping) {
          TAYORI_ASSIGN_OR_RETURN(r->key_versions, store::SigningKeyVersions(db, domains));
        }
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
      [this, r, housekeeping, drain, renew, checked = idle_campaigns](Status st) {
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
          // Those renewals may not have happened: due again next time;
          // so is the finish check of those campaigns.
          leases.RenewalFailed(renew);
          for (uint64_t id : checked)
            if (auto it = campaigns.find(id); it != campaigns.end()) it->second.finish_unchecked = true;
          return;
        }
        if (poll_failures > 0) {
          log::Info("engine", "polls succeed again", {{"failed_polls", std::to_string(poll_failures)}});
          poll_failures = 0;
        }
        ApplyPoll(*r, housekeeping, drain);
      });
}

void Engine::Impl::ForgetWhatNoLeaseNeeds() {
  SteadyTime now = clock.Steady();
  SteadyTime oldest = lease_busy ? lease_asked_at : now;
  if (auto asked = leases.OldestAsked()) oldest = std::min(oldest, *asked);
  size_t forgotten = suppressed.ForgetOlderThan(oldest);
  if (now - idle_destinations_checked_at >= std::chrono::seconds(std::min(60, config().rate_limits.destination_idle_s / 2))) {
    idle_destinations_checked_at = now;
    forgotten += shaper.ForgetIdle(std::chrono::seconds(config().rate_limits.destination_idle_s), now);
  }
  // glibc keeps freed memory for reuse; after forgetting a large set, give
  // it back so RSS shows what the daemon actually holds. (The release build
  // allocates with jemalloc, which returns freed pages by itself within
  // seconds; this serves the sanitizer builds' and others' glibc heap.)
  if (forgotten >= 10000) malloc_trim(0);
}

void Engine::Impl::CheckFeedbackGuards() {
  SteadyTime now = clock.Steady();
  std::set<uint64_t> ready;
  for (const auto& [id, e] : campaigns)
    if (e.status == Preparation::kReady) ready.insert(e.tenant_id);
  // All of them every kGuardInterval; in between, a shop whose campaign has
  // just become ready, so it does not send for that long on rates already
  // over a limit.
  std::vector<uint64_t> shops;
  if (now - guards_checked_at >= kGuardInterval) {
    guards_checked_at = now;
    shops.assign(ready.begin(), ready.end());
    guarded_shops = std::move(ready);
  } else {
    for (uint64_t t : ready)
      if (guarded_shops.insert(t).second) shops.push_back(t);
  }
  if (shops.empty()) return;
  store::GuardLimits limits{config().feedback.max_complaint_rate, config().feedback.max_hard_bounce_rate,
                            static_cast<uint64_t>(config().feedback.min_volume)};
  std::string actor = options.instance;
  auto paused = std::make_shared<std::vector<store::ShopVerdict>>();
  db_read->Submit(
      [shops = std::move(shops), limits, actor, paused](store::Connection& db) -> Status {
        TAYORI_ASSIGN_OR_RETURN(*paused, store::EnforceFeedbackGuards(db, shops, limits, actor));
        return Status::Ok();
      },
      [paused](Status st) {
        if (!st.ok()) log::Warn("engine", "checking feedback rates failed", {{"reason", st.message()}});
        for (const auto& [t, v] : *paused)
          if (v.paused > 0)
            log::Error("engine", "ALERT shop over a feedback limit: its campaigns are paused",
                       {{"tenant", std::to_string(t)}, {"campaigns", std::to_string(v.paused)}, {"reason", v.reason}});
      });
}

void Engine::Impl::ApplyPoll(const PollResult& r, bool housekeeping, bool drain) {
  if (drain) {
    if (r.was_away) {
      connected_since = clock.Steady();
      leases.RenewedAll(connected_since);
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
    if (++heartbeats == kWarmUpHeartbeats && poll_interval() > kWarmUpPollInterval)
      poll_timer->Start(poll_interval(), [this] { Poll(); }, poll_interval());
    if (r.was_away) {
      connected_since = clock.Steady();
      // Every held lease was renewed just now.
      leases.RenewedAll(connected_since);
      log::Warn("engine", "database was away: renewed every lease held, taking no one's leases for a while",
                {{"leases", std::to_string(leases.size())},
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
  Expand(r.to_expand);
  // A signing key switched (a rotation step anywhere, a revoked key) or
  // the domain changed state: re-prepare with what the database says now.
  std::vector<uint64_t> reload;
  for (auto& [id, e] : campaigns) {
    if (e.status != Preparation::kReady || e.reloading) continue;
    auto v = r.key_versions.find(e.sender_domain_id);
    if (v == r.key_versions.end() || v->second == e.key_version) continue;
    // key_version moves only when the reload has read the new keys: a reload
    // that fails is tried again at the next housekeeping poll, rather than the campaign
    // signing with the old (perhaps revoked) key until a restart.
    log::Info("engine", "signing keys of the author domain changed; preparing the campaign again",
              {{"campaign", std::to_string(id)}, {"domain", e.prepared->row.domain}});
    reload.push_back(id);
  }
  Load(reload, true);
  std::set<uint64_t> sending(r.sending.begin(), r.sending.end());
  for (auto& [id, e] : campaigns) e.seen = sending.contains(id);
  // Up to engine.max_campaigns held (templates, keys, queues); the
  // others wait their turn, oldest first, and are loaded as room frees.
  std::vector<uint64_t> load;
  for (uint64_t id : sending) {
    if (campaigns.size() >= static_cast<size_t>(config().engine.max_campaigns)) break;
    if (!campaigns.contains(id)) {
      campaigns[id].status = Preparation::kLoading;
      load.push_back(id);
    }
  }
  Load(load);
  // Campaigns no longer sending (paused, cancelled, sent elsewhere): drop what we hold.
  std::set<uint64_t> cancelled;
  for (const auto& cs : r.known_states)
    if (cs.state == scheduler::CampaignState::kCancelled || cs.state == scheduler::CampaignState::kFailed)
      cancelled.insert(cs.id);
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

void Engine::Impl::LeaseMore() {
  // While outcome writes fail, new work would only add to what is waiting.
  if (lease_busy || draining || stopped || heartbeats < kWarmUpHeartbeats || writes_failing()) return;
  size_t low_water = static_cast<size_t>(config().engine.batch_size);
  if (dispatch.size() >= low_water) return;
  // Up to engine.lease_campaigns ready campaigns per lease, taken in turn from
  // where the previous lease stopped, so that with thousands sending each
  // gets its share and one statement stays a reasonable size.
  std::vector<uint64_t> ready;
  const size_t lease_campaigns = static_cast<size_t>(config().engine.lease_campaigns);
  for (auto it = campaigns.upper_bound(lease_cursor); ready.size() < lease_campaigns && it != campaigns.end(); ++it)
    if (it->second.status == Preparation::kReady) ready.push_back(it->first);
  for (auto it = campaigns.begin(); ready.size() < lease_campaigns && it != campaigns.end() && it->first <= lease_cursor; ++it)
    if (it->second.status == Preparation::kReady) ready.push_back(it->first);
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

void Engine::Impl::Enqueue(store::LeasedDelivery d, SteadyTime asked) {
  auto it = campaigns.find(d.campaign_id);
  auto item = std::make_shared<Item>();
  item->ticket.tenant_id = it != campaigns.end() ? it->second.tenant_id : 0;
  item->ticket.campaign_id = d.campaign_id;
  auto domain = mime::DomainToALabel(d.dest_domain);
  item->ticket.shaping_key = shaper.KeyOf(domain.ok() ? *domain : d.dest_domain);
  item->delivery = std::move(d);
  leases.Hold(item->delivery.id, asked, clock.Steady());
  if (it != campaigns.end()) ++it->second.in_memory;
  dispatch.Push(item->ticket, item);
}

void Engine::Impl::Deactivate(uint64_t id, CampaignEntry& e, bool cancelled) {
  auto removed = dispatch.TakeCampaign(e.tenant_id, id);
  for (auto& [ticket, item] : removed) {
    if (cancelled) {
      store::DeliveryOutcome o;
      o.delivery_id = item->delivery.id;
      o.campaign_id = id;
      o.state = scheduler::DeliveryState::kCancelled;
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

void Engine::Impl::Release(const Item& item, SysTime when) {
  store::DeliveryOutcome o;
  o.delivery_id = item.delivery.id;
  o.campaign_id = item.delivery.campaign_id;
  o.state = when == SysTime{} ? scheduler::DeliveryState::kQueued : scheduler::DeliveryState::kDeferred;
  o.next_attempt_unix = UnixSeconds(when == SysTime{} ? clock.Now() : when);
  o.counts_attempt = false;
  Record(item, std::move(o));
}

void Engine::Impl::Record(const Item& item, store::DeliveryOutcome o) {
  auto it = campaigns.find(item.delivery.campaign_id);
  if (it != campaigns.end() && it->second.in_memory > 0) --it->second.in_memory;
  if (o.state == scheduler::DeliveryState::kSent) ++sent_total;
  ++outcomes_total;
  ++outcomes_by_state[std::string(scheduler::Name(o.state))];
  if (config().admin.shop_series > 0 && it != campaigns.end() && it->second.prepared) {
    ShopCounts& shop = shop_counts[it->second.tenant_id];
    if (shop.slug.empty()) shop.slug = it->second.prepared->row.tenant_slug;
    ++shop.total;
    ++shop.by_outcome[std::string(scheduler::Name(o.state))];
  }
  outcomes.Push(std::move(o));
  if (outcomes.size() >= static_cast<size_t>(config().engine.flush_batch)) Flush();
}

}  // namespace tayori::daemon
