// The states of the long-lived things the engine drives (campaign, delivery,
// DKIM key, sender domain), with the one transition check each. The names are
// the database's ENUM values, so a state read from MySQL maps 1:1; store/
// converts at its edge and everything above it compares enums, never text.
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

// domain_keys.state: a key's place in the rotation (keys/rotation.h).
enum class KeyState { kPending, kPublished, kActive, kRetiring, kRevoked };

std::string_view Name(KeyState s);
std::optional<KeyState> ParseKeyState(std::string_view s);
// The moves the lifecycle and `domain verify` make: pending -> published,
// pending|published -> active (verification), active -> retiring,
// retiring -> revoked, and pending|published -> revoked (a superseded spare).
// Never active -> revoked: a signing key retires through a grace period.
bool KeyTransitionAllowed(KeyState from, KeyState to);

// sender_domains.state.
enum class DomainState { kPending, kVerified, kPaused };

std::string_view Name(DomainState s);
std::optional<DomainState> ParseDomainState(std::string_view s);
// pending -> verified (`domain verify`); pending|verified -> paused (feedback
// rates, readiness); paused -> verified (verified again by the operator).
bool DomainTransitionAllowed(DomainState from, DomainState to);

}  // namespace tayori::scheduler
