// The engine's campaigns after a poll found them: expansion into deliveries
// (small campaigns together) and loading and preparing them to send.
#include "daemon/engine_impl.h"

namespace tayori::daemon {

void Engine::Impl::Expand(const std::vector<uint64_t>& ids) {
  for (uint64_t id : ids)
    if (expanding.insert(id).second) expand_queue.push_back(id);
  ExpandNext();
}

void Engine::Impl::ExpandNext() {
  if (expansion_busy || expand_queue.empty()) return;
  // Small campaigns together; a campaign known to have more to go alone
  // (its chunk is a whole transaction's rows, and batched with others each
  // of them would read its next chunk's bounds for nothing).
  auto batch = std::make_shared<std::vector<uint64_t>>();
  for (uint64_t id : expand_queue) {
    bool large = expanded_deliveries.contains(id) && expanded_deliveries[id] > 0;
    if (large && !batch->empty()) break;
    batch->push_back(id);
    if (large || batch->size() == kExpansionBatch) break;
  }
  auto results = std::make_shared<std::map<uint64_t, store::ExpandResult>>();
  std::string instance = options.instance;
  int lease = lease_s();
  int chunk = config().engine.expansion_chunk;
  expansion_busy = true;
  db_expand->Submit(
      [=](store::Connection& db) -> Status {
        TAYORI_ASSIGN_OR_RETURN(*results, store::ExpandCampaigns(db, *batch, instance, lease, chunk));
        return Status::Ok();
      },
      [this, batch, results, chunk](Status st) {
        expansion_busy = false;
        std::set<uint64_t> ended, again;
        if (!st.ok()) {
          // The claims stay ours: the next poll's ClaimUnexpandedCampaigns
          // hands them back and they are tried again.
          for (uint64_t id : *batch) {
            log::Error("engine", "expanding campaign failed", {{"campaign", std::to_string(id)}, {"reason", st.message()}});
            ended.insert(id);
          }
        }
        for (const auto& [id, progress] : *results) {
          int total = expanded_deliveries[id] += progress.inserted;
          if (progress.stopped) {
            // Paused, cancelled or taken by another instance meanwhile:
            // expansion ends here (resumed by whoever sends it again).
            log::Info("engine", "expansion stopped",
                      {{"campaign", std::to_string(id)}, {"reason", progress.stop_reason},
                       {"deliveries", std::to_string(total)}});
            ended.insert(id);
          } else if (progress.done || draining) {
            // Expanded to nothing (everyone suppressed) finishes at the next poll.
            if (auto it = campaigns.find(id); it != campaigns.end()) it->second.finish_unchecked = true;
            log::Info("engine", progress.done ? "campaign expanded" : "expansion paused for drain",
                      {{"campaign", std::to_string(id)}, {"deliveries", std::to_string(total)}});
            ended.insert(id);
          } else {
            if (progress.inserted > 0 && total % (chunk * 20) < progress.inserted)
              log::Info("engine", "expanding campaign", {{"campaign", std::to_string(id)}, {"deliveries", std::to_string(total)}});
            again.insert(id);
          }
        }
        if (draining)  // those not reached yet wait for the next start
          ended.insert(expand_queue.begin(), expand_queue.end());
        std::deque<uint64_t> rest;
        for (uint64_t id : expand_queue)
          if (!ended.contains(id) && !again.contains(id)) rest.push_back(id);
        for (uint64_t id : *batch)
          if (again.contains(id)) rest.push_back(id);  // more to go: behind the others
        expand_queue = std::move(rest);
        for (uint64_t id : ended) {
          expanding.erase(id);
          expanded_deliveries.erase(id);
        }
        if (draining) {
          MaybeFinishDrain();
          return;
        }
        LeaseMore();
        ExpandNext();
      });
}

void Engine::Impl::Load(const std::vector<uint64_t>& ids, bool reload) {
  if (ids.empty()) return;
  for (uint64_t id : ids) {
    if (reload)
      campaigns[id].reloading = true;
    else
      campaigns[id].status = Preparation::kLoading;
  }
  struct Loaded {
    std::map<uint64_t, Result<store::CampaignRow>> rows;
    std::map<uint64_t, std::string> versions;                       // by sender domain
    std::map<uint64_t, std::vector<store::DomainKeyRow>> keys;      // by sender domain
  };
  auto loaded = std::make_shared<Loaded>();
  // One job and three statements for all of them (with ten thousand
  // small campaigns, three per campaign were a third of the statements).
  db_read->Submit(
      [=](store::Connection& db) -> Status {
        TAYORI_ASSIGN_OR_RETURN(loaded->rows, store::LoadCampaigns(db, ids));
        std::set<uint64_t> domain_set;
        for (const auto& [id, row] : loaded->rows)
          if (row.ok()) domain_set.insert(row->sender_domain_id);
        std::vector<uint64_t> domains(domain_set.begin(), domain_set.end());
        // The versions first: a switch right after them is seen at the next poll.
        TAYORI_ASSIGN_OR_RETURN(loaded->versions, store::SigningKeyVersions(db, domains));
        TAYORI_ASSIGN_OR_RETURN(loaded->keys, store::ActiveDomainKeys(db, domains));
        return Status::Ok();
      },
      [this, ids, loaded](Status st) {
        for (uint64_t id : ids) {
          auto it = campaigns.find(id);
          if (it == campaigns.end()) continue;
          it->second.reloading = false;
          auto row = loaded->rows.find(id);
          if (st.ok() && row != loaded->rows.end() && !row->second.ok() &&
              row->second.status().error_class() == ErrorClass::kPermanent) {
            // E.g. the campaign points at another shop's list: never send
            // it; pause it with the reason for the operator.
            BlockCampaign(id, it->second, row->second.status().message());
            continue;
          }
          if (!st.ok() || row == loaded->rows.end() || !row->second.ok()) {
            log::Warn("engine", "cannot load campaign",
                      {{"campaign", std::to_string(id)},
                       {"reason", !st.ok() ? st.message()
                                  : row == loaded->rows.end() ? std::string("not read")
                                                              : row->second.status().message()}});
            if (it->second.status == Preparation::kLoading && it->second.in_memory == 0)
              campaigns.erase(it);  // tried again at the next poll
            continue;
          }
          auto campaign = std::make_shared<const store::CampaignRow>(*row->second);
          it->second.key_version = loaded->versions[campaign->sender_domain_id];
          it->second.tenant_id = campaign->tenant_id;
          it->second.list_id = campaign->list_id;
          it->second.sender_domain_id = campaign->sender_domain_id;
          auto keys = loaded->keys[campaign->sender_domain_id];
          // Compiling templates and unsealing keys is CPU work: on a worker.
          auto result = std::make_shared<Result<std::shared_ptr<const PreparedCampaign>>>(Internal("not run"));
          // The worker reads the configuration and secrets in force now,
          // whatever a reload meanwhile puts in their place.
          workers->Submit([this, id, campaign, keys = std::move(keys), result, cfg = cfg_now,
                           sec = secrets]() -> std::function<void()> {
            *result = PrepareCampaign(*campaign, keys, *cfg, *sec, key_cache, clock, &templates);
            return [this, id, result] { OnPrepared(id, *result); };
          });
        }
      });
}

void Engine::Impl::OnPrepared(uint64_t id, const Result<std::shared_ptr<const PreparedCampaign>>& result) {
  auto it = campaigns.find(id);
  if (it == campaigns.end()) return;
  if (!result.ok()) {
    BlockCampaign(id, it->second, result.status().message());
    return;
  }
  it->second.status = Preparation::kReady;
  it->second.prepared = *result;
  log::Info("engine", "campaign ready", {{"campaign", std::to_string(id)}, {"domain", (*result)->row.domain}});
  LeaseMore();
}

void Engine::Impl::BlockCampaign(uint64_t id, CampaignEntry& e, const std::string& reason) {
  e.status = Preparation::kBlocked;
  log::Error("engine", "campaign cannot send, pausing it", {{"campaign", std::to_string(id)}, {"reason", reason}});
  Deactivate(id, e);
  db_read->Submit(
      [id, reason](store::Connection& db) -> Status {
        return store::MoveCampaign(db, id, {scheduler::CampaignState::kSending}, scheduler::CampaignState::kPaused,
                                   ScrubUtf8(reason, 500), "engine").status();
      },
      [id](Status st) {
        if (!st.ok())
          log::Warn("engine", "pausing a campaign failed", {{"campaign", std::to_string(id)}, {"reason", st.message()}});
      });
}

}  // namespace tayori::daemon
