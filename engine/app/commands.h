// The CLI's commands, each a function from parsed options to an exit code.
// main.cpp only parses flags (CLI11) and calls these.
//
// Exit codes, the same for every command: 0 ok, 1 runtime failure (the
// database is down, a relay refused), 2 usage or configuration error.
#pragma once

#include <string>

namespace tayori::app {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

int RunVersion();
int RunConfigCheck(const std::string& path);
int RunDbMigrate(const std::string& config_path);
int RunDbStatus(const std::string& config_path, bool json);

}  // namespace tayori::app
