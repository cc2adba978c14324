// The engine's HTTP endpoints, on two listeners driven by the engine's loop:
// the public one (config [http]) serves only one-click unsubscribe
// (RFC 8058) and its confirmation page; the operators' one (config [admin],
// 127.0.0.1 by default) serves health and metrics. Anything else is 404 on
// either, so /metrics never reaches the public side.
//
// public:
//   POST /u/{token}  body List-Unsubscribe=One-Click (urlencoded or multipart)
//                    → suppression written, then 200; repeating it is a 200
//                    that changes nothing
//   GET  /u/{token}  → the confirmation page (ja or en by Accept-Language),
//                    whose button POSTs the same body; a GET writes nothing
// admin:
//   GET  /healthz    → liveness: 200 "ok" whenever the event loop answers
//   GET  /readyz     → 200 "ready", or 503 "not ready: <why>" when the database
//                    is unreachable, outcome writes are failing or the
//                    engine is draining
//   GET  /metrics    → Prometheus text: this service's counters, then the engine's
//
// Tokens are checked with unsubscribe::Verify against every key in
// config unsubscribe.keys (so secrets can rotate) before anything touches
// the database: a forged, truncated or retired-key token is answered 400/404
// and writes nothing. The subscriber's address is looked up (same tenant as
// the token) and the suppression written on the DbWorker, never on the loop.
// A POST is answered only once the suppression is committed; when the
// database does not answer within http.request_timeout_s the answer is 503
// with Retry-After (the sender retries; the write is idempotent).
//
// Thread-safety: construct, Start, use and destroy on the loop thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "config/config.h"
#include "loop/loop.h"
#include "store/db_worker.h"
#include "store/suppressions.h"

namespace tayori::daemon {

struct HttpCallbacks {
  // Prometheus text exposition of the engine's own metrics, appended to
  // /metrics. Optional.
  std::function<std::string()> metrics_text;
  // Why the engine should not be sent work now ("" when it is ready):
  // /readyz answers 503 with it. The DbWorker's own health is checked
  // first. Optional: absent means ready.
  std::function<std::string()> not_ready;
  // Runs on the loop thread after the endpoint wrote a new suppression, so
  // the engine can drop queued mail to that address before its next poll.
  // Optional.
  std::function<void(const store::SuppressionRow&)> on_suppressed;
};

class HttpService {
 public:
  // `loop`, `config` and `db` must outlive the service. `db` may be shared
  // with other work; its jobs complete on `loop`.
  HttpService(loop::Loop& loop, const config::Config& config, store::DbWorker& db, HttpCallbacks callbacks = {});
  // Answers requests still waiting for the database with 503 and closes the
  // listener.
  ~HttpService();
  HttpService(const HttpService&) = delete;
  HttpService& operator=(const HttpService&) = delete;

  // Reads the unsubscribe keys (kConfig when none is configured or a secret
  // is missing), then listens on http.listen_address:http.port and
  // admin.listen_address:admin.port (kTransient when a port is taken).
  Status Start();
  // A reload: the unsubscribe keys of `next` replace the running ones (a
  // token signed with a key no longer listed is refused from now on). On
  // an error (a key's secret missing or malformed) nothing changes. The
  // listeners stay as started. `next` must outlive the service.
  Status Reconfigure(const config::Config& next);
  // The bound ports (the chosen ones when configured 0); 0 before Start.
  int port() const;
  int admin_port() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace tayori::daemon
