// The real Lookups: DNS through a DnsClient pointed at dns.resolver, and the
// STARTTLS and one-click probes over the network. DNS answers are remembered
// (one check run asks the same names many times: SPF per egress IP, includes
// shared between records; the daemon's re-checks of many domains share the
// platform's names): for the object's life when max_cache_age is 0 (one
// `tayori domain check`), else for the answer's TTL capped at max_cache_age
// (the daemon keeps one object), so a changed record is seen once its TTL
// has run out, as a receiver would see it.
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
  std::chrono::seconds max_cache_age{0};   // 0: answers kept for the object's life
};

class NetworkLookups final : public Lookups {
 public:
  // kConfig when dns.servers does not parse.
  static Result<std::unique_ptr<NetworkLookups>> Create(const NetworkOptions& options);

  DnsAnswer Resolve(const std::string& name, RrType type) override;
  ProbeResult ProbeStartTls(const StartTlsTarget& target) override;
  ProbeResult PostOneClick(const OneClickTarget& target) override;

 private:
  NetworkLookups(std::unique_ptr<DnsClient> dns, const NetworkOptions& options)
      : dns_(std::move(dns)), probe_timeout_(options.probe_timeout), max_cache_age_(options.max_cache_age) {}
  struct Cached {
    DnsAnswer answer;
    std::chrono::steady_clock::time_point expires;  // max(): never
  };
  std::unique_ptr<DnsClient> dns_;
  std::chrono::seconds probe_timeout_;
  std::chrono::seconds max_cache_age_;
  std::map<std::pair<std::string, RrType>, Cached> cache_;
};

}  // namespace tayori::readiness
