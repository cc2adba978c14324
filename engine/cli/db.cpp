// `tayori db migrate` and `tayori db status [--json]`.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/cli.h"
#include "cli/json_print.h"
#include "cli/support.h"
#include "base/log.h"
#include "config/config.h"
#include "store/connection.h"
#include "store/migrations.h"

namespace tayori::cli {
namespace {

Result<std::unique_ptr<store::Connection>> OpenDatabase(const config::Config& cfg) {
  TAYORI_ASSIGN_OR_RETURN(std::string password,
                          config::ResolveSecret(cfg.database.password_env, "database.password_env"));
  return store::Connection::Open(cfg.database, password);
}

int RunDbMigrate(const std::string& config_path) {
  auto cfg = config::LoadConfigFile(config_path);
  if (!cfg.ok()) return ReportFailure(cfg.status(), "db migrate");
  ApplyLogging(*cfg);
  auto db = OpenDatabase(*cfg);
  if (!db.ok()) return ReportFailure(db.status(), "db migrate");
  auto applied = store::Migrate(**db);
  if (!applied.ok()) return ReportFailure(applied.status(), "db migrate");
  if (applied->empty()) {
    std::printf("database %s is up to date at schema version %d\n", (*db)->describe().c_str(),
                store::LatestVersion());
  } else {
    for (int v : *applied) std::printf("applied migration %04d\n", v);
    std::printf("database %s is now at schema version %d\n", (*db)->describe().c_str(), store::LatestVersion());
  }
  return kExitOk;
}

int RunDbStatus(const std::string& config_path, bool json) {
  auto cfg = config::LoadConfigFile(config_path);
  if (!cfg.ok()) return ReportFailure(cfg.status(), "db status");
  ApplyLogging(*cfg);
  auto db = OpenDatabase(*cfg);
  if (!db.ok()) return ReportFailure(db.status(), "db status");
  auto st = store::GetSchemaStatus(**db);
  if (!st.ok()) return ReportFailure(st.status(), "db status");
  if (json) {
    nlohmann::json migrations = nlohmann::json::array();
    for (const auto& m : st->migrations)
      migrations.push_back({{"version", m.version}, {"name", m.name}, {"applied", m.applied}, {"applied_at", m.applied_at}});
    PrintJsonLine({{"database", (*db)->describe()}, {"current_version", st->current_version},
                   {"latest_version", st->latest_version}, {"pending", st->pending()}, {"ahead", st->ahead()},
                   {"migrations", std::move(migrations)}});
  } else {
    std::printf("database:        %s\n", (*db)->describe().c_str());
    std::printf("schema version:  %d (this binary knows up to %d)\n", st->current_version, st->latest_version);
    for (const auto& m : st->migrations) {
      std::printf("  %04d %-32s %s\n", m.version, m.name.c_str(),
                  m.applied ? ("applied " + m.applied_at).c_str() : "PENDING");
    }
  }
  if (st->ahead()) {
    std::fprintf(stderr, "tayori: db status: the database is ahead of this binary; upgrade tayori\n");
    return kExitUsage;
  }
  if (st->pending() > 0) {
    std::fprintf(stderr, "tayori: db status: %d migration(s) pending; run `tayori db migrate`\n", st->pending());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

void AddDbCommands(CLI::App& app, CliContext& ctx) {
  auto* db = app.add_subcommand("db", "database schema commands");
  db->require_subcommand(1);
  auto* migrate = db->add_subcommand("migrate", "apply pending schema migrations (idempotent)");
  migrate->callback([&ctx] { ctx.run = [&ctx] { return RunDbMigrate(ctx.config_path); }; });
  auto* status = db->add_subcommand("status", "show applied and pending migrations (exit 1 if pending)");
  auto json = std::make_shared<bool>(false);
  status->add_flag("--json", *json, "machine-readable output");
  status->callback([&ctx, json] { ctx.run = [&ctx, json] { return RunDbStatus(ctx.config_path, *json); }; });
}

}  // namespace tayori::cli
