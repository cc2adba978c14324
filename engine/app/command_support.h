// What every database-backed CLI command does first: load the configuration,
// set up logging from it, connect, and turn the outcome into an exit code.
#pragma once

#include <functional>
#include <string>

#include "base/status.h"
#include "config/config.h"
#include "store/connection.h"

namespace tayori::app {

// Applies [logging] (level, text|json) to the process.
void ApplyLogging(const config::Config& cfg);

// Loads the config, connects with the password from its *_env variable, runs
// `fn`, and maps any failure to the exit code with "tayori: <command>: <reason>".
int WithDb(const std::string& config_path, const char* command,
           const std::function<Status(const config::Config&, store::Connection&)>& fn);

}  // namespace tayori::app
