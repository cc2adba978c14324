// Identifier alignment for DMARC (RFC 7489 §3.1). Tayori signs with
// d= the From domain, so DKIM is aligned in either mode unless the
// configuration says otherwise; the envelope (bounce) domain is the
// platform's, so SPF is normally not aligned, which DMARC does not need
// (§4.2: either aligned identifier passes).
#include "readiness/alignment.h"
#include "readiness/checks.h"

namespace tayori::readiness::internal {
namespace {

Text ModeWord(AlignmentMode m) {
  return Text(m == AlignmentMode::kStrict ? MessageId::kWordStrict : MessageId::kWordRelaxed);
}

}  // namespace

bool CheckDkimAlignment(const DomainFacts& facts, const DmarcDiscovery& dmarc, Report& report) {
  const std::string& from = facts.from_domain;
  const std::string d = facts.signing_domain.empty() ? from : facts.signing_domain;
  const AlignmentMode mode = dmarc.record ? dmarc.record->adkim : AlignmentMode::kRelaxed;
  if (Aligned(d, from, mode)) {
    Add(report, CheckId::kDkimAlignment, State::kPass,
        Text(MessageId::kDkimAligned).Arg("d", d).Arg("domain", from).Arg("mode", ModeWord(mode)));
    return true;
  }
  if (mode == AlignmentMode::kStrict && Aligned(d, from, AlignmentMode::kRelaxed)) {
    Add(report, CheckId::kDkimAlignment, State::kFail, Text(MessageId::kDkimNotAlignedStrict).Arg("d", d).Arg("domain", from),
        Text(MessageId::kFixDkimAlignStrict).Arg("name", dmarc.name).Arg("domain", from));
    return false;
  }
  Add(report, CheckId::kDkimAlignment, State::kFail, Text(MessageId::kDkimNotAligned).Arg("d", d).Arg("domain", from),
      Text(MessageId::kFixDkimAlign).Arg("domain", from));
  return false;
}

void CheckSpfAlignment(const DomainFacts& facts, const DmarcDiscovery& dmarc, bool dkim_aligned, Report& report) {
  if (facts.envelope_domain.empty()) return;
  const std::string& from = facts.from_domain;
  const AlignmentMode mode = dmarc.record ? dmarc.record->aspf : AlignmentMode::kRelaxed;
  if (Aligned(facts.envelope_domain, from, mode)) {
    Add(report, CheckId::kSpfAlignment, State::kPass,
        Text(MessageId::kSpfAligned).Arg("envelope", facts.envelope_domain).Arg("domain", from).Arg("mode", ModeWord(mode)));
  } else if (dkim_aligned) {
    // Informational: this is how Tayori is built to pass DMARC.
    Add(report, CheckId::kSpfAlignment, State::kPass,
        Text(MessageId::kSpfNotAlignedDkimCarries).Arg("envelope", facts.envelope_domain).Arg("domain", from));
  } else {
    Add(report, CheckId::kSpfAlignment, State::kWarn,
        Text(MessageId::kSpfNotAlignedNoDkim).Arg("envelope", facts.envelope_domain).Arg("domain", from),
        Text(MessageId::kFixSeeDkimAlignment));
  }
}

}  // namespace tayori::readiness::internal
