// Helpers of the readiness integration tests: records in the private
// PowerDNS, per-process test addresses, and a throw-away certificate.
#pragma once

#include <string>
#include <vector>

#include "pdns_util.h"

namespace tayori::readiness::testing {

// Replaces the rrset NAME/TYPE in `zone` with `contents` (zone-file form:
// TXT values quoted, see TxtContent). Retries while the shared SQLite
// backend is locked (HTTP 500), like tests/dns' AddCname.
void SetRecords(const tayori::testing::Pdns& p, const std::string& zone, const std::string& name,
                const std::string& type, const std::vector<std::string>& contents, int ttl = 60);
// The zone-file form of a TXT value (split in 255-byte strings, quoted).
std::string TxtContent(const std::string& value);
// Creates a zone for the reverse name of `ip` holding one PTR to `host`
// (empty `host`: an empty zone, i.e. no PTR). Returns the zone's name.
std::string CreatePtrZone(const tayori::testing::Pdns& p, const std::string& ip, const std::string& host);

// An IPv4 address in 198.18.0.0/15 (RFC 2544's benchmarking range, never
// on the Internet) unique to this process: ctest runs test cases as
// concurrent processes, each with its own reverse zones. k = 0..3.
std::string TestIp(int k);

// A self-signed certificate for 127.0.0.1 in a fresh directory (removed by
// the destructor).
struct TestCertificate {
  TestCertificate();
  ~TestCertificate();
  std::string dir, cert, key;
};

}  // namespace tayori::readiness::testing
