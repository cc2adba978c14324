// `tayori campaign create|schedule|pause|resume|cancel|status`.
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "cli/cli.h"
#include "cli/json_print.h"
#include "cli/support.h"
#include "base/log.h"
#include "daemon/domain_readiness.h"
#include "mime/address.h"
#include "mime/header_safety.h"
#include "mime/idn.h"
#include "readiness/mailbox_providers.h"
#include "render/template.h"
#include "scheduler/states.h"
#include "store/admin.h"
#include "store/campaigns.h"
#include "store/keys.h"
#include "store/listing.h"

namespace tayori::cli {
namespace {

using scheduler::CampaignState;

struct CampaignCreateOptions {
  std::string tenant, list, domain, from, from_name, reply_to;
  std::string template_dir;          // subject.mustache, text.mustache, html.mustache
  std::string subject, text_file, html_file;
  std::string mail_type = "newsletter";
  std::string fields_file;           // JSON object of strings: campaign.<key> variables
  bool schedule = false;
  std::string at;                    // "YYYY-MM-DD HH:MM:SS" UTC
};

std::string Bar(double fraction, int width = 30) {
  int filled = static_cast<int>(fraction * width + 0.5);
  std::string s = "[";
  for (int i = 0; i < width; ++i) s += i < filled ? '#' : '.';
  return s + "]";
}

void PrintSummary(const store::CampaignSummary& s, bool json) {
  if (json) {
    PrintJsonLine({{"id", s.id}, {"tenant", s.tenant_slug}, {"list", s.list_slug}, {"domain", s.domain},
                   {"state", std::string(scheduler::Name(s.state))}, {"reason", s.state_reason},
                   {"scheduled_at", s.scheduled_at},
                   {"started_at", s.started_at}, {"finished_at", s.finished_at}, {"expanded", s.expanded},
                   {"total", s.total}, {"sent", s.sent}, {"failed", s.failed}, {"bounced", s.bounced},
                   {"suppressed", s.suppressed}, {"expired", s.expired}, {"unknown", s.unknown},
                   {"cancelled", s.cancelled}, {"deliveries", s.by_state}});
    return;
  }
  uint64_t done = s.sent + s.failed + s.bounced + s.suppressed + s.expired + s.unknown + s.cancelled;
  double fraction = s.total ? static_cast<double>(done) / static_cast<double>(s.total) : 0;
  std::printf("campaign %llu  shop %s  list %s  from %s\n", static_cast<unsigned long long>(s.id),
              s.tenant_slug.c_str(), s.list_slug.c_str(), s.domain.c_str());
  std::printf("state     %s%s%s\n", std::string(scheduler::Name(s.state)).c_str(), s.state_reason.empty() ? "" : ": ",
              s.state_reason.c_str());
  std::printf("progress  %s %5.1f%%  %llu of %llu%s\n", Bar(fraction).c_str(), fraction * 100,
              static_cast<unsigned long long>(done), static_cast<unsigned long long>(s.total),
              s.expanded ? "" : " (still expanding)");
  std::printf("outcomes  sent %llu  failed %llu  bounced %llu  suppressed %llu  expired %llu  unknown %llu  cancelled %llu\n",
              static_cast<unsigned long long>(s.sent), static_cast<unsigned long long>(s.failed),
              static_cast<unsigned long long>(s.bounced), static_cast<unsigned long long>(s.suppressed),
              static_cast<unsigned long long>(s.expired), static_cast<unsigned long long>(s.unknown),
              static_cast<unsigned long long>(s.cancelled));
  std::string states;
  for (const auto& [k, v] : s.by_state) states += "  " + k + " " + std::to_string(v);
  std::printf("deliveries%s\n", states.empty() ? "  none yet" : states.c_str());
}

// A campaign is scheduled (or resumed) only when its author domain passes
// every check readiness.mandatory names (docs/readiness.md): checked now,
// the result recorded for `domain show`.
Status RequireReady(store::Connection& db, const config::Config& cfg, uint64_t id) {
  TAYORI_ASSIGN_OR_RETURN(store::CampaignSummary s, store::GetCampaignSummary(db, id));
  // Any other state: the move below says why not.
  if (s.state != CampaignState::kDraft && s.state != CampaignState::kPaused) return Status::Ok();
  return daemon::RequireReadyDomain(db, cfg, s.domain)
      .WithContext("campaign " + std::to_string(id) + " not scheduled");
}

int RunCampaignCreate(const std::string& config_path, const CampaignCreateOptions& o) {
  return WithDb(config_path, "campaign create", [&](const config::Config& cfg, store::Connection& db) -> Status {
    store::NewCampaign c;
    TAYORI_ASSIGN_OR_RETURN(c.tenant_id, store::TenantIdBySlug(db, o.tenant));
    TAYORI_ASSIGN_OR_RETURN(c.list_id, store::ListIdBySlug(db, c.tenant_id, o.list));
    TAYORI_ASSIGN_OR_RETURN(mime::Mailbox from, mime::ParseAddrSpec(o.from));
    TAYORI_RETURN_IF_ERROR(readiness::CheckAuthorDomainAllowed(from.domain).WithContext("--from " + o.from));
    std::string domain = o.domain.empty() ? from.domain : o.domain;
    TAYORI_ASSIGN_OR_RETURN(domain, mime::DomainToALabel(domain));
    TAYORI_ASSIGN_OR_RETURN(store::SenderDomainRow d, store::FindSenderDomain(db, domain));
    if (d.tenant_id != c.tenant_id) return InvalidInput("sender domain " + domain + " belongs to another shop");
    if (from.domain != domain)
      return InvalidInput("--from " + o.from + " is not in the sender domain " + domain +
                          " (DKIM alignment needs d= = the From domain)");
    TAYORI_RETURN_IF_ERROR(mime::CheckHeaderText("--from-name", o.from_name));
    c.sender_domain_id = d.id;
    c.from_address = from.AddrSpec();
    c.from_name = o.from_name;
    c.reply_to = o.reply_to;
    c.mail_type = o.mail_type;
    TAYORI_ASSIGN_OR_RETURN(c.fields_json, ReadFieldsFile(o.fields_file));
    if (!o.template_dir.empty()) {
      TAYORI_ASSIGN_OR_RETURN(c.subject_template, ReadFile(o.template_dir + "/subject.mustache"));
      while (!c.subject_template.empty() && (c.subject_template.back() == '\n' || c.subject_template.back() == '\r'))
        c.subject_template.pop_back();
      auto text = ReadFile(o.template_dir + "/text.mustache");
      if (text.ok()) c.text_template = *text;
      auto html = ReadFile(o.template_dir + "/html.mustache");
      if (html.ok()) c.html_template = *html;
    }
    if (!o.subject.empty()) c.subject_template = o.subject;
    if (!o.text_file.empty()) {
      TAYORI_ASSIGN_OR_RETURN(c.text_template, ReadFile(o.text_file));
    }
    if (!o.html_file.empty()) {
      TAYORI_ASSIGN_OR_RETURN(c.html_template, ReadFile(o.html_file));
    }
    if (c.subject_template.empty()) return InvalidInput("a subject is required (--subject or --template)");
    if (c.text_template.empty() && c.html_template.empty())
      return InvalidInput("a text or HTML body is required (--text, --html or --template)");
    // The size and nesting limits the engine checks when it claims the
    // campaign, checked here too (same names, same errors) so a template
    // that could never compile is refused before it is stored.
    TAYORI_RETURN_IF_ERROR(render::CheckTemplateLimits({"subject", c.subject_template}));
    if (!c.text_template.empty()) TAYORI_RETURN_IF_ERROR(render::CheckTemplateLimits({"text", c.text_template}));
    if (!c.html_template.empty()) TAYORI_RETURN_IF_ERROR(render::CheckTemplateLimits({"html", c.html_template}));
    TAYORI_ASSIGN_OR_RETURN(uint64_t id, store::CreateCampaign(db, c));
    std::printf("campaign %llu created (draft)\n", static_cast<unsigned long long>(id));
    if (o.schedule || !o.at.empty()) {
      TAYORI_RETURN_IF_ERROR(RequireReady(db, cfg, id));
      TAYORI_ASSIGN_OR_RETURN(bool moved, store::ScheduleCampaign(db, id, o.at, "cli"));
      if (moved) std::printf("campaign %llu scheduled\n", static_cast<unsigned long long>(id));
    }
    return Status::Ok();
  });
}

int RunCampaignSchedule(const std::string& config_path, uint64_t id, const std::string& at) {
  return WithDb(config_path, "campaign schedule", [&](const config::Config& cfg, store::Connection& db) -> Status {
    TAYORI_RETURN_IF_ERROR(RequireReady(db, cfg, id));
    TAYORI_ASSIGN_OR_RETURN(bool moved, store::ScheduleCampaign(db, id, at, "cli"));
    if (!moved) return InvalidInput("campaign " + std::to_string(id) + " is not a draft or paused");
    std::printf("campaign %llu scheduled\n", static_cast<unsigned long long>(id));
    return Status::Ok();
  });
}

int RunCampaignPause(const std::string& config_path, uint64_t id) {
  return WithDb(config_path, "campaign pause", [&](const config::Config&, store::Connection& db) -> Status {
    TAYORI_ASSIGN_OR_RETURN(bool moved,
                            store::MoveCampaign(db, id, {CampaignState::kScheduled, CampaignState::kSending},
                                                CampaignState::kPaused, "paused by operator", "cli"));
    if (!moved) return InvalidInput("campaign " + std::to_string(id) + " is not scheduled or sending");
    std::printf("campaign %llu paused; running engines stop it within a poll interval\n",
                static_cast<unsigned long long>(id));
    return Status::Ok();
  });
}

int RunCampaignResume(const std::string& config_path, uint64_t id) {
  return WithDb(config_path, "campaign resume", [&](const config::Config& cfg, store::Connection& db) -> Status {
    // A resumed campaign goes back through 'scheduled' so an engine claims it
    // again; its expansion cursor and deliveries are kept.
    TAYORI_RETURN_IF_ERROR(RequireReady(db, cfg, id));
    TAYORI_ASSIGN_OR_RETURN(bool moved, store::ScheduleCampaign(db, id, "", "cli"));
    if (!moved) return InvalidInput("campaign " + std::to_string(id) + " is not paused");
    std::printf("campaign %llu resumed\n", static_cast<unsigned long long>(id));
    return Status::Ok();
  });
}

int RunCampaignCancel(const std::string& config_path, uint64_t id) {
  return WithDb(config_path, "campaign cancel", [&](const config::Config&, store::Connection& db) -> Status {
    TAYORI_ASSIGN_OR_RETURN(bool moved, store::MoveCampaign(db, id,
                                                            {CampaignState::kDraft, CampaignState::kScheduled,
                                                             CampaignState::kSending, CampaignState::kPaused},
                                                            CampaignState::kCancelled, "cancelled by operator", "cli"));
    if (!moved) return InvalidInput("campaign " + std::to_string(id) + " has already ended");
    TAYORI_ASSIGN_OR_RETURN(int n, store::CancelCampaignDeliveries(db, id));
    std::printf("campaign %llu cancelled; %d unsent deliveries cancelled\n", static_cast<unsigned long long>(id), n);
    return Status::Ok();
  });
}

int RunCampaignStatus(const std::string& config_path, uint64_t id, bool json, bool watch) {
  return WithDb(config_path, "campaign status", [&](const config::Config&, store::Connection& db) -> Status {
    for (;;) {
      TAYORI_ASSIGN_OR_RETURN(store::CampaignSummary s, store::GetCampaignSummary(db, id));
      PrintSummary(s, json);
      std::fflush(stdout);
      bool ended = scheduler::IsTerminal(s.state);  // sent, cancelled or failed
      if (!watch || ended) return Status::Ok();
      std::this_thread::sleep_for(std::chrono::seconds(1));
      if (!json) std::printf("\n");
    }
  });
}

struct CampaignListOptions {
  std::string tenant, state;
  bool json = false;
  int limit = 100;
};

int RunCampaignList(const std::string& config_path, const CampaignListOptions& o) {
  std::optional<scheduler::CampaignState> state;
  if (!o.state.empty()) state = scheduler::ParseCampaignState(o.state);
  if (!o.state.empty() && !state)
    return ReportFailure(InvalidInput("--state '" + o.state + "' is not a campaign state (" +
                                      scheduler::CampaignStateNames() + ")"),
                         "campaign list");
  return WithDb(config_path, "campaign list", [&](const config::Config&, store::Connection& db) -> Status {
    uint64_t tenant_id = 0;
    if (!o.tenant.empty()) {
      TAYORI_ASSIGN_OR_RETURN(tenant_id, store::TenantIdBySlug(db, o.tenant));
    }
    TAYORI_ASSIGN_OR_RETURN(auto campaigns, store::ListCampaigns(db, tenant_id, state, o.limit));
    if (!o.json)
      std::printf("%-7s %-16s %-16s %-28s %-10s %9s %9s %7s  %s\n", "ID", "SHOP", "LIST", "DOMAIN", "STATE", "TOTAL",
                  "SENT", "FAILED", "SCHEDULED");
    for (const auto& c : campaigns) {
      if (o.json) {
        PrintJsonLine({{"id", c.id}, {"tenant", c.tenant_slug}, {"list", c.list_slug}, {"domain", c.domain},
                       {"state", std::string(scheduler::Name(c.state))}, {"reason", c.state_reason},
                       {"scheduled_at", c.scheduled_at},
                       {"started_at", c.started_at}, {"finished_at", c.finished_at}, {"total", c.total},
                       {"sent", c.sent}, {"failed", c.failed}, {"bounced", c.bounced}, {"suppressed", c.suppressed},
                       {"expired", c.expired}, {"unknown", c.unknown}, {"cancelled", c.cancelled}});
      } else {
        std::printf("%-7llu %-16s %-16s %-28s %-10s %9llu %9llu %7llu  %s%s%s\n", static_cast<unsigned long long>(c.id),
                    c.tenant_slug.c_str(), c.list_slug.c_str(), c.domain.c_str(),
                    std::string(scheduler::Name(c.state)).c_str(),
                    static_cast<unsigned long long>(c.total), static_cast<unsigned long long>(c.sent),
                    static_cast<unsigned long long>(c.failed + c.bounced), c.scheduled_at.c_str(),
                    c.state_reason.empty() ? "" : "  ", c.state_reason.c_str());
      }
    }
    if (!o.json && static_cast<int>(campaigns.size()) == o.limit)
      std::fprintf(stderr, "tayori: campaign list: the newest %d campaigns shown; --limit shows more\n", o.limit);
    return Status::Ok();
  });
}

}  // namespace

void AddCampaignCommands(CLI::App& app, CliContext& ctx) {
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
  auto lo = std::make_shared<CampaignListOptions>();
  auto* clist = campaign->add_subcommand("list", "list campaigns, newest last, with their counts");
  clist->add_option("--tenant", lo->tenant, "only this shop's campaigns");
  clist->add_option("--state", lo->state, "only campaigns in this state (draft, scheduled, sending, sent, paused, "
                    "cancelled, failed)");
  clist->add_flag("--json", lo->json, "one JSON object per campaign");
  clist->add_option("--limit", lo->limit, "the newest this many campaigns")
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  clist->callback([&ctx, lo] { ctx.run = [&ctx, lo] { return RunCampaignList(ctx.config_path, *lo); }; });
}

}  // namespace tayori::cli
