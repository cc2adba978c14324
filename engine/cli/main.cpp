// tayori: flags only. Each noun registers its subcommands (cli.h) and the
// chosen command runs after parsing.
#include "cli/cli.h"
#include "cli/support.h"
#include "base/log.h"

int main(int argc, char** argv) {
  // Until [logging] is read: journald priorities when stderr is the journal,
  // so even a configuration error at start is logged as an error.
  tayori::log::Configure(tayori::log::Level::kInfo, tayori::log::Format::kText, tayori::log::Prefix::kAuto);
  CLI::App app{"Tayori: multi-tenant newsletter engine (author-domain DKIM, one-click unsubscribe)", "tayori"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "show help for every subcommand");

  tayori::cli::CliContext ctx;
  app.add_option("-c,--config", ctx.config_path,
                 "configuration file (TOML); default: config/tayori.toml in the working directory if present, "
                 "else " TAYORI_INSTALLED_CONFIG)
      ->envname("TAYORI_CONFIG");
  app.set_version_flag("--version", "tayori " TAYORI_VERSION);

  using namespace tayori::cli;
  AddConfigCommands(app, ctx);
  AddDbCommands(app, ctx);
  AddDkimCommands(app, ctx);
  AddRenderCommands(app, ctx);
  AddRunCommand(app, ctx);
  AddTenantCommands(app, ctx);
  AddListCommands(app, ctx);
  AddCampaignCommands(app, ctx);
  AddSubscribersCommands(app, ctx);
  AddSendTestCommand(app, ctx);
  AddDomainCommands(app, ctx);
  AddSuppressCommands(app, ctx);
  AddServeCommand(app, ctx);
  AddInboundCommands(app, ctx);
  AddReportCommand(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  if (ctx.config_path.empty()) ctx.config_path = DefaultConfigPath();
  return ctx.run ? ctx.run() : kExitUsage;
}
