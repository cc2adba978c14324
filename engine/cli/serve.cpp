// `tayori serve-unsubscribe`: only the HTTP endpoint (one-click unsubscribe,
// /healthz, /metrics; daemon/http_service.h) on a loop with a DbWorker, until
// SIGTERM or SIGINT; prints "listening on ADDRESS:PORT" and
// "admin listening on ADDRESS:PORT" once ready.
#include <csignal>
#include <cstdio>
#include <memory>
#include <vector>

#include "cli/cli.h"
#include "cli/support.h"
#include "base/log.h"
#include "config/config.h"
#include "daemon/http_service.h"
#include "loop/loop.h"
#include "store/db_worker.h"

namespace tayori::cli {
namespace {

int RunServeUnsubscribe(const std::string& config_path) {
  const char* command = "serve-unsubscribe";
  auto cfg = config::LoadConfigFile(config_path);
  if (!cfg.ok()) return ReportFailure(cfg.status(), command);
  ApplyLogging(*cfg);
  auto password = config::ResolveSecret(cfg->database.password_env, "database.password_env");
  if (!password.ok()) return ReportFailure(password.status(), command);
  loop::Loop loop;
  int rc = kExitOk;
  {
    store::DbWorker db("db-unsubscribe", cfg->database, *password, loop);
    daemon::HttpService service(loop, *cfg, db);
    Status st = service.Start();
    if (!st.ok()) {
      rc = ReportFailure(st, command);
    } else {
      loop::SignalWatcher term(loop, SIGTERM, [&loop] { loop.Stop(); });
      loop::SignalWatcher intr(loop, SIGINT, [&loop] { loop.Stop(); });
      // SIGHUP: new unsubscribe keys (the one thing this process has that
      // may change); a broken file or a missing secret leaves the old keys.
      std::vector<std::unique_ptr<config::Config>> in_force;
      loop::SignalWatcher hup(loop, SIGHUP, [&] {
        auto next = config::LoadConfigFile(config_path);
        Status applied = next.ok() ? Status::Ok() : next.status();
        if (applied.ok()) {
          in_force.push_back(std::make_unique<config::Config>(std::move(*next)));
          applied = service.Reconfigure(*in_force.back());
        }
        if (applied.ok()) log::Info("http", "unsubscribe keys reloaded", {{"file", config_path}});
        else log::Error("http", "reload refused; the running keys stay in force", {{"reason", applied.message()}});
      });
      std::printf("listening on %s:%d\n", cfg->http.listen_address.c_str(), service.port());
      std::printf("admin listening on %s:%d\n", cfg->admin.listen_address.c_str(), service.admin_port());
      std::fflush(stdout);
      loop.Run();
      log::Info("http", "stopping on signal");
    }
  }
  return rc;
}

}  // namespace

void AddServeCommand(CLI::App& app, CliContext& ctx) {
  auto* serve = app.add_subcommand("serve-unsubscribe",
                                   "run only the HTTP endpoints (one-click unsubscribe; /healthz, /readyz, /metrics on the admin listener)");
  serve->callback([&ctx] { ctx.run = [&ctx] { return RunServeUnsubscribe(ctx.config_path); }; });
}

}  // namespace tayori::cli
