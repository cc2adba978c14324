// What the readiness checks ask of the outside world, behind one interface
// so tests can answer from memory: DNS queries, a STARTTLS
// handshake with a relay, and a one-click unsubscribe POST.
//
// NetworkLookups (network_lookups.h) is the real one. Every call blocks the
// calling thread: run the checks on a worker thread, never on the loop.
// An object is used by one thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tayori::readiness {

// The record types the checks use (RFC 1035 §3.2.2, RFC 3596 for AAAA).
enum class RrType : uint16_t { kA = 1, kCname = 5, kPtr = 12, kMx = 15, kTxt = 16, kAaaa = 28 };
std::string_view RrTypeName(RrType type);

enum class DnsStatus {
  kOk,        // records of the asked type follow
  kNoData,    // the name exists, without records of that type
  kNxDomain,  // the name does not exist
  kFailed,    // no usable answer (timeout, SERVFAIL, REFUSED …): try again later
};

struct DnsRecord {
  // A/AAAA: the address in text form; PTR/CNAME/MX: the host name, lower
  // case, without the final dot; TXT: the record's character-strings joined
  // (RFC 7208 §3.3, RFC 6376 §3.6.2.2).
  std::string value;
  uint16_t preference = 0;  // MX only
};

struct DnsAnswer {
  DnsStatus status = DnsStatus::kFailed;
  std::vector<DnsRecord> records;  // empty unless kOk
  std::string error;               // kFailed: what went wrong, for the report
  // How long the answer may be remembered, in seconds: the smallest TTL of
  // the records kept; for kNoData/kNxDomain the negative-caching TTL of the
  // zone's SOA (RFC 2308 §5); 0 when unknown or kFailed.
  uint32_t ttl = 0;
};

// The result of a network probe (STARTTLS, one-click POST).
struct ProbeResult {
  enum class Outcome {
    kOk,             // handshake verified / a response was received (see status)
    kUnreachable,    // DNS, connect or timeout: nothing answered
    kNoStartTls,     // the SMTP server did not offer STARTTLS
    kBadCertificate, // TLS worked but the certificate did not verify
    kFailed,         // anything else (protocol error …), see error
  };
  Outcome outcome = Outcome::kFailed;
  long status = 0;        // HTTP status of the response
  std::string location;   // HTTP Location of a redirect
  std::string error;      // libcurl's description when not kOk
};

struct StartTlsTarget {
  std::string host;
  int port = 25;
  bool implicit_tls = false;  // smtps (TLS from the first byte) instead of STARTTLS
  std::string ca_file;        // empty: the system CA store
  std::string helo_name = "localhost";
};

struct OneClickTarget {
  std::string url;       // the full unsubscribe URL, test token included
  std::string ca_file;   // empty: the system CA store
};

class Lookups {
 public:
  virtual ~Lookups() = default;
  // One query; CNAMEs are followed to the records of `type` (unless `type`
  // is kCname itself).
  virtual DnsAnswer Resolve(const std::string& name, RrType type) = 0;
  // Connects, reads the greeting, EHLO, STARTTLS and verifies the server's
  // certificate for `host`; sends no mail (QUIT).
  virtual ProbeResult ProbeStartTls(const StartTlsTarget& target) = 0;
  // POSTs "List-Unsubscribe=One-Click" (application/x-www-form-urlencoded)
  // as a mailbox provider does (RFC 8058 §3.2): no cookies, no redirects
  // followed, certificate verified.
  virtual ProbeResult PostOneClick(const OneClickTarget& target) = 0;
};

// The name a PTR query for `ip` asks (RFC 1035 §3.5, RFC 3596 §2.5):
// "10.2.0.192.in-addr.arpa", or the nibbles under ip6.arpa. Empty when `ip`
// is not an address.
std::string ReverseName(const std::string& ip);

}  // namespace tayori::readiness
