#include "app/cli.h"
#include "app/commands.h"

namespace tayori::app {

void AddCoreCommands(CLI::App& app, CliContext& ctx) {
  auto* version = app.add_subcommand("version", "print the version");
  version->callback([&ctx] { ctx.run = [] { return RunVersion(); }; });

  auto* config = app.add_subcommand("config", "configuration commands");
  config->require_subcommand(1);
  auto* check = config->add_subcommand("check", "validate a configuration file and print the effective settings");
  auto check_path = std::make_shared<std::string>();
  check->add_option("file", *check_path, "file to check (default: --config)");
  check->callback([&ctx, check_path] {
    ctx.run = [&ctx, check_path] { return RunConfigCheck(check_path->empty() ? ctx.config_path : *check_path); };
  });

  auto* db = app.add_subcommand("db", "database schema commands");
  db->require_subcommand(1);
  auto* migrate = db->add_subcommand("migrate", "apply pending schema migrations (idempotent)");
  migrate->callback([&ctx] { ctx.run = [&ctx] { return RunDbMigrate(ctx.config_path); }; });
  auto* status = db->add_subcommand("status", "show applied and pending migrations (exit 1 if pending)");
  auto json = std::make_shared<bool>(false);
  status->add_flag("--json", *json, "machine-readable output");
  status->callback([&ctx, json] { ctx.run = [&ctx, json] { return RunDbStatus(ctx.config_path, *json); }; });
}

}  // namespace tayori::app
