// Blocking DNS queries with c-ares, for the readiness checks and libspf2's
// DNS layer. engine/dns/resolver.h drives c-ares on the engine's loop, which
// suits the loop's many concurrent TXT lookups; the checks instead run on a
// worker thread and libspf2 asks its questions one at a time from inside a
// synchronous call (SPF_request_query_mailfrom), so a query here waits for
// its answer: poll(2) on c-ares' sockets until the callback has run. poll
// rather than select, because a daemon can hold descriptors above
// FD_SETSIZE.
//
// Thread-safety: one DnsClient per thread (a c-ares channel is not shared).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "base/status.h"
#include "readiness/lookups.h"

namespace tayori::readiness {

struct DnsClientOptions {
  std::string servers;                      // "ip:port[,ip:port]" (dns.resolver); empty: /etc/resolv.conf
  std::chrono::milliseconds timeout{2000};  // per try
  int tries = 2;
  int max_cname_hops = 8;                   // a longer chain is reported as kFailed
};

class DnsClient {
 public:
  // kConfig when `servers` does not parse.
  static Result<std::unique_ptr<DnsClient>> Create(const DnsClientOptions& options);
  ~DnsClient();
  DnsClient(const DnsClient&) = delete;
  DnsClient& operator=(const DnsClient&) = delete;

  // Blocks until answered or timed out; see Lookups::Resolve.
  DnsAnswer Resolve(const std::string& name, RrType type);

  struct Impl;

 private:
  explicit DnsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tayori::readiness
