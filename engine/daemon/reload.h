// What a reload (SIGHUP to `tayori run`) may change while the engine runs,
// and what only a restart can (docs/operations.md "Reload").
//
// Changed at once: rate limits and destination groups, relays, retry,
// logging, unsubscribe keys (and base URL), DNS provider and resolver,
// feedback limits, readiness checks, engine.batch_size / max_campaigns /
// drain_timeout_s, admin.shop_series. Kept as running until a restart (the
// reload names them in the log): the database, the listeners ([http],
// [admin], [inbound]), [envelope] (the bounce address the inbound parser
// verifies), [dkim] (KEKs), and the engine's identity and cadence
// (instance_name, worker_threads, lease_s, poll_interval_ms — other
// instances' takeover windows are computed from them), readiness.interval_s.
//
// Pure: compares two parsed configurations; the engine applies the result.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace tayori::daemon {

struct ReloadPlan {
  // The new file with every restart-only setting kept as running.
  config::Config next;
  // Settings that change now, as "section.key" ("relays" for a whole
  // array of tables), in file order.
  std::vector<std::string> applied;
  // Settings the file changes that stay as running until a restart.
  std::vector<std::string> need_restart;
  // Whether any applied setting is in `section` ("rate_limits", "dns" …).
  bool Changed(std::string_view section) const;
};

ReloadPlan PlanReload(const config::Config& running, const config::Config& file);

// "a, b, c" for log lines.
std::string JoinSettings(const std::vector<std::string>& names);

}  // namespace tayori::daemon
