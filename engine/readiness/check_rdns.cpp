// Forward-confirmed reverse DNS of each egress IP: a PTR record, and the
// PTR name resolving back to the IP (RFC 8601 §2.7.3 "iprev"; Gmail and Yahoo
// require it of bulk senders' IPs).
#include <arpa/inet.h>

#include <cstring>

#include "readiness/checks.h"

namespace tayori::readiness::internal {
namespace {

bool SameAddress(const std::string& a, const std::string& b) {
  unsigned char x[16], y[16];
  const int family = a.find(':') != std::string::npos ? AF_INET6 : AF_INET;
  if (inet_pton(family, a.c_str(), x) != 1 || inet_pton(family, b.c_str(), y) != 1) return false;
  return std::memcmp(x, y, family == AF_INET ? 4 : 16) == 0;
}

void CheckOneIp(const std::string& ip, Lookups& lookups, Report& report) {
  const std::string rev = ReverseName(ip);
  if (rev.empty() || !IsPublicAddress(ip)) return;  // reported by the spf check
  DnsAnswer ptr = lookups.Resolve(rev, RrType::kPtr);
  if (ptr.status == DnsStatus::kFailed) return AddDnsFailure(report, CheckId::kReverseDns, rev, ptr, ip);
  if (ptr.status != DnsStatus::kOk) {
    Add(report, CheckId::kReverseDns, State::kFail, Text(MessageId::kPtrMissing).Arg("ip", ip),
        Text(MessageId::kFixPtrSet).Arg("ip", ip), ip);
    return;
  }
  const RrType forward = ip.find(':') != std::string::npos ? RrType::kAaaa : RrType::kA;
  std::string seen;  // the addresses the first PTR name has, for the report
  for (const DnsRecord& name : ptr.records) {
    DnsAnswer a = lookups.Resolve(name.value, forward);
    for (const DnsRecord& addr : a.records) {
      if (SameAddress(addr.value, ip)) {
        Add(report, CheckId::kReverseDns, State::kPass, Text(MessageId::kPtrOk).Arg("ip", ip).Arg("ptr", name.value),
            Text(), ip);
        return;
      }
    }
    if (&name == &ptr.records.front()) {
      for (const DnsRecord& addr : a.records) seen += (seen.empty() ? "" : ", ") + addr.value;
      if (a.status == DnsStatus::kFailed) return AddDnsFailure(report, CheckId::kReverseDns, name.value, a, ip);
    }
  }
  const std::string& first = ptr.records.front().value;
  Text found = Text(MessageId::kPtrMismatch).Arg("ip", ip).Arg("ptr", first);
  if (seen.empty()) found.Arg("found", Text(MessageId::kWordNoAddress));
  else found.Arg("found", seen);
  Add(report, CheckId::kReverseDns, State::kFail, std::move(found),
      Text(MessageId::kFixPtrForward).Arg("ptr", first).Arg("ip", ip), ip);
}

}  // namespace

void CheckReverseDns(const DomainFacts& facts, Lookups& lookups, Report& report) {
  for (const RelayFacts& relay : facts.relays)
    for (const std::string& ip : relay.egress_ips) CheckOneIp(ip, lookups, report);
}

}  // namespace tayori::readiness::internal
