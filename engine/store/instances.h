// Engine instances and their heartbeats: how several engine processes on one
// database find out how many of them are alive, to divide the global rate.
#pragma once

#include <string>

#include "base/status.h"
#include "store/connection.h"

namespace tayori::store {

// Records that `name` is alive (state running|draining|stopped) and returns
// how many instances beat within `alive_window_s` (at least 1: this one).
Result<int> Heartbeat(Connection& db, const std::string& name, const std::string& host, int pid,
                      const std::string& state, int alive_window_s);

}  // namespace tayori::store
