#include "store/state_columns.h"

namespace tayori::store {
namespace {

template <typename State>
Result<State> Read(std::optional<State> (*parse)(std::string_view), const std::optional<std::string>& v,
                   std::string_view column, std::string_view what) {
  if (!v) return Internal(std::string(column) + " is NULL, not a " + std::string(what));
  if (auto s = parse(*v)) return *s;
  return Internal(std::string(column) + " holds '" + *v + "', not a " + std::string(what) +
                  " this version knows (is the database ahead of this binary?)");
}

}  // namespace

Result<scheduler::CampaignState> ReadCampaignState(const std::optional<std::string>& v, std::string_view column) {
  return Read(&scheduler::ParseCampaignState, v, column, "campaign state");
}
Result<scheduler::DomainState> ReadDomainState(const std::optional<std::string>& v, std::string_view column) {
  return Read(&scheduler::ParseDomainState, v, column, "sender domain state");
}
Result<scheduler::KeyState> ReadKeyState(const std::optional<std::string>& v, std::string_view column) {
  return Read(&scheduler::ParseKeyState, v, column, "domain key state");
}
Result<scheduler::DeliveryState> ReadDeliveryState(const std::optional<std::string>& v, std::string_view column) {
  return Read(&scheduler::ParseDeliveryState, v, column, "delivery state");
}

}  // namespace tayori::store
