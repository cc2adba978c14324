#include "readiness/domain_check.h"

#include "readiness/checks.h"

namespace tayori::readiness {
namespace internal {

Check& Add(Report& report, CheckId id, State state, Text found, Text what_to_do, std::string subject) {
  report.checks.push_back(Check{id, std::move(subject), state, std::move(found), std::move(what_to_do)});
  return report.checks.back();
}

void AddDnsFailure(Report& report, CheckId id, const std::string& name, const DnsAnswer& answer,
                   std::string subject) {
  Add(report, id, State::kWarn, Text(MessageId::kDnsFailed).Arg("name", name).Arg("error", answer.error),
      Text(MessageId::kFixRetryDns), std::move(subject));
}

}  // namespace internal

bool IsPlatformCheck(CheckId id) {
  return id == CheckId::kSpf || id == CheckId::kSpfLookups || id == CheckId::kReverseDns ||
         id == CheckId::kBounceMx || id == CheckId::kRelayTls || id == CheckId::kUnsubscribe;
}

Report CheckDomain(const DomainFacts& facts, Lookups& lookups, CheckScope scope) {
  using namespace internal;
  Report report;
  report.domain = facts.from_domain;
  if (scope != CheckScope::kPlatformOnly) {
    CheckFromDomain(facts, report);
    CheckDkimKeys(facts, lookups, report);
    DmarcDiscovery dmarc = CheckDmarcRecord(facts, lookups, report);
    const bool dkim_aligned = CheckDkimAlignment(facts, dmarc, report);
    CheckSpfAlignment(facts, dmarc, dkim_aligned, report);
  }
  if (scope != CheckScope::kDomainOnly) {
    CheckSpf(facts, lookups, report);
    CheckReverseDns(facts, lookups, report);
    CheckBounceMx(facts, lookups, report);
    CheckRelayTls(facts, lookups, report);
    CheckUnsubscribe(facts, lookups, report);
  }
  return report;
}

}  // namespace tayori::readiness
