// `tayori report [--tenant T] [--campaign ID] [--json]`: what was sent and
// what came back, per campaign (sent, delivered, hard and soft bounces,
// complaints, unsubscribes, and the rates) and per shop (the 1-day and 7-day
// rates the feedback guards judge against [feedback]'s limits).
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/support.h"
#include "store/feedback_rates.h"
#include "store/keys.h"
#include "store/report.h"

namespace tayori::cli {
namespace {

struct ReportOptions {
  std::string tenant;
  uint64_t campaign = 0;
  bool json = false;
  int limit = 50;
};

double Rate(uint64_t n, uint64_t of) { return of ? static_cast<double>(n) / static_cast<double>(of) : 0; }

std::string Pct(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", v * 100);
  return buf;
}

int RunReport(const std::string& config_path, const ReportOptions& o) {
  return WithDb(config_path, "report", [&](const config::Config& cfg, store::Connection& db) -> Status {
    uint64_t tenant_id = 0;
    if (!o.tenant.empty()) {
      TAYORI_ASSIGN_OR_RETURN(tenant_id, store::TenantIdBySlug(db, o.tenant));
    }
    TAYORI_ASSIGN_OR_RETURN(auto rows, store::CampaignFeedbackReport(db, tenant_id, o.campaign, o.limit));
    if (o.campaign && rows.empty()) return NotFound("campaign " + std::to_string(o.campaign) + " does not exist");
    std::map<uint64_t, std::string> shops, domains;
    for (const auto& r : rows) {
      shops[r.tenant_id] = r.tenant_slug;
      domains[r.sender_domain_id] = r.domain;
    }
    for (const auto& r : rows) {
      double complaint_rate = Rate(r.complaints, r.delivered());
      double bounce_rate = Rate(r.hard_bounces, r.sent + r.hard_bounces);
      if (o.json) {
        nlohmann::json j = {{"campaign", r.campaign_id}, {"shop", r.tenant_slug}, {"domain", r.domain},
                            {"state", std::string(scheduler::Name(r.state))}, {"reason", r.state_reason},
                            {"started_at", r.started_at},
                            {"total", r.total}, {"sent", r.sent}, {"delivered", r.delivered()},
                            {"hard_bounces", r.hard_bounces}, {"reported_bounces", r.async_bounces},
                            {"soft_bounces", r.soft_bounces}, {"complaints", r.complaints},
                            {"unsubscribes", r.unsubscribes}, {"suppressed", r.suppressed}, {"failed", r.failed},
                            {"complaint_rate", complaint_rate}, {"hard_bounce_rate", bounce_rate}};
        std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
      } else {
        std::printf("campaign %llu  shop %s  %s  %s%s%s\n", static_cast<unsigned long long>(r.campaign_id),
                    r.tenant_slug.c_str(), r.domain.c_str(), std::string(scheduler::Name(r.state)).c_str(),
                    r.state_reason.empty() ? "" : ": ",
                    r.state_reason.c_str());
        std::printf("  sent %llu  delivered %llu  hard bounces %llu (%s, %llu reported later)  soft bounces %llu  "
                    "complaints %llu (%s)  unsubscribes %llu\n",
                    static_cast<unsigned long long>(r.sent), static_cast<unsigned long long>(r.delivered()),
                    static_cast<unsigned long long>(r.hard_bounces), Pct(bounce_rate).c_str(),
                    static_cast<unsigned long long>(r.async_bounces), static_cast<unsigned long long>(r.soft_bounces),
                    static_cast<unsigned long long>(r.complaints), Pct(complaint_rate).c_str(),
                    static_cast<unsigned long long>(r.unsubscribes));
      }
    }
    std::vector<uint64_t> shop_ids;
    for (const auto& [id, slug] : shops) shop_ids.push_back(id);
    TAYORI_ASSIGN_OR_RETURN(std::vector<store::ShopRates> day, store::GetShopsRates(db, shop_ids, 1));
    TAYORI_ASSIGN_OR_RETURN(std::vector<store::ShopRates> week, store::GetShopsRates(db, shop_ids, 7));
    size_t shop_index = 0;
    for (const auto& [id, slug] : shops) {
      for (const store::ShopRates& s : {day[shop_index], week[shop_index]}) {
        const int days = s.window_days;
        bool judged = s.delivered() >= static_cast<uint64_t>(cfg.feedback.min_volume);
        if (o.json) {
          nlohmann::json j = {{"shop", slug}, {"window_days", days}, {"delivered", s.delivered()},
                              {"hard_bounces", s.hard_bounces}, {"complaints", s.complaints},
                              {"complaint_rate", s.complaint_rate()}, {"hard_bounce_rate", s.hard_bounce_rate()},
                              {"judged", judged}, {"max_complaint_rate", cfg.feedback.max_complaint_rate},
                              {"max_hard_bounce_rate", cfg.feedback.max_hard_bounce_rate}};
          std::cout << j.dump() << '\n';
        } else {
          std::printf("shop %s, last %s: delivered %llu  complaint rate %s (limit %s)  hard-bounce rate %s (limit %s)%s\n",
                      slug.c_str(), days == 1 ? "day" : "7 days", static_cast<unsigned long long>(s.delivered()),
                      Pct(s.complaint_rate()).c_str(), Pct(cfg.feedback.max_complaint_rate).c_str(),
                      Pct(s.hard_bounce_rate()).c_str(), Pct(cfg.feedback.max_hard_bounce_rate).c_str(),
                      judged ? "" : "  (below feedback.min_volume: not judged)");
        }
      }
      ++shop_index;
    }
    std::vector<uint64_t> domain_ids;
    for (const auto& [id, name] : domains) domain_ids.push_back(id);
    TAYORI_ASSIGN_OR_RETURN(std::vector<store::ShopRates> domain_day, store::GetDomainsRates(db, domain_ids, 1));
    TAYORI_ASSIGN_OR_RETURN(std::vector<store::ShopRates> domain_week, store::GetDomainsRates(db, domain_ids, 7));
    size_t domain_index = 0;
    for (const auto& [id, name] : domains) {
      for (const store::ShopRates& s : {domain_day[domain_index], domain_week[domain_index]}) {
        const int days = s.window_days;
        if (o.json) {
          nlohmann::json j = {{"sender_domain", name}, {"window_days", days}, {"delivered", s.delivered()},
                              {"hard_bounces", s.hard_bounces}, {"complaints", s.complaints},
                              {"complaint_rate", s.complaint_rate()}, {"hard_bounce_rate", s.hard_bounce_rate()}};
          std::cout << j.dump() << '\n';
        } else {
          std::printf("sender domain %s, last %s: delivered %llu  complaint rate %s  hard-bounce rate %s\n",
                      name.c_str(), days == 1 ? "day" : "7 days", static_cast<unsigned long long>(s.delivered()),
                      Pct(s.complaint_rate()).c_str(), Pct(s.hard_bounce_rate()).c_str());
        }
      }
      ++domain_index;
    }
    std::cout.flush();
    return Status::Ok();
  });
}

}  // namespace

void AddReportCommand(CLI::App& app, CliContext& ctx) {
  auto o = std::make_shared<ReportOptions>();
  auto* report = app.add_subcommand("report", "sent, bounces, complaints, unsubscribes and their rates");
  report->add_option("--tenant", o->tenant, "only this shop");
  report->add_option("--campaign", o->campaign, "only this campaign");
  report->add_option("--limit", o->limit, "at most this many campaigns, newest first")->capture_default_str();
  report->add_flag("--json", o->json, "one JSON object per campaign, then per shop and window");
  report->callback([&ctx, o] { ctx.run = [&ctx, o] { return RunReport(ctx.config_path, *o); }; });
}

}  // namespace tayori::cli
