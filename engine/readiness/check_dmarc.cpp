// DMARC policy discovery (RFC 7489 §6.6.3): the TXT records at
// _dmarc.<From domain>; when none is a DMARC record, those at
// _dmarc.<organizational domain>. Exactly one valid record must apply.
// Gmail and Yahoo require one (p=none at least) from bulk senders, more
// than 5,000 messages a day.
#include "readiness/alignment.h"
#include "readiness/checks.h"

namespace tayori::readiness::internal {
namespace {

constexpr int64_t kBulkDailyVolume = 5000;

struct Found {
  bool failed = false;  // no usable DNS answer
  DnsAnswer answer;
  std::vector<std::string> records;  // the TXT records that begin with v=DMARC1
};

Found Look(const std::string& name, Lookups& lookups) {
  Found f;
  f.answer = lookups.Resolve(name, RrType::kTxt);
  f.failed = f.answer.status == DnsStatus::kFailed;
  for (const DnsRecord& r : f.answer.records)
    if (IsDmarcRecord(r.value)) f.records.push_back(r.value);
  return f;
}

std::string PolicyText(const DmarcRecord& rec, bool at_org) {
  std::string p(DmarcPolicyName(rec.PolicyFor(at_org)));
  if (rec.pct < 100) p += ", pct=" + std::to_string(rec.pct);
  return p;
}

}  // namespace

DmarcDiscovery CheckDmarcRecord(const DomainFacts& facts, Lookups& lookups, Report& report) {
  DmarcDiscovery out;
  const std::string& domain = facts.from_domain;
  const std::string org = OrganizationalDomain(domain);
  out.name = "_dmarc." + domain;
  Found f = Look(out.name, lookups);
  if (f.failed) {
    AddDnsFailure(report, CheckId::kDmarcRecord, out.name, f.answer);
    return out;
  }
  if (f.records.empty() && org != domain) {
    const std::string org_name = "_dmarc." + org;
    Found o = Look(org_name, lookups);
    if (o.failed) {
      AddDnsFailure(report, CheckId::kDmarcRecord, org_name, o.answer);
      return out;
    }
    if (!o.records.empty()) {
      f = std::move(o);
      out.name = org_name;
      out.at_org_domain = true;
    }
  }

  if (f.records.empty()) {
    const bool bulk = facts.expected_daily_volume < 0 || facts.expected_daily_volume >= kBulkDailyVolume;
    Text found = org != domain
                     ? Text(MessageId::kDmarcMissingWithOrg).Arg("name", out.name).Arg("org_name", "_dmarc." + org)
                     : Text(MessageId::kDmarcMissing).Arg("name", out.name);
    Add(report, CheckId::kDmarcRecord, bulk ? State::kFail : State::kWarn, std::move(found),
        Text(bulk ? MessageId::kFixDmarcAddForBulk : MessageId::kFixDmarcAdd).Arg("org", org));
    return out;
  }
  if (f.records.size() > 1) {
    Add(report, CheckId::kDmarcRecord, State::kFail,
        Text(MessageId::kDmarcMultiple).Arg("name", out.name).Arg("count", static_cast<long long>(f.records.size())),
        Text(MessageId::kFixDmarcKeepOne).Arg("name", out.name));
    return out;
  }
  DmarcParse parsed = ParseDmarcRecord(f.records.front());
  if (!parsed.record) {
    Add(report, CheckId::kDmarcRecord, State::kFail,
        Text(MessageId::kDmarcInvalid).Arg("name", out.name).Arg("error", parsed.error.ToText()),
        Text(MessageId::kFixDmarcCorrect).Arg("name", out.name).Arg("org", org));
    return out;
  }
  const DmarcRecord& rec = *parsed.record;
  Text found = out.at_org_domain ? Text(MessageId::kDmarcFoundOrg)
                                       .Arg("domain", domain)
                                       .Arg("name", out.name)
                                       .Arg("policy", PolicyText(rec, true))
                                 : Text(MessageId::kDmarcFound)
                                       .Arg("name", out.name)
                                       .Arg("policy", PolicyText(rec, false))
                                       .Arg("domain", domain);
  State state = State::kPass;
  Text fix;
  if (!rec.warnings.empty()) {
    const DmarcProblem& w = rec.warnings.front();
    state = State::kWarn;
    fix = Text(w.kind == DmarcProblem::Kind::kUnknownTag ? MessageId::kFixDmarcRemoveUnknownTag
                                                          : MessageId::kFixDmarcMailtoUri)
              .Arg("tag", w.tag)
              .Arg("name", out.name);
  } else if (rec.rua.empty()) {
    state = State::kWarn;
    fix = Text(MessageId::kFixDmarcAddRua).Arg("name", out.name).Arg("org", org);
  }
  Add(report, CheckId::kDmarcRecord, state, std::move(found), std::move(fix));
  out.record = rec;
  return out;
}

}  // namespace tayori::readiness::internal
