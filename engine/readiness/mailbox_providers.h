// Domains of mailbox providers: consumer mail services whose addresses
// belong to the provider, not to a shop. They publish DMARC p=reject or
// p=quarantine and only the provider can sign for them, so a newsletter with
// such a From address fails DMARC everywhere (and Gmail and Yahoo reject
// bulk mail that does). Pure and thread-safe.
#pragma once

#include "base/status.h"

#include <string_view>

namespace tayori::readiness {

struct MailboxProvider {
  std::string_view domain;     // as listed (lower case)
  std::string_view provider;   // who runs it, for the report
  bool subdomains;             // its mailboxes also live under subdomains of it
};

// The provider entry `domain` falls under, or nullptr. Case-insensitive; a
// final dot is ignored; subdomains match only entries whose mailboxes use
// subdomains (SoftBank's old x.vodafone.ne.jp addresses, for instance).
const MailboxProvider* FindMailboxProvider(std::string_view domain);

inline bool IsMailboxProviderDomain(std::string_view domain) { return FindMailboxProvider(domain) != nullptr; }

// kInvalidInput naming the provider when `domain` (an author/From domain) is a
// mailbox provider's: a shop cannot sign for it and its DMARC policy rejects
// or quarantines such mail. Used by `domain add`, `campaign create` and the
// engine when it prepares a campaign.
Status CheckAuthorDomainAllowed(std::string_view domain);

}  // namespace tayori::readiness
