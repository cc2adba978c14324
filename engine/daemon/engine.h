// Module daemon/: what `tayori run`, `serve-unsubscribe` and `inbound` run: the engine's wiring,
// polling, dispatch through render → sign → submit, write-back, drain, reload and metrics; the
// HTTP, inbound and readiness services; the only includer of libsystemd. May include: base/,
// config/, dkim/, dns/, feedback/, http/, inbound/, keys/, loop/, mime/, net/, ratelimit/,
// readiness/, render/, scheduler/, smtp/, store/, unsubscribe/ (its links in CMakeLists.txt, and
// what they link publicly; scripts/check-layering checks both).
//
// The campaign engine behind `tayori run`: one libuv loop that claims due
// campaigns, expands them, leases deliveries, shapes traffic, renders and
// signs on worker threads, submits through the relays and writes every
// outcome back in batched transactions. MySQL work runs on DbWorker threads.
//
// Data flows one way: MySQL → lease → fair queue → rate reservation → render
// + sign (workers) → submit (loop, libcurl) → outcome → batched write-back.
//
// Crash safety: a delivery is leased (owner + expiry) before it is touched; an
// outcome is written only under that lease. After kill -9, leases expire and
// another instance (or the restarted one) takes the deliveries over. The only
// duplicates possible are messages whose relay answer arrived but whose
// outcome was not yet written: at most max_in_flight + one write-back batch
// (docs/engine.md). SIGTERM drains: stop leasing, finish in-flight messages,
// flush, release unstarted leases, exit 0 within engine.drain_timeout_s.
#pragma once

#include <memory>
#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "config/config.h"

namespace tayori::daemon {

struct EngineOptions {
  std::string instance;          // lease owner name; default hostname-pid
  std::string config_path;       // read again on SIGHUP (daemon/reload.h); empty: HUP is ignored
  bool exit_when_idle = false;   // return once nothing is sending or due (demo, tests)
};

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> Create(const config::Config& config, EngineOptions options);
  ~Engine();
  // Runs until SIGTERM/SIGINT (drains) or, with exit_when_idle, until idle;
  // SIGHUP reloads the configuration (daemon/reload.h).
  // Returns the process exit code.
  int Run();

  struct Impl;

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tayori::daemon
