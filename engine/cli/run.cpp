// `tayori run`: the campaign engine (daemon/engine.h) until SIGTERM/SIGINT;
// SIGHUP reloads the configuration file.
#include "cli/cli.h"
#include "cli/support.h"
#include "daemon/engine.h"

namespace tayori::cli {
namespace {

int RunEngine(const std::string& config_path, const std::string& instance, bool exit_when_idle) {
  auto cfg = config::LoadConfigFile(config_path);
  if (!cfg.ok()) return ReportFailure(cfg.status(), "run");
  ApplyLogging(*cfg);
  auto engine = daemon::Engine::Create(*cfg, daemon::EngineOptions{instance, config_path, exit_when_idle});
  if (!engine.ok()) return ReportFailure(engine.status(), "run");
  return (*engine)->Run();
}

}  // namespace

void AddRunCommand(CLI::App& app, CliContext& ctx) {
  auto* run = app.add_subcommand("run", "run the campaign engine (the scheduler daemon)");
  auto instance = std::make_shared<std::string>();
  auto idle = std::make_shared<bool>(false);
  run->add_option("--instance", *instance, "lease owner name (default: engine.instance_name or hostname-pid)");
  run->add_flag("--exit-when-idle", *idle, "exit once no campaign is sending or due");
  run->callback([&ctx, instance, idle] { ctx.run = [&ctx, instance, idle] { return RunEngine(ctx.config_path, *instance, *idle); }; });
}

}  // namespace tayori::cli
