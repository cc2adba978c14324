// Subcommand registration. Each command group registers its CLI11 options in
// its own cli_*.cpp and, when chosen, stores the command to run in
// CliContext::run; main() runs it. Only the app module includes CLI11.
#pragma once

#include <CLI/CLI.hpp>

#include <array>
#include <functional>
#include <memory>
#include <string>

namespace tayori::app {

struct CliContext {
  std::string config_path = "config/tayori.toml";  // -c/--config, or $TAYORI_CONFIG
  std::function<int()> run;
};

void AddCoreCommands(CLI::App& app, CliContext& ctx);    // version, config check, db migrate|status
void AddDkimCommands(CLI::App& app, CliContext& ctx);    // dkim keygen|sign|verify
void AddRenderCommands(CLI::App& app, CliContext& ctx);  // render
void AddOpsCommands(CLI::App& app, CliContext& ctx);     // run, tenant, list, campaign, subscribers
// domain add|verify|list|show, dkim rotate|export-opendkim|reseal (after AddDkimCommands)
void AddDomainCommands(CLI::App& app, CliContext& ctx);
void AddSuppressCommands(CLI::App& app, CliContext& ctx);  // suppress add|remove|list|import, serve-unsubscribe

}  // namespace tayori::app
