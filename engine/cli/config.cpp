// `tayori version` and `tayori config check FILE`.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/cli.h"
#include "cli/support.h"
#include "config/config.h"

namespace tayori::cli {
namespace {

int RunVersion() {
  std::printf("tayori %s\n", TAYORI_VERSION);
  return kExitOk;
}

int RunConfigCheck(const std::string& path) {
  auto cfg = config::LoadConfigFile(path);
  if (!cfg.ok()) return ReportFailure(cfg.status(), "config check");
  std::fputs(config::Describe(*cfg).c_str(), stdout);
  std::fprintf(stderr, "tayori: %s: configuration is valid\n", path.c_str());
  return kExitOk;
}

}  // namespace

void AddConfigCommands(CLI::App& app, CliContext& ctx) {
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
}

}  // namespace tayori::cli
