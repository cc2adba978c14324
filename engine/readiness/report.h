// The result of `tayori domain check`: a list of checks, each with a state,
// what was found and what to do, in words an operator can forward to a shop
// owner (English or Japanese, chosen when rendering).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "readiness/text.h"

namespace tayori::readiness {

enum class State { kPass, kWarn, kFail };
std::string_view StateName(State state);  // "pass", "warn", "fail"

// What a check is about; docs/readiness.md describes each.
enum class CheckId {
  kFromDomain,          // From is not a mailbox provider's domain
  kDkimKey,             // a selector serves the key Tayori holds (one per selector)
  kDkimCname,           // delegated domains: the shop's CNAME (one per selector)
  kDmarcRecord,         // _dmarc record present, valid, policy
  kDkimAlignment,       // d= aligned with From under adkim
  kSpfAlignment,        // envelope domain aligned with From under aspf (informational)
  kSpf,                 // SPF of the envelope domain authorizes an egress IP (one per IP)
  kSpfLookups,          // the SPF record's DNS lookups against the limit of 10
  kReverseDns,          // PTR of an egress IP and its forward confirmation (one per IP)
  kBounceMx,            // MX of the envelope domain
  kRelayTls,            // a relay's TLS and certificate (one per relay)
  kUnsubscribe,         // unsubscribe.base_url is https and answers a one-click POST
};
std::string_view CheckIdName(CheckId id);  // "from_domain", "dkim_key", …
// The inverse of CheckIdName; nullopt for a name that is no check.
std::optional<CheckId> CheckIdFromName(std::string_view name);
// Every check id, in report order.
const std::vector<CheckId>& AllCheckIds();

struct Check {
  CheckId id = CheckId::kFromDomain;
  std::string subject;  // the selector, IP, relay or URL it is about; "" for the domain
  State state = State::kPass;
  Text found;
  Text what_to_do;      // empty when there is nothing to do
};

struct Report {
  std::string domain;
  std::vector<Check> checks;

  // The worst state of all checks (kPass for none).
  State Overall() const;
  // The checks with this id, in report order.
  std::vector<const Check*> Find(CheckId id) const;
  // The failing checks whose id is one of `ids` (readiness.mandatory), in
  // report order. Warnings (a DNS lookup that failed included) never count.
  std::vector<const Check*> FailedAmong(const std::vector<CheckId>& ids) const;
};

// For a terminal: one block per check,
//   [FAIL] dmarc_record: There is no DMARC record at _dmarc.shop.example.
//          → Publish a TXT record at _dmarc.shop.example: …
// then "shop.example: 1 fail, 2 warn, 9 pass".
std::string RenderText(const Report& report, Lang lang);

// RenderText of a report stored as RenderJson made it (`tayori domain
// show`); kInvalidInput when `json` is not such a report.
Result<std::string> RenderTextFromJson(std::string_view json);

// For --json: {"domain":…, "state":"fail", "lang":"ja", "checks":[{"id":…,
// "subject":…, "state":…, "found":…, "what_to_do":…}]} ("what_to_do" is ""
// when there is nothing to do).
std::string RenderJson(const Report& report, Lang lang);

}  // namespace tayori::readiness
