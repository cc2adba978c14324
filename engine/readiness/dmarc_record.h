// The DMARC policy record published at _dmarc.DOMAIN (RFC 7489 §6.3, the
// grammar of §6.4). Pure: parsing and validation only; discovery lives in
// check_dmarc.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "readiness/text.h"

namespace tayori::readiness {

enum class DmarcPolicy { kNone, kQuarantine, kReject };
std::string_view DmarcPolicyName(DmarcPolicy p);  // "none", "quarantine", "reject"

enum class AlignmentMode { kRelaxed, kStrict };

// Something wrong in a record, naming the tag.
struct DmarcProblem {
  enum class Kind {
    kSyntax,           // not a tag=value list; `detail` says where
    kVersionNotFirst,  // v=DMARC1 missing or not the first tag
    kNoPolicy,         // p= missing (§6.3: REQUIRED)
    kBadValue,         // `tag` has the invalid `value`
    kDuplicate,        // `tag` appears twice
    // Warnings: receivers ignore these, the record still applies.
    kUnknownTag,       // §6.3: "Unknown tags MUST be ignored"
    kNonMailtoUri,     // a rua/ruf URI receivers will not use (§6.2: mailto is the one they must support)
  };
  Kind kind = Kind::kSyntax;
  std::string tag;
  std::string value;
  std::string detail;

  std::string Describe() const;  // English, for logs and tests
  Text ToText() const;           // the report's words (kDmarcErr*)
};

struct DmarcRecord {
  DmarcPolicy policy = DmarcPolicy::kNone;
  std::optional<DmarcPolicy> subdomain_policy;  // sp=
  AlignmentMode adkim = AlignmentMode::kRelaxed;
  AlignmentMode aspf = AlignmentMode::kRelaxed;
  int pct = 100;
  std::vector<std::string> rua;  // URIs, "!size" suffix removed
  std::vector<std::string> ruf;
  std::string fo = "0";
  std::string rf = "afrf";
  uint32_t ri = 86400;
  std::vector<DmarcProblem> warnings;  // kUnknownTag, kNonMailtoUri

  // The policy for mail from `subdomain`: p=, or sp= when the record was
  // found at the organizational domain and `subdomain` is below it (§6.3).
  DmarcPolicy PolicyFor(bool record_of_org_domain) const {
    return record_of_org_domain && subdomain_policy ? *subdomain_policy : policy;
  }
};

// §6.6.3 step 2: records that do not begin with "v=DMARC1" (spaces allowed
// around "=") are not DMARC records and are discarded before parsing.
bool IsDmarcRecord(std::string_view txt);

struct DmarcParse {
  std::optional<DmarcRecord> record;  // set when valid
  DmarcProblem error;                 // meaningful when !record
};

// Parses and validates one TXT record value: v=DMARC1 first, p= required,
// sp/adkim/aspf/pct/rua/ruf/fo/rf/ri per §6.3, duplicates refused, unknown
// tags and non-mailto URIs kept as warnings.
DmarcParse ParseDmarcRecord(std::string_view txt);

}  // namespace tayori::readiness
