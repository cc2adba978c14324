// From domain: not a mailbox provider's (Gmail's and Yahoo's sender rules:
// a bulk sender mails from its own, authenticated domain; the providers
// publish p=reject / p=quarantine for their own domains, RFC 7489 §6.3).
#include "readiness/checks.h"
#include "readiness/mailbox_providers.h"

namespace tayori::readiness::internal {

void CheckFromDomain(const DomainFacts& facts, Report& report) {
  if (const MailboxProvider* p = FindMailboxProvider(facts.from_domain)) {
    Add(report, CheckId::kFromDomain, State::kFail,
        Text(MessageId::kFromMailboxProvider).Arg("domain", facts.from_domain).Arg("provider", p->provider),
        Text(MessageId::kFixFromMailboxProvider));
    return;
  }
  Add(report, CheckId::kFromDomain, State::kPass, Text(MessageId::kFromOwnDomain).Arg("domain", facts.from_domain));
}

}  // namespace tayori::readiness::internal
