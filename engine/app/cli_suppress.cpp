// Flags of the suppression commands and of `tayori serve-unsubscribe`
// (suppress_commands.h).
#include "app/cli.h"
#include "app/suppress_commands.h"

namespace tayori::app {

void AddSuppressCommands(CLI::App& app, CliContext& ctx) {
  auto* suppress = app.add_subcommand("suppress", "addresses a shop must not mail (per shop, or per list)");
  suppress->require_subcommand(1);
  struct Options {
    std::string tenant, list, address, file;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  auto common = [o](CLI::App* cmd) {
    cmd->add_option("--tenant", o->tenant, "shop slug")->required();
    cmd->add_option("--list", o->list, "list slug (default: the whole shop)");
  };

  auto* add = suppress->add_subcommand("add", "suppress an address");
  common(add);
  add->add_option("address", o->address, "the address")->required();
  add->callback([&ctx, o] { ctx.run = [&ctx, o] { return RunSuppressAdd(ctx.config_path, o->tenant, o->list, o->address); }; });

  auto* remove = suppress->add_subcommand("remove", "lift a suppression");
  common(remove);
  remove->add_option("address", o->address, "the address")->required();
  remove->callback(
      [&ctx, o] { ctx.run = [&ctx, o] { return RunSuppressRemove(ctx.config_path, o->tenant, o->list, o->address); }; });

  auto* list = suppress->add_subcommand("list", "show a shop's suppressions");
  common(list);
  list->add_option("address", o->address, "only this address");
  list->add_flag("--json", o->json, "one JSON object per line");
  list->callback([&ctx, o] {
    ctx.run = [&ctx, o] { return RunSuppressList(ctx.config_path, o->tenant, o->list, o->address, o->json); };
  });

  auto* import = suppress->add_subcommand("import", "import an existing suppression list (CSV, address first)");
  common(import);
  import->add_option("file", o->file, "CSV file")->required();
  import->callback(
      [&ctx, o] { ctx.run = [&ctx, o] { return RunSuppressImport(ctx.config_path, o->tenant, o->list, o->file); }; });

  auto* serve = app.add_subcommand("serve-unsubscribe",
                                   "run only the HTTP endpoint (one-click unsubscribe, /healthz, /metrics)");
  serve->callback([&ctx] { ctx.run = [&ctx] { return RunServeUnsubscribe(ctx.config_path); }; });
}

}  // namespace tayori::app
