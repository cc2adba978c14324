// What every CLI command shares: exit codes, turning an error into one, the
// [logging] settings, and the database connection of database-backed
// commands. Only cli/ includes this.
//
// Exit codes, the same for every command: 0 ok, 1 runtime failure (the
// database is down, a relay refused), 2 usage or configuration error.
#pragma once

#include <functional>
#include <string>

#include "base/status.h"
#include "config/config.h"
#include "store/connection.h"

namespace tayori::cli {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// Prints "tayori: <context>: <message>" to stderr and returns 2 for
// configuration and usage errors, 1 for everything else.
int ReportFailure(const Status& status, const char* context);

// Applies [logging] (level, text|json) to the process.
void ApplyLogging(const config::Config& cfg);

// The configuration a command reads when none is named: the checkout's own
// `config/tayori.toml` when the working directory has one, else the installed
// one (`<sysconfdir>/tayori/tayori.toml`, /etc/tayori/tayori.toml for the
// package).
std::string DefaultConfigPath();

// Loads the config, connects with the password from its *_env variable, runs
// `fn`, and maps any failure to the exit code with "tayori: <command>: <reason>".
int WithDb(const std::string& config_path, const char* command,
           const std::function<Status(const config::Config&, store::Connection&)>& fn);

// The whole file; kInvalidInput naming the path when it cannot be read.
Result<std::string> ReadFile(const std::string& path);
// "" for no path; else a JSON file holding one object whose values are
// strings (template variables), returned compact for the database.
Result<std::string> ReadFieldsFile(const std::string& path);

}  // namespace tayori::cli
