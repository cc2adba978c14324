// Module cli/: the `tayori` command line: one file per noun parses flags into options, calls
// daemon/ or the modules, and prints; CLI11 and nlohmann JSON printing are used only here. May
// include: base/, config/, csv/, daemon/, dkim/, dns/, feedback/, keys/, loop/, mime/, net/,
// readiness/, render/, scheduler/, smtp/, store/, unsubscribe/ (its links in CMakeLists.txt, and
// what they link publicly; scripts/check-layering checks both).
//
// cli: the `tayori` command line. main.cpp builds the CLI11 application and
// every noun registers its subcommands from its own file (tenant.cpp,
// list.cpp, campaign.cpp, subscribers.cpp, suppress.cpp, domain.cpp,
// dkim.cpp, db.cpp, config.cpp, render.cpp, send_test.cpp, serve.cpp,
// run.cpp): it parses flags into an options struct, calls daemon/ or the
// modules, and prints. When a command is chosen it stores what to run in
// CliContext::run; main() runs it and returns its exit code (support.h).
//
// Owns: CLI11 and the JSON printing of commands. May include daemon/, keys/
// and every module; nothing includes cli/.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>

namespace tayori::cli {

struct CliContext {
  // -c/--config, or $TAYORI_CONFIG; else DefaultConfigPath() after parsing.
  std::string config_path;
  std::function<int()> run;
};

void AddConfigCommands(CLI::App& app, CliContext& ctx);       // version, config check
void AddDbCommands(CLI::App& app, CliContext& ctx);           // db migrate|status
void AddDkimCommands(CLI::App& app, CliContext& ctx);         // dkim keygen|sign|verify|rotate|export-opendkim|reseal
void AddRenderCommands(CLI::App& app, CliContext& ctx);       // render
void AddRunCommand(CLI::App& app, CliContext& ctx);           // run
void AddTenantCommands(CLI::App& app, CliContext& ctx);       // tenant add
void AddListCommands(CLI::App& app, CliContext& ctx);         // list add
void AddCampaignCommands(CLI::App& app, CliContext& ctx);     // campaign create|schedule|pause|resume|cancel|status
void AddSubscribersCommands(CLI::App& app, CliContext& ctx);  // subscribers import
void AddSendTestCommand(CLI::App& app, CliContext& ctx);      // send-test
void AddDomainCommands(CLI::App& app, CliContext& ctx);       // domain add|verify|list|show|check
void AddDomainCheckCommand(CLI::App* domain, CliContext& ctx);  // domain check (domain_check.cpp)
void AddSuppressCommands(CLI::App& app, CliContext& ctx);     // suppress add|remove|list|import
void AddServeCommand(CLI::App& app, CliContext& ctx);         // serve-unsubscribe
void AddInboundCommands(CLI::App& app, CliContext& ctx);      // inbound, inbound parse
void AddReportCommand(CLI::App& app, CliContext& ctx);        // report

}  // namespace tayori::cli
