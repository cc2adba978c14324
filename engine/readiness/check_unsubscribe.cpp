// The one-click unsubscribe endpoint (RFC 8058): an https URL that answers
// the provider's POST itself, with no redirect (§3.2: receivers do not
// follow them). The test token is one the endpoint answers without writing.
#include <cctype>

#include "readiness/checks.h"

namespace tayori::readiness::internal {

void CheckUnsubscribe(const DomainFacts& facts, Lookups& lookups, Report& report) {
  const std::string& base = facts.unsubscribe_base_url;
  if (base.empty()) return;
  std::string scheme = base.substr(0, 8);
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "https://") {
    Add(report, CheckId::kUnsubscribe, State::kFail, Text(MessageId::kUnsubNotHttps).Arg("url", base),
        Text(MessageId::kFixUnsubHttps), base);
    return;
  }
  const std::string token = facts.unsubscribe_test_token.empty() ? "readiness-check" : facts.unsubscribe_test_token;
  ProbeResult r = lookups.PostOneClick(OneClickTarget{base + token, facts.unsubscribe_ca_file});
  if (r.outcome != ProbeResult::Outcome::kOk) {
    Add(report, CheckId::kUnsubscribe, State::kFail, Text(MessageId::kUnsubUnreachable).Arg("url", base).Arg("error", r.error),
        Text(MessageId::kFixUnsubReach).Arg("url", base), base);
  } else if (r.status >= 200 && r.status < 300) {
    Add(report, CheckId::kUnsubscribe, State::kPass, Text(MessageId::kUnsubOk).Arg("url", base).Arg("status", r.status),
        Text(), base);
  } else if (r.status >= 300 && r.status < 400) {
    Add(report, CheckId::kUnsubscribe, State::kFail,
        Text(MessageId::kUnsubRedirect).Arg("url", base).Arg("status", r.status).Arg("location", r.location),
        Text(MessageId::kFixUnsubRedirect), base);
  } else {
    Add(report, CheckId::kUnsubscribe, State::kFail, Text(MessageId::kUnsubBadStatus).Arg("url", base).Arg("status", r.status),
        Text(MessageId::kFixUnsubProxy).Arg("url", base), base);
  }
}

}  // namespace tayori::readiness::internal
