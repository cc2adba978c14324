#include "scheduler/states.h"

#include <array>
#include <utility>

namespace tayori::scheduler {
namespace {

constexpr std::array<std::pair<CampaignState, std::string_view>, 7> kCampaignNames{{
    {CampaignState::kDraft, "draft"},
    {CampaignState::kScheduled, "scheduled"},
    {CampaignState::kSending, "sending"},
    {CampaignState::kSent, "sent"},
    {CampaignState::kPaused, "paused"},
    {CampaignState::kCancelled, "cancelled"},
    {CampaignState::kFailed, "failed"},
}};

constexpr std::array<std::pair<DeliveryState, std::string_view>, 10> kDeliveryNames{{
    {DeliveryState::kQueued, "queued"},
    {DeliveryState::kLeased, "leased"},
    {DeliveryState::kDeferred, "deferred"},
    {DeliveryState::kSent, "sent"},
    {DeliveryState::kFailed, "failed"},
    {DeliveryState::kBounced, "bounced"},
    {DeliveryState::kSuppressed, "suppressed"},
    {DeliveryState::kExpired, "expired"},
    {DeliveryState::kUnknown, "unknown"},
    {DeliveryState::kCancelled, "cancelled"},
}};

constexpr std::array<std::pair<KeyState, std::string_view>, 5> kKeyNames{{
    {KeyState::kPending, "pending"},
    {KeyState::kPublished, "published"},
    {KeyState::kActive, "active"},
    {KeyState::kRetiring, "retiring"},
    {KeyState::kRevoked, "revoked"},
}};

constexpr std::array<std::pair<DomainState, std::string_view>, 3> kDomainNames{{
    {DomainState::kPending, "pending"},
    {DomainState::kVerified, "verified"},
    {DomainState::kPaused, "paused"},
}};

template <typename E, size_t N>
std::string_view NameIn(const std::array<std::pair<E, std::string_view>, N>& names, E s) {
  for (auto& [v, n] : names)
    if (v == s) return n;
  return "?";
}

template <typename E, size_t N>
std::optional<E> ParseIn(const std::array<std::pair<E, std::string_view>, N>& names, std::string_view s) {
  for (auto& [v, n] : names)
    if (n == s) return v;
  return std::nullopt;
}

}  // namespace

std::string_view Name(CampaignState s) {
  for (auto& [v, n] : kCampaignNames)
    if (v == s) return n;
  return "?";
}

std::optional<CampaignState> ParseCampaignState(std::string_view s) {
  for (auto& [v, n] : kCampaignNames)
    if (n == s) return v;
  return std::nullopt;
}

std::string CampaignStateNames() {
  std::string out;
  for (auto& [v, n] : kCampaignNames) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

bool IsTerminal(CampaignState s) {
  return s == CampaignState::kSent || s == CampaignState::kCancelled || s == CampaignState::kFailed;
}

bool CampaignTransitionAllowed(CampaignState from, CampaignState to) {
  using S = CampaignState;
  switch (from) {
    case S::kDraft: return to == S::kScheduled || to == S::kCancelled;
    case S::kScheduled: return to == S::kSending || to == S::kDraft || to == S::kPaused || to == S::kCancelled;
    case S::kSending:
      return to == S::kSent || to == S::kPaused || to == S::kCancelled || to == S::kFailed;
    case S::kPaused: return to == S::kScheduled || to == S::kCancelled;
    default: return false;  // terminal
  }
}

std::string_view Name(DeliveryState s) {
  for (auto& [v, n] : kDeliveryNames)
    if (v == s) return n;
  return "?";
}

std::optional<DeliveryState> ParseDeliveryState(std::string_view s) {
  for (auto& [v, n] : kDeliveryNames)
    if (n == s) return v;
  return std::nullopt;
}

bool IsTerminal(DeliveryState s) {
  return s != DeliveryState::kQueued && s != DeliveryState::kLeased && s != DeliveryState::kDeferred;
}

std::string_view Name(KeyState s) { return NameIn(kKeyNames, s); }
std::optional<KeyState> ParseKeyState(std::string_view s) { return ParseIn(kKeyNames, s); }

bool KeyTransitionAllowed(KeyState from, KeyState to) {
  using K = KeyState;
  switch (from) {
    case K::kPending: return to == K::kPublished || to == K::kActive || to == K::kRevoked;
    case K::kPublished: return to == K::kActive || to == K::kRevoked;
    case K::kActive: return to == K::kRetiring;
    case K::kRetiring: return to == K::kRevoked;
    case K::kRevoked: return false;
  }
  return false;
}

std::string_view Name(DomainState s) { return NameIn(kDomainNames, s); }
std::optional<DomainState> ParseDomainState(std::string_view s) { return ParseIn(kDomainNames, s); }

bool DomainTransitionAllowed(DomainState from, DomainState to) {
  using D = DomainState;
  switch (from) {
    case D::kPending: return to == D::kVerified || to == D::kPaused;
    case D::kVerified: return to == D::kPaused;
    case D::kPaused: return to == D::kVerified;
  }
  return false;
}

}  // namespace tayori::scheduler
