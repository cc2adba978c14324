// Module dns/: publishing DKIM records through DNS provider APIs (PowerDNS, Route 53) and TXT
// lookups with c-ares on the loop; the loop-driven includer of c-ares. May include: base/,
// config/, loop/, net/ (its links in CMakeLists.txt, and what they link publicly; scripts/check-
// layering checks both).
//
// DNS providers: where the platform publishes DKIM key records. One
// interface, two backends (PowerDNS Authoritative's HTTP API, Amazon Route 53)
// chosen by [dns] provider; "none" means the operator publishes by hand.
//
// A Provider lives on the loop thread and talks HTTP through net::Transfers.
// Changes are idempotent (PowerDNS REPLACE, Route 53 UPSERT; deleting a
// record that is gone is not an error), so a step retried after a crash is
// safe. Transient failures (connection errors, 5xx, throttling) are retried
// with backoff inside the provider; the Status a caller gets is final and
// carries the provider's own message.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "config/config.h"
#include "loop/loop.h"
#include "net/transfers.h"

namespace tayori::dns {

enum class ChangeAction { kUpsert, kDelete };

struct RecordChange {
  ChangeAction action = ChangeAction::kUpsert;
  std::string name;          // owner name, without the final dot
  std::string type = "TXT";  // TXT or CNAME
  // TXT: the unquoted value (providers split and quote it); CNAME: the
  // target without the final dot. For kDelete, Route 53 needs the value
  // currently published (it deletes only an exact match); PowerDNS ignores it.
  std::string value;
  int ttl = 300;
};

class Provider {
 public:
  virtual ~Provider() = default;
  // "powerdns", "route53": for logs and messages.
  virtual std::string_view name() const = 0;
  // Applies every change in one request (atomic at the provider). `done` runs
  // on the loop thread exactly once, unless the Provider is destroyed first.
  virtual void Apply(std::vector<RecordChange> changes, std::function<void(Status)> done) = 0;
};

// Retry schedule for transient provider failures.
struct RetryPolicy {
  int attempts = 5;                                  // including the first
  std::chrono::milliseconds initial_backoff{500};    // doubled each retry
  std::chrono::milliseconds max_backoff{8000};
};

// The provider [dns] configures, publishing into `zone` (for PowerDNS the
// zone id; Route 53 uses dns.route53.hosted_zone_id). Reads the API secrets
// from the environment. Returns nullptr (ok) for provider = "none".
// `loop` and `transfers` must outlive the provider.
Result<std::unique_ptr<Provider>> MakeProvider(const config::Dns& dns, const std::string& zone, loop::Loop& loop,
                                               net::Transfers& transfers, RetryPolicy retry = {});

}  // namespace tayori::dns
