// tayori: flags only. Each command group registers itself (cli.h) and the
// chosen command runs after parsing.
#include "app/cli.h"
#include "app/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"Tayori: multi-tenant newsletter engine (author-domain DKIM, one-click unsubscribe)", "tayori"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "show help for every subcommand");

  tayori::app::CliContext ctx;
  app.add_option("-c,--config", ctx.config_path, "configuration file (TOML)")
      ->envname("TAYORI_CONFIG")
      ->capture_default_str();

  tayori::app::AddCoreCommands(app, ctx);
  tayori::app::AddDkimCommands(app, ctx);
  tayori::app::AddRenderCommands(app, ctx);
  tayori::app::AddOpsCommands(app, ctx);
  tayori::app::AddDomainCommands(app, ctx);
  tayori::app::AddSuppressCommands(app, ctx);

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
  return ctx.run ? ctx.run() : tayori::app::kExitUsage;
}
