// The relay's TLS: STARTTLS offered (RFC 3207) or implicit TLS (RFC 8314),
// and a certificate that verifies for the configured host name.
#include "readiness/checks.h"

namespace tayori::readiness::internal {

void CheckRelayTls(const DomainFacts& facts, Lookups& lookups, Report& report) {
  for (const RelayFacts& relay : facts.relays) {
    if (relay.tls == TlsMode::kNone) {
      Add(report, CheckId::kRelayTls, State::kFail, Text(MessageId::kTlsConfiguredOff).Arg("relay", relay.name),
          Text(MessageId::kFixTlsEnable).Arg("relay", relay.name), relay.name);
      continue;
    }
    StartTlsTarget target{relay.host, relay.port, relay.tls == TlsMode::kImplicit, relay.ca_file, facts.helo_name};
    ProbeResult r = lookups.ProbeStartTls(target);
    auto text = [&](MessageId id) {
      return Text(id).Arg("relay", relay.name).Arg("host", relay.host).Arg("port", relay.port).Arg("error", r.error);
    };
    const Text reach = Text(MessageId::kFixTlsReach).Arg("host", relay.host).Arg("port", relay.port);
    switch (r.outcome) {
      case ProbeResult::Outcome::kOk:
        Add(report, CheckId::kRelayTls, State::kPass, text(MessageId::kTlsOk), Text(), relay.name);
        break;
      case ProbeResult::Outcome::kNoStartTls:
        Add(report, CheckId::kRelayTls, State::kFail, text(MessageId::kTlsNoStartTls), Text(MessageId::kFixTlsStartTls),
            relay.name);
        break;
      case ProbeResult::Outcome::kBadCertificate:
        Add(report, CheckId::kRelayTls, State::kFail, text(MessageId::kTlsBadCertificate),
            Text(MessageId::kFixTlsCertificate).Arg("host", relay.host), relay.name);
        break;
      case ProbeResult::Outcome::kUnreachable:
        Add(report, CheckId::kRelayTls, State::kFail, text(MessageId::kTlsUnreachable), reach, relay.name);
        break;
      case ProbeResult::Outcome::kFailed:
        Add(report, CheckId::kRelayTls, State::kFail, text(MessageId::kTlsFailed), reach, relay.name);
        break;
    }
  }
}

}  // namespace tayori::readiness::internal
