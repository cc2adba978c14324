// Flags of the sender-domain commands (domain add|verify|list|show) and of
// `dkim rotate` / `dkim export-opendkim` (domain_commands.h) and
// `dkim reseal` (key_reseal.h): the dkim commands that use the database.
#include "app/cli.h"
#include "app/domain_commands.h"
#include "app/key_reseal.h"

namespace tayori::app {

void AddDomainCommands(CLI::App& app, CliContext& ctx) {
  auto* domain = app.add_subcommand("domain", "sender (author) domains and their DKIM keys");
  domain->require_subcommand(1);
  auto d = std::make_shared<std::array<std::string, 3>>();
  (*d)[2] = "hosted";
  auto* dadd = domain->add_subcommand("add", "register a sender domain, create and publish its DKIM key(s)");
  dadd->add_option("domain", (*d)[0], "the From domain")->required();
  dadd->add_option("--tenant", (*d)[1], "shop slug")->required();
  dadd->add_option("--mode", (*d)[2], "hosted (platform zone) or delegated (shop's own DNS, two CNAMEs)")
      ->check(CLI::IsMember({"hosted", "delegated"}));
  dadd->callback([&ctx, d] { ctx.run = [&ctx, d] { return RunDomainAdd(ctx.config_path, (*d)[0], (*d)[1], (*d)[2]); }; });
  auto* dverify = domain->add_subcommand("verify", "check the domain's keys through DNS and allow it to send");
  auto manual = std::make_shared<bool>(false);
  dverify->add_option("domain", (*d)[0], "the domain")->required();
  dverify->add_flag("--manual", *manual, "the operator checked the DNS records; mark verified without a lookup");
  dverify->callback([&ctx, d, manual] { ctx.run = [&ctx, d, manual] { return RunDomainVerify(ctx.config_path, (*d)[0], *manual); }; });
  auto* dlist = domain->add_subcommand("list", "every sender domain with its state and selectors");
  dlist->callback([&ctx] { ctx.run = [&ctx] { return RunDomainList(ctx.config_path); }; });
  auto* dshow = domain->add_subcommand("show", "one domain with every key and its state");
  dshow->add_option("domain", (*d)[0], "the domain")->required();
  dshow->callback([&ctx, d] { ctx.run = [&ctx, d] { return RunDomainShow(ctx.config_path, (*d)[0]); }; });

  // `dkim` is registered by AddDkimCommands (keygen|sign|verify); the key
  // lifecycle commands join it here.
  CLI::App* dkim = nullptr;
  try {
    dkim = app.get_subcommand("dkim");
  } catch (const CLI::OptionNotFound&) {
    dkim = app.add_subcommand("dkim", "DKIM keys");
  }
  auto r = std::make_shared<std::string>();
  auto step = std::make_shared<bool>(false);
  auto* rotate = dkim->add_subcommand("rotate", "rotate a domain's key over its two selectors (resumable)");
  rotate->add_option("domain", *r, "the sender domain")->required();
  rotate->add_flag("--step", *step, "make one step of the rotation and stop");
  rotate->callback([&ctx, r, step] { ctx.run = [&ctx, r, step] { return RunDkimRotate(ctx.config_path, *r, *step); }; });
  auto out = std::make_shared<std::string>();
  auto* exp = dkim->add_subcommand("export-opendkim", "write OpenDKIM KeyTable, SigningTable and key files");
  exp->add_option("dir", *out, "output directory (created 0700)")->required();
  exp->callback([&ctx, out] { ctx.run = [&ctx, out] { return RunDkimExportOpenDkim(ctx.config_path, *out); }; });
  auto* reseal = dkim->add_subcommand(
      "reseal", "seal every stored key under dkim.active_kek_id, bound to its key row (idempotent; see dkim.keks)");
  reseal->callback([&ctx] { ctx.run = [&ctx] { return RunDkimReseal(ctx.config_path); }; });
}

}  // namespace tayori::app
