// Test helpers for the private PowerDNS of scripts/services: its addresses
// (a missing variable fails the test), zones created and dropped through its
// HTTP API, and answers read with dig.
#pragma once

#include <string>

namespace tayori::testing {

struct Pdns {
  int dns_port = 0;
  int api_port = 0;
  std::string api_key;
  std::string resolver() const { return "127.0.0.1:" + std::to_string(dns_port); }
  std::string api_url() const { return "http://127.0.0.1:" + std::to_string(api_port); }
};

// Fails the current test when scripts/services did not start pdns.
Pdns RequirePdns();

// One blocking API call under /api/v1/servers/localhost; returns the HTTP
// status (-1 when the API is unreachable) and the body in *out.
int PdnsApi(const Pdns& p, const std::string& method, const std::string& path, const std::string& body,
            std::string* out = nullptr);
// (Re)creates an empty Native zone (name without the final dot).
void CreateZone(const Pdns& p, const std::string& zone);
void DeleteZone(const Pdns& p, const std::string& zone);
// Adds a CNAME in `zone` (what the shop owner does once for a delegated domain).
void AddCname(const Pdns& p, const std::string& zone, const std::string& name, const std::string& target);

// `dig @127.0.0.1 -p PORT TYPE NAME +short`, each answer on one line.
std::string Dig(const Pdns& p, const std::string& type, const std::string& name);

}  // namespace tayori::testing
