// SPF of the envelope (bounce) domain, the MAIL FROM receivers check
// (RFC 7208 §2.4): does it authorize every egress IP of every relay, and
// does it stay within the 10 DNS lookups of §4.6.4.
#include <arpa/inet.h>

#include "readiness/checks.h"
#include "readiness/spf_eval.h"

namespace tayori::readiness::internal {
namespace {

constexpr int kMaxLookups = 10;

// Receivers never see mail from loopback, private (RFC 1918, RFC 4193),
// shared (RFC 6598) or link-local addresses; a relay configured with one has
// been given the wrong address.
}  // namespace

bool IsPublicAddress(const std::string& ip) {
  unsigned char b[16];
  if (inet_pton(AF_INET, ip.c_str(), b) == 1) {
    if (b[0] == 0 || b[0] == 10 || b[0] == 127) return false;
    if (b[0] == 172 && (b[1] & 0xF0) == 16) return false;
    if (b[0] == 192 && b[1] == 168) return false;
    if (b[0] == 169 && b[1] == 254) return false;
    if (b[0] == 100 && (b[1] & 0xC0) == 64) return false;
    return true;
  }
  if (inet_pton(AF_INET6, ip.c_str(), b) == 1) {
    bool zero = true;
    for (int i = 0; i < 15; ++i) zero = zero && b[i] == 0;
    if (zero && (b[15] == 0 || b[15] == 1)) return false;  // :: and ::1
    if (b[0] == 0xfe && (b[1] & 0xC0) == 0x80) return false;
    if ((b[0] & 0xFE) == 0xfc) return false;
    return true;
  }
  return false;
}

namespace {

std::string Mechanism(const std::string& ip) { return (ip.find(':') != std::string::npos ? "ip6:" : "ip4:") + ip; }

void CheckOneIp(const DomainFacts& facts, const RelayFacts& relay, const std::string& ip, Lookups& lookups,
                Report& report) {
  const std::string& env = facts.envelope_domain;
  if (!IsPublicAddress(ip)) {
    Add(report, CheckId::kSpf, State::kWarn, Text(MessageId::kSpfNotPublicAddress).Arg("ip", ip),
        Text(MessageId::kFixSpfConfigureEgress).Arg("relay", relay.name), ip);
    return;
  }
  SpfEvaluation e = EvaluateSpf(env, ip, lookups);
  if (e.too_many_lookups) {
    Add(report, CheckId::kSpf, State::kFail, Text(MessageId::kSpfTooManyLookups).Arg("envelope", env),
        Text(MessageId::kFixSpfReduceLookups).Arg("envelope", env), ip);
    return;
  }
  switch (e.result) {
    case SpfResult::kPass:
      Add(report, CheckId::kSpf, State::kPass, Text(MessageId::kSpfPass).Arg("envelope", env).Arg("ip", ip), Text(), ip);
      return;
    case SpfResult::kNone:
      Add(report, CheckId::kSpf, State::kFail, Text(MessageId::kSpfNoRecord).Arg("envelope", env),
          Text(MessageId::kFixSpfPublish).Arg("envelope", env).Arg("mechanism", Mechanism(ip)), ip);
      return;
    case SpfResult::kPermError:
      Add(report, CheckId::kSpf, State::kFail, Text(MessageId::kSpfPermError).Arg("envelope", env).Arg("error", e.error),
          Text(MessageId::kFixSpfCorrect).Arg("envelope", env), ip);
      return;
    case SpfResult::kTempError:
      Add(report, CheckId::kSpf, State::kWarn,
          Text(MessageId::kSpfTempError).Arg("envelope", env).Arg("ip", ip).Arg("error", e.error),
          Text(MessageId::kFixRetryDns), ip);
      return;
    case SpfResult::kFail:
    case SpfResult::kSoftFail:
    case SpfResult::kNeutral:
      Add(report, CheckId::kSpf, State::kFail,
          Text(MessageId::kSpfNotAuthorized).Arg("envelope", env).Arg("ip", ip).Arg("result", SpfResultName(e.result)),
          Text(MessageId::kFixSpfAddMechanism).Arg("envelope", env).Arg("mechanism", Mechanism(ip)), ip);
      return;
  }
}

}  // namespace

void CheckSpf(const DomainFacts& facts, Lookups& lookups, Report& report) {
  if (facts.envelope_domain.empty()) return;
  for (const RelayFacts& relay : facts.relays) {
    if (relay.egress_ips.empty()) {
      Add(report, CheckId::kSpf, State::kWarn, Text(MessageId::kSpfNoEgressIps).Arg("relay", relay.name),
          Text(MessageId::kFixSpfConfigureEgress).Arg("relay", relay.name), relay.name);
      continue;
    }
    for (const std::string& ip : relay.egress_ips) CheckOneIp(facts, relay, ip, lookups, report);
  }
  SpfLookupCount count = CountSpfLookups(facts.envelope_domain, lookups);
  if (!count.has_record) {
    if (count.dns_failed) AddDnsFailure(report, CheckId::kSpfLookups, facts.envelope_domain, DnsAnswer{DnsStatus::kFailed, {}, count.error});
    return;  // no record: the spf check above says so
  }
  const Text found = Text(MessageId::kSpfLookupCount).Arg("envelope", facts.envelope_domain).Arg("count", count.lookups);
  if (count.lookups > kMaxLookups) {
    Add(report, CheckId::kSpfLookups, State::kFail, found, Text(MessageId::kFixSpfReduceLookups).Arg("envelope", facts.envelope_domain));
  } else if (count.dns_failed) {
    Add(report, CheckId::kSpfLookups, State::kWarn, found, Text(MessageId::kFixRetryDns));
  } else {
    Add(report, CheckId::kSpfLookups, State::kPass, found);
  }
}

}  // namespace tayori::readiness::internal
