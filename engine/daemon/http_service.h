// The engine's HTTP endpoint: one-click unsubscribe (RFC 8058), its
// confirmation page, /healthz and /metrics, on one listener
// (config [http]) driven by the engine's loop.
//
//   POST /u/{token}  body List-Unsubscribe=One-Click (urlencoded or multipart)
//                    → suppression written, then 200; repeating it is a 200
//                    that changes nothing
//   GET  /u/{token}  → the confirmation page (ja or en by Accept-Language),
//                    whose button POSTs the same body; a GET writes nothing
//   GET  /healthz    → 200 "ok", or 503 when the database or the engine is not
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
  // Whether the engine is healthy; /healthz answers 503 when false (or when
  // the DbWorker is not). Optional: absent means healthy.
  std::function<bool()> healthy;
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
  // is missing), then listens on http.listen_address:http.port (kTransient
  // when the port is taken).
  Status Start();
  // The bound port (the chosen one when http.port is 0); 0 before Start.
  int port() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace tayori::daemon
