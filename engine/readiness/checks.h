// The individual checks of CheckDomain (domain_check.cpp runs them in
// order). Internal to the module: each appends its Check entries to the
// report.
#pragma once

#include <optional>
#include <string>

#include "readiness/dmarc_record.h"
#include "readiness/domain_check.h"

namespace tayori::readiness::internal {

// Appends one check and returns it.
Check& Add(Report& report, CheckId id, State state, Text found, Text what_to_do = Text(), std::string subject = "");

// A lookup that got no usable answer: a warning (we could not tell), never a
// failure of the shop's DNS.
void AddDnsFailure(Report& report, CheckId id, const std::string& name, const DnsAnswer& answer,
                   std::string subject = "");

// What DMARC policy discovery found (RFC 7489 §6.6.3), for the alignment checks.
struct DmarcDiscovery {
  std::optional<DmarcRecord> record;  // a valid record that applies
  std::string name;                   // where it was found (or looked for first)
  bool at_org_domain = false;
};

// False for loopback, private, shared and link-local addresses (and non-addresses).
bool IsPublicAddress(const std::string& ip);

void CheckFromDomain(const DomainFacts& facts, Report& report);
void CheckDkimKeys(const DomainFacts& facts, Lookups& lookups, Report& report);
DmarcDiscovery CheckDmarcRecord(const DomainFacts& facts, Lookups& lookups, Report& report);
// Returns whether DKIM is aligned (the SPF alignment text depends on it).
bool CheckDkimAlignment(const DomainFacts& facts, const DmarcDiscovery& dmarc, Report& report);
void CheckSpfAlignment(const DomainFacts& facts, const DmarcDiscovery& dmarc, bool dkim_aligned, Report& report);
void CheckSpf(const DomainFacts& facts, Lookups& lookups, Report& report);
void CheckReverseDns(const DomainFacts& facts, Lookups& lookups, Report& report);
void CheckBounceMx(const DomainFacts& facts, Lookups& lookups, Report& report);
void CheckRelayTls(const DomainFacts& facts, Lookups& lookups, Report& report);
void CheckUnsubscribe(const DomainFacts& facts, Lookups& lookups, Report& report);

}  // namespace tayori::readiness::internal
