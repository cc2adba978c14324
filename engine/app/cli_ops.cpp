// Flags of the operator commands (ops_commands.h) and of `tayori run`.
#include "app/cli.h"
#include "app/ops_commands.h"
#include "app/send_test.h"

namespace tayori::app {

void AddOpsCommands(CLI::App& app, CliContext& ctx) {
  auto* run = app.add_subcommand("run", "run the campaign engine (the scheduler daemon)");
  auto instance = std::make_shared<std::string>();
  auto idle = std::make_shared<bool>(false);
  run->add_option("--instance", *instance, "lease owner name (default: engine.instance_name or hostname-pid)");
  run->add_flag("--exit-when-idle", *idle, "exit once no campaign is sending or due");
  run->callback([&ctx, instance, idle] { ctx.run = [&ctx, instance, idle] { return RunEngine(ctx.config_path, *instance, *idle); }; });

  auto* tenant = app.add_subcommand("tenant", "shops (tenants)");
  tenant->require_subcommand(1);
  auto* tadd = tenant->add_subcommand("add", "add a shop");
  auto t = std::make_shared<std::array<std::string, 4>>();
  tadd->add_option("slug", (*t)[0], "short name")->required();
  tadd->add_option("--name", (*t)[1], "shop name shown to subscribers")->required();
  tadd->add_option("--sender-id", (*t)[2], "Feedback-ID SenderId, 5-15 characters")->required();
  tadd->add_option("--fields", (*t)[3], "JSON file: object of strings, the shop.<key> template variables");
  tadd->callback([&ctx, t] {
    ctx.run = [&ctx, t] { return RunTenantAdd(ctx.config_path, (*t)[0], (*t)[1], (*t)[2], (*t)[3]); };
  });

  auto* list = app.add_subcommand("list", "mailing lists");
  list->require_subcommand(1);
  auto* ladd = list->add_subcommand("add", "add a list to a shop");
  auto l = std::make_shared<std::array<std::string, 3>>();
  ladd->add_option("slug", (*l)[1], "list short name (used in List-Id)")->required();
  ladd->add_option("--tenant", (*l)[0], "shop slug")->required();
  ladd->add_option("--name", (*l)[2], "list name")->required();
  ladd->callback([&ctx, l] { ctx.run = [&ctx, l] { return RunListAdd(ctx.config_path, (*l)[0], (*l)[1], (*l)[2]); }; });

  auto* campaign = app.add_subcommand("campaign", "newsletter campaigns");
  campaign->require_subcommand(1);
  auto c = std::make_shared<CampaignCreateOptions>();
  auto* create = campaign->add_subcommand("create", "create a campaign (draft, or scheduled with --schedule/--at)");
  create->add_option("--tenant", c->tenant, "shop slug")->required();
  create->add_option("--list", c->list, "list slug")->required();
  create->add_option("--from", c->from, "From address, in the sender domain")->required();
  create->add_option("--from-name", c->from_name, "From display name");
  create->add_option("--reply-to", c->reply_to, "Reply-To address");
  create->add_option("--domain", c->domain, "sender domain (default: the From domain)");
  create->add_option("--template", c->template_dir, "directory with subject/text/html .mustache files");
  create->add_option("--subject", c->subject, "subject template (overrides --template)");
  create->add_option("--text", c->text_file, "text part template file");
  create->add_option("--html", c->html_file, "HTML part template file");
  create->add_option("--mail-type", c->mail_type, "Feedback-ID mail type")->capture_default_str();
  create->add_option("--fields", c->fields_file, "JSON file: object of strings, the campaign.<key> template variables");
  create->add_flag("--schedule", c->schedule, "schedule it to send now");
  create->add_option("--at", c->at, "schedule it at this UTC time (YYYY-MM-DD HH:MM:SS)");
  create->callback([&ctx, c] { ctx.run = [&ctx, c] { return RunCampaignCreate(ctx.config_path, *c); }; });

  auto id = std::make_shared<uint64_t>(0);
  auto at = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto watch = std::make_shared<bool>(false);
  auto* schedule = campaign->add_subcommand("schedule", "schedule a draft or paused campaign");
  schedule->add_option("id", *id)->required();
  schedule->add_option("--at", *at, "UTC time (YYYY-MM-DD HH:MM:SS); default now");
  schedule->callback([&ctx, id, at] { ctx.run = [&ctx, id, at] { return RunCampaignSchedule(ctx.config_path, *id, *at); }; });
  auto* pause = campaign->add_subcommand("pause", "pause a scheduled or sending campaign");
  pause->add_option("id", *id)->required();
  pause->callback([&ctx, id] { ctx.run = [&ctx, id] { return RunCampaignPause(ctx.config_path, *id); }; });
  auto* resume = campaign->add_subcommand("resume", "resume a paused campaign");
  resume->add_option("id", *id)->required();
  resume->callback([&ctx, id] { ctx.run = [&ctx, id] { return RunCampaignResume(ctx.config_path, *id); }; });
  auto* cancel = campaign->add_subcommand("cancel", "cancel a campaign and its unsent deliveries");
  cancel->add_option("id", *id)->required();
  cancel->callback([&ctx, id] { ctx.run = [&ctx, id] { return RunCampaignCancel(ctx.config_path, *id); }; });
  auto* status = campaign->add_subcommand("status", "progress and counts per state");
  status->add_option("id", *id)->required();
  status->add_flag("--json", *json, "machine-readable");
  status->add_flag("--watch", *watch, "refresh every second until the campaign ends");
  status->callback([&ctx, id, json, watch] {
    ctx.run = [&ctx, id, json, watch] { return RunCampaignStatus(ctx.config_path, *id, *json, *watch); };
  });

  auto* subscribers = app.add_subcommand("subscribers", "subscribers of a shop");
  subscribers->require_subcommand(1);
  auto s = std::make_shared<std::array<std::string, 3>>();
  auto* import = subscribers->add_subcommand("import", "stream a CSV (email,name,field...) into a list");
  import->add_option("--tenant", (*s)[0], "shop slug")->required();
  import->add_option("--list", (*s)[1], "list slug")->required();
  import->add_option("file", (*s)[2], "CSV file with a header row")->required();
  import->callback([&ctx, s] {
    ctx.run = [&ctx, s] { return RunSubscribersImport(ctx.config_path, (*s)[0], (*s)[1], (*s)[2]); };
  });

  auto* send_test = app.add_subcommand("send-test", "render, sign and send a campaign to one test address now");
  auto test_id = std::make_shared<uint64_t>(0);
  auto test_to = std::make_shared<std::string>();
  send_test->add_option("--campaign", *test_id, "campaign id")->required();
  send_test->add_option("--to", *test_to, "test recipient address")->required();
  send_test->callback([&ctx, test_id, test_to] {
    ctx.run = [&ctx, test_id, test_to] { return RunSendTest(ctx.config_path, *test_id, *test_to); };
  });
}

}  // namespace tayori::app
