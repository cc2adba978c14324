// tayori: flags only. Each subcommand calls one function in commands.h.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <functional>
#include <string>

#include "app/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"Tayori: multi-tenant newsletter engine (author-domain DKIM, one-click unsubscribe)", "tayori"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "show help for every subcommand");

  std::string config_path = "config/tayori.toml";
  app.add_option("-c,--config", config_path, "configuration file (TOML)")
      ->envname("TAYORI_CONFIG")
      ->capture_default_str();

  std::function<int()> run;

  auto* version = app.add_subcommand("version", "print the version");
  version->callback([&] { run = [] { return tayori::app::RunVersion(); }; });

  auto* config = app.add_subcommand("config", "configuration commands");
  config->require_subcommand(1);
  auto* check = config->add_subcommand("check", "validate a configuration file and print the effective settings");
  std::string check_path;
  check->add_option("file", check_path, "file to check (default: --config)");
  check->callback([&] {
    run = [&] { return tayori::app::RunConfigCheck(check_path.empty() ? config_path : check_path); };
  });

  auto* db = app.add_subcommand("db", "database schema commands");
  db->require_subcommand(1);
  auto* migrate = db->add_subcommand("migrate", "apply pending schema migrations (idempotent)");
  migrate->callback([&] { run = [&] { return tayori::app::RunDbMigrate(config_path); }; });
  auto* status = db->add_subcommand("status", "show applied and pending migrations (exit 1 if pending)");
  bool status_json = false;
  status->add_flag("--json", status_json, "machine-readable output");
  status->callback([&] { run = [&] { return tayori::app::RunDbStatus(config_path, status_json); }; });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return tayori::app::kExitUsage;
  }
  return run ? run() : tayori::app::kExitUsage;
}
