// Module readiness/: `tayori domain check`: DKIM, DMARC, SPF, reverse DNS, bounce MX, relay TLS
// and the one-click endpoint of an author domain as receivers see them; the only includer of
// libspf2 and libpsl (and a blocking user of c-ares and libcurl on a worker thread). May include:
// base/, dkim/ (its links in CMakeLists.txt, and what they link publicly; scripts/check-layering
// checks both).
//
// `tayori domain check`: everything receivers look at before they accept a
// shop's newsletter, checked for one author domain. The caller gathers the
// facts (database rows, configuration) into DomainFacts; CheckDomain asks DNS
// and the network through Lookups and returns a Report. No database, no
// loop: it blocks the calling thread (seconds, mostly DNS), so run it on a
// worker thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/tls_mode.h"
#include "readiness/lookups.h"
#include "readiness/report.h"

namespace tayori::readiness {

enum class SelectorRole { kActive, kNext, kRetiring };

struct SelectorFacts {
  std::string selector;
  SelectorRole role = SelectorRole::kActive;
  std::string public_key;    // the p= value Tayori holds (base64 SubjectPublicKeyInfo), dkim_keys.public_key
  std::string cname_target;  // delegated domains: SELECTOR._domainkey.<key_host>, the name the shop's CNAME must name
};


struct RelayFacts {
  std::string name;
  std::string host;
  int port = 25;
  TlsMode tls = TlsMode::kStartTls;
  std::string ca_file;                  // relays[].ca_file; empty: system CAs
  std::vector<std::string> egress_ips;  // the addresses receivers see mail from (IPv4 or IPv6 text)
};

struct DomainFacts {
  // --- the author domain (sender_domains, domain_keys, dkim_keys)
  std::string from_domain;      // A-label, the header From domain
  std::string signing_domain;   // DKIM d=; empty: from_domain (what Tayori does)
  bool delegated = false;       // mode = delegated: selectors are CNAMEs in the shop's DNS
  std::vector<SelectorFacts> selectors;  // published keys: active, next during a rotation, retiring
  // Messages a day this domain sends to the big mailbox providers; below
  // 5,000 a missing DMARC record is a warning, not a failure. Negative:
  // unknown, treated as bulk (Tayori sends newsletters).
  int64_t expected_daily_volume = -1;

  // --- the platform (configuration); the same for every domain
  std::string envelope_domain;          // EnvelopeDomain(envelope.return_path)
  std::vector<RelayFacts> relays;
  std::string unsubscribe_base_url;     // unsubscribe.base_url
  std::string unsubscribe_test_token;   // a token the endpoint answers 200 to without writing
  std::string unsubscribe_ca_file;      // empty: system CAs (tests point it at their own CA)
  std::vector<std::string> inbound_mx_hosts;  // where `tayori inbound` receives bounces; empty: not yet running
  std::string helo_name = "localhost";  // envelope.helo_name, for the STARTTLS probe
};

// Which checks to run. `tayori domain check --all` runs the platform checks
// (SPF, reverse DNS, bounce MX, relay TLS, unsubscribe) once and the domain
// checks once per domain.
enum class CheckScope { kAll, kDomainOnly, kPlatformOnly };

// The checks, in this order: from_domain, dkim_key (+ dkim_cname) per
// selector, dmarc_record, dkim_alignment, spf_alignment, then spf per
// egress IP, spf_lookups, reverse_dns per egress IP, bounce_mx, relay_tls
// per relay, unsubscribe. A check whose facts are absent (no unsubscribe URL, no relay)
// is left out; Report::domain is facts.from_domain.
Report CheckDomain(const DomainFacts& facts, Lookups& lookups, CheckScope scope = CheckScope::kAll);

// Whether CheckScope::kPlatformOnly produces checks with this id (SPF,
// reverse DNS, bounce MX, relay TLS, unsubscribe): the same for every domain.
bool IsPlatformCheck(CheckId id);

}  // namespace tayori::readiness
