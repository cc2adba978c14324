// The state ENUM columns at the store's edge (store-internal): text read from
// MySQL becomes a scheduler:: enum here, and an enum goes back into SQL as
// its ENUM literal. A value the enum does not know (a migration ahead of this
// binary, a hand edit) is an error naming the column and the value, never a
// guess and never a crash.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "scheduler/states.h"

namespace tayori::store {

Result<scheduler::CampaignState> ReadCampaignState(const std::optional<std::string>& v, std::string_view column);
Result<scheduler::DomainState> ReadDomainState(const std::optional<std::string>& v, std::string_view column);
Result<scheduler::KeyState> ReadKeyState(const std::optional<std::string>& v, std::string_view column);
Result<scheduler::DeliveryState> ReadDeliveryState(const std::optional<std::string>& v, std::string_view column);

// 'name': the ENUM names are fixed identifiers without quotes, so the literal
// needs no escaping.
template <typename State>
std::string Literal(State s) {
  return "'" + std::string(scheduler::Name(s)) + "'";
}

}  // namespace tayori::store
