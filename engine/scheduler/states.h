// The states of the two long-lived things the engine drives, with the one
// transition check each. The names are the database's ENUM
// values, so a state read from MySQL maps 1:1.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tayori::scheduler {

enum class CampaignState { kDraft, kScheduled, kSending, kSent, kPaused, kCancelled, kFailed };

std::string_view Name(CampaignState s);
std::optional<CampaignState> ParseCampaignState(std::string_view s);
// "draft, scheduled, …": for errors that name the allowed values.
std::string CampaignStateNames();
// draft → scheduled → sending → sent | paused | cancelled | failed;
// paused → scheduled (resume) | cancelled; scheduled → draft | paused | cancelled.
bool CampaignTransitionAllowed(CampaignState from, CampaignState to);
bool IsTerminal(CampaignState s);

enum class DeliveryState {
  kQueued, kLeased, kDeferred, kSent, kFailed, kBounced, kSuppressed, kExpired, kUnknown, kCancelled
};

std::string_view Name(DeliveryState s);
std::optional<DeliveryState> ParseDeliveryState(std::string_view s);
bool IsTerminal(DeliveryState s);

}  // namespace tayori::scheduler
