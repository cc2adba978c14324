// The real Lookups: DNS through a DnsClient pointed at dns.resolver, and the
// STARTTLS and one-click probes over the network. DNS answers are remembered
// for the object's life (one check run asks the same names many times: SPF
// per egress IP, includes shared between records), so make a new object for
// each run — the daemon's periodic re-check included — to see changes.
// One thread at a time; blocking.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <utility>

#include "base/status.h"
#include "readiness/dns_client.h"
#include "readiness/lookups.h"

namespace tayori::readiness {

struct NetworkOptions {
  DnsClientOptions dns;
  std::chrono::seconds probe_timeout{20};  // each STARTTLS / POST probe, connect included
};

class NetworkLookups final : public Lookups {
 public:
  // kConfig when dns.servers does not parse.
  static Result<std::unique_ptr<NetworkLookups>> Create(const NetworkOptions& options);

  DnsAnswer Resolve(const std::string& name, RrType type) override;
  ProbeResult ProbeStartTls(const StartTlsTarget& target) override;
  ProbeResult PostOneClick(const OneClickTarget& target) override;

 private:
  NetworkLookups(std::unique_ptr<DnsClient> dns, std::chrono::seconds probe_timeout)
      : dns_(std::move(dns)), probe_timeout_(probe_timeout) {}
  std::unique_ptr<DnsClient> dns_;
  std::chrono::seconds probe_timeout_;
  std::map<std::pair<std::string, RrType>, DnsAnswer> cache_;
};

}  // namespace tayori::readiness
