// What `tayori report` shows: per campaign, what was sent and what came back
// (hard and soft bounces, complaints, unsubscribes) with the rates; per shop,
// the rates over the last day and the last 7 days the guards judge.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "scheduler/states.h"
#include "store/connection.h"
#include "store/feedback_rates.h"

namespace tayori::store {

struct CampaignFeedback {
  uint64_t campaign_id = 0;
  uint64_t tenant_id = 0, sender_domain_id = 0;
  std::string tenant_slug, domain;
  scheduler::CampaignState state = scheduler::CampaignState::kDraft;
  std::string state_reason, started_at;
  uint64_t total = 0, sent = 0, hard_bounces = 0, async_bounces = 0, soft_bounces = 0, complaints = 0,
           unsubscribes = 0, suppressed = 0, failed = 0;
  uint64_t delivered() const { return sent + async_bounces; }
};

// Campaigns, newest first; tenant_id / campaign_id 0: all.
Result<std::vector<CampaignFeedback>> CampaignFeedbackReport(Connection& db, uint64_t tenant_id, uint64_t campaign_id,
                                                             int limit);

}  // namespace tayori::store
