// MX of the envelope (bounce) domain: receivers send DSNs (RFC 3464) to the
// envelope sender, found through its MX (RFC 5321 §5.1). Until the operator
// names where Tayori's inbound service receives them (readiness.bounce_mx_hosts,
// here inbound_mx_hosts) the check only warns; then the MX must point there.
#include <algorithm>

#include "readiness/checks.h"

namespace tayori::readiness::internal {

void CheckBounceMx(const DomainFacts& facts, Lookups& lookups, Report& report) {
  const std::string& env = facts.envelope_domain;
  if (env.empty()) return;
  const bool inbound = !facts.inbound_mx_hosts.empty();
  std::string expected;
  for (const std::string& h : facts.inbound_mx_hosts) expected += (expected.empty() ? "" : ", ") + h;

  DnsAnswer mx = lookups.Resolve(env, RrType::kMx);
  if (mx.status == DnsStatus::kFailed) return AddDnsFailure(report, CheckId::kBounceMx, env, mx);
  if (mx.status != DnsStatus::kOk) {
    Add(report, CheckId::kBounceMx, inbound ? State::kFail : State::kWarn, Text(MessageId::kMxMissing).Arg("envelope", env),
        inbound ? Text(MessageId::kFixMxPointAtInbound).Arg("envelope", env).Arg("expected", expected)
                : Text(MessageId::kFixMxPublish).Arg("envelope", env));
    return;
  }
  std::vector<DnsRecord> records = mx.records;
  std::stable_sort(records.begin(), records.end(),
                   [](const DnsRecord& a, const DnsRecord& b) { return a.preference < b.preference; });
  // RFC 7505 §3: a single MX of "." (an empty name here) refuses all mail.
  if (records.size() == 1 && records.front().value.empty()) {
    Add(report, CheckId::kBounceMx, State::kFail, Text(MessageId::kMxNull).Arg("envelope", env),
        inbound ? Text(MessageId::kFixMxPointAtInbound).Arg("envelope", env).Arg("expected", expected)
                : Text(MessageId::kFixMxPublish).Arg("envelope", env));
    return;
  }
  std::string hosts;
  bool all_inbound = true;
  for (const DnsRecord& r : records) {
    hosts += (hosts.empty() ? "" : ", ") + r.value;
    bool listed = false;
    for (std::string h : facts.inbound_mx_hosts) {
      std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (!h.empty() && h.back() == '.') h.pop_back();
      listed = listed || h == r.value;
    }
    all_inbound = all_inbound && listed;
  }
  if (!inbound) {
    Add(report, CheckId::kBounceMx, State::kWarn, Text(MessageId::kMxNoInbound).Arg("envelope", env).Arg("hosts", hosts),
        Text(MessageId::kFixMxWhenInbound).Arg("envelope", env));
  } else if (!all_inbound) {
    Add(report, CheckId::kBounceMx, State::kFail,
        Text(MessageId::kMxElsewhere).Arg("envelope", env).Arg("hosts", hosts).Arg("expected", expected),
        Text(MessageId::kFixMxPointAtInbound).Arg("envelope", env).Arg("expected", expected));
  } else {
    Add(report, CheckId::kBounceMx, State::kPass, Text(MessageId::kMxOk).Arg("envelope", env).Arg("hosts", hosts));
  }
}

}  // namespace tayori::readiness::internal
