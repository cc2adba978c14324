#include "app/command_support.h"
#include "app/ops_commands.h"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "app/commands.h"
#include "app/csv_import.h"
#include "app/engine.h"
#include "app/exit_code.h"
#include "base/log.h"
#include "config/config.h"
#include "csv/reader.h"
#include "mime/address.h"
#include "mime/header_safety.h"
#include "mime/idn.h"
#include "mime/utf8.h"
#include "render/template.h"
#include "store/admin.h"
#include "store/campaigns.h"
#include "store/keys.h"

namespace tayori::app {
namespace {

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidInput(path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A JSON file holding one object whose values are strings (template
// variables), returned compact for the database.
Result<std::string> ReadFieldsFile(const std::string& path) {
  if (path.empty()) return std::string();
  TAYORI_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return InvalidInput(path + ": expected a JSON object of strings");
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it->is_string()) return InvalidInput(path + ": field '" + it.key() + "' is not a string");
    TAYORI_RETURN_IF_ERROR(mime::CheckBodyText(it.key(), it->get<std::string>()));
  }
  return j.dump();
}

std::string Bar(double fraction, int width = 30) {
  int filled = static_cast<int>(fraction * width + 0.5);
  std::string s = "[";
  for (int i = 0; i < width; ++i) s += i < filled ? '#' : '.';
  return s + "]";
}

void PrintSummary(const store::CampaignSummary& s, bool json) {
  if (json) {
    std::string states;
    for (const auto& [k, v] : s.by_state) states += (states.empty() ? "" : ",") + ("\"" + k + "\":" + std::to_string(v));
    std::printf("{\"id\":%llu,\"tenant\":\"%s\",\"list\":\"%s\",\"domain\":\"%s\",\"state\":\"%s\",\"reason\":\"%s\","
                "\"expanded\":%s,\"total\":%llu,\"sent\":%llu,\"failed\":%llu,\"bounced\":%llu,\"suppressed\":%llu,"
                "\"expired\":%llu,\"unknown\":%llu,\"cancelled\":%llu,\"deliveries\":{%s}}\n",
                static_cast<unsigned long long>(s.id), log::JsonEscape(s.tenant_slug).c_str(),
                log::JsonEscape(s.list_slug).c_str(), s.domain.c_str(), s.state.c_str(),
                log::JsonEscape(s.state_reason).c_str(), s.expanded ? "true" : "false",
                static_cast<unsigned long long>(s.total), static_cast<unsigned long long>(s.sent),
                static_cast<unsigned long long>(s.failed), static_cast<unsigned long long>(s.bounced),
                static_cast<unsigned long long>(s.suppressed), static_cast<unsigned long long>(s.expired),
                static_cast<unsigned long long>(s.unknown), static_cast<unsigned long long>(s.cancelled), states.c_str());
    return;
  }
  uint64_t done = s.sent + s.failed + s.bounced + s.suppressed + s.expired + s.unknown + s.cancelled;
  double fraction = s.total ? static_cast<double>(done) / static_cast<double>(s.total) : 0;
  std::printf("campaign %llu  shop %s  list %s  from %s\n", static_cast<unsigned long long>(s.id),
              s.tenant_slug.c_str(), s.list_slug.c_str(), s.domain.c_str());
  std::printf("state     %s%s%s\n", s.state.c_str(), s.state_reason.empty() ? "" : ": ", s.state_reason.c_str());
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

}  // namespace

int RunEngine(const std::string& config_path, const std::string& instance, bool exit_when_idle) {
  auto cfg = config::LoadConfigFile(config_path);
  if (!cfg.ok()) return ReportFailure(cfg.status(), "run");
  ApplyLogging(*cfg);
  auto engine = Engine::Create(*cfg, EngineOptions{instance, exit_when_idle});
  if (!engine.ok()) return ReportFailure(engine.status(), "run");
  return (*engine)->Run();
}

int RunTenantAdd(const std::string& config_path, const std::string& slug, const std::string& name,
                 const std::string& sender_id, const std::string& fields_file) {
  return WithDb(config_path, "tenant add", [&](const config::Config&, store::Connection& db) -> Status {
    if (sender_id.size() < 5 || sender_id.size() > 15)
      return InvalidInput("--sender-id '" + sender_id + "' must be 5 to 15 characters (Feedback-ID SenderId)");
    TAYORI_RETURN_IF_ERROR(mime::CheckHeaderText("--name", name));
    TAYORI_ASSIGN_OR_RETURN(std::string fields, ReadFieldsFile(fields_file));
    TAYORI_ASSIGN_OR_RETURN(uint64_t id, store::AddTenant(db, slug, name, sender_id, fields));
    std::printf("shop %s added (id %llu)\n", slug.c_str(), static_cast<unsigned long long>(id));
    return Status::Ok();
  });
}

int RunListAdd(const std::string& config_path, const std::string& tenant, const std::string& slug,
               const std::string& name) {
  return WithDb(config_path, "list add", [&](const config::Config&, store::Connection& db) -> Status {
    TAYORI_RETURN_IF_ERROR(mime::CheckHeaderText("--name", name));
    TAYORI_ASSIGN_OR_RETURN(uint64_t tenant_id, store::TenantIdBySlug(db, tenant));
    TAYORI_ASSIGN_OR_RETURN(uint64_t id, store::AddList(db, tenant_id, slug, name));
    std::printf("list %s of shop %s added (id %llu)\n", slug.c_str(), tenant.c_str(), static_cast<unsigned long long>(id));
    return Status::Ok();
  });
}

int RunCampaignCreate(const std::string& config_path, const CampaignCreateOptions& o) {
  return WithDb(config_path, "campaign create", [&](const config::Config&, store::Connection& db) -> Status {
    store::NewCampaign c;
    TAYORI_ASSIGN_OR_RETURN(c.tenant_id, store::TenantIdBySlug(db, o.tenant));
    TAYORI_ASSIGN_OR_RETURN(c.list_id, store::ListIdBySlug(db, c.tenant_id, o.list));
    TAYORI_ASSIGN_OR_RETURN(mime::Mailbox from, mime::ParseAddrSpec(o.from));
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
      TAYORI_ASSIGN_OR_RETURN(bool moved, store::ScheduleCampaign(db, id, o.at, "cli"));
      if (moved) std::printf("campaign %llu scheduled\n", static_cast<unsigned long long>(id));
    }
    return Status::Ok();
  });
}

int RunCampaignSchedule(const std::string& config_path, uint64_t id, const std::string& at) {
  return WithDb(config_path, "campaign schedule", [&](const config::Config&, store::Connection& db) -> Status {
    TAYORI_ASSIGN_OR_RETURN(bool moved, store::ScheduleCampaign(db, id, at, "cli"));
    if (!moved) return InvalidInput("campaign " + std::to_string(id) + " is not a draft or paused");
    std::printf("campaign %llu scheduled\n", static_cast<unsigned long long>(id));
    return Status::Ok();
  });
}

int RunCampaignPause(const std::string& config_path, uint64_t id) {
  return WithDb(config_path, "campaign pause", [&](const config::Config&, store::Connection& db) -> Status {
    TAYORI_ASSIGN_OR_RETURN(bool moved, store::MoveCampaign(db, id, {"scheduled", "sending"}, "paused",
                                                            "paused by operator", "cli"));
    if (!moved) return InvalidInput("campaign " + std::to_string(id) + " is not scheduled or sending");
    std::printf("campaign %llu paused; running engines stop it within a poll interval\n",
                static_cast<unsigned long long>(id));
    return Status::Ok();
  });
}

int RunCampaignResume(const std::string& config_path, uint64_t id) {
  return WithDb(config_path, "campaign resume", [&](const config::Config&, store::Connection& db) -> Status {
    // A resumed campaign goes back through 'scheduled' so an engine claims it
    // again; its expansion cursor and deliveries are kept.
    TAYORI_ASSIGN_OR_RETURN(bool moved, store::ScheduleCampaign(db, id, "", "cli"));
    if (!moved) return InvalidInput("campaign " + std::to_string(id) + " is not paused");
    std::printf("campaign %llu resumed\n", static_cast<unsigned long long>(id));
    return Status::Ok();
  });
}

int RunCampaignCancel(const std::string& config_path, uint64_t id) {
  return WithDb(config_path, "campaign cancel", [&](const config::Config&, store::Connection& db) -> Status {
    TAYORI_ASSIGN_OR_RETURN(bool moved, store::MoveCampaign(db, id, {"draft", "scheduled", "sending", "paused"},
                                                            "cancelled", "cancelled by operator", "cli"));
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
      bool ended = s.state == "sent" || s.state == "cancelled" || s.state == "failed";
      if (!watch || ended) return Status::Ok();
      std::this_thread::sleep_for(std::chrono::seconds(1));
      if (!json) std::printf("\n");
    }
  });
}

namespace {

// subscribers.display_name is VARCHAR(255): MariaDB counts characters.
constexpr size_t kMaxNameChars = 255;

size_t CountCodePoints(std::string_view utf8) {
  size_t n = 0;
  for (unsigned char c : utf8) n += (c & 0xC0) != 0x80;
  return n;
}

// Checks one row of a subscriber CSV against its header and builds the row
// to store; the error says what is wrong with it (for "FILE:LINE: reason").
Result<store::ImportRow> SubscriberRow(const std::vector<std::string>& header, const std::vector<std::string>& rec) {
  if (rec.size() != header.size())
    return InvalidInput(std::to_string(rec.size()) + (rec.size() == 1 ? " field" : " fields") + " where the header has " +
                        std::to_string(header.size()));
  std::string_view email = TrimBlanks(rec[0]);
  if (!mime::IsValidUtf8(email)) return InvalidInput("email: invalid UTF-8");
  TAYORI_ASSIGN_OR_RETURN(mime::Mailbox mailbox, mime::ParseAddrSpec(email));
  store::ImportRow row;
  row.email = mailbox.AddrSpec();
  if (rec.size() > 1) {
    TAYORI_RETURN_IF_ERROR(mime::CheckHeaderText("name", rec[1]));  // valid UTF-8 first, so characters count
    size_t chars = CountCodePoints(rec[1]);
    if (chars > kMaxNameChars)
      return InvalidInput("name: " + std::to_string(chars) + " characters, longer than the " +
                          std::to_string(kMaxNameChars) + " of subscribers.display_name");
    row.display_name = rec[1];
  }
  if (rec.size() > 2) {
    std::string json = "{";
    for (size_t i = 2; i < rec.size(); ++i) {
      TAYORI_RETURN_IF_ERROR(mime::CheckBodyText(header[i], rec[i]));
      json += (i > 2 ? ",\"" : "\"") + log::JsonEscape(header[i]) + "\":\"" + log::JsonEscape(rec[i]) + "\"";
    }
    row.fields_json = json + "}";
  }
  return row;
}

}  // namespace

int RunSubscribersImport(const std::string& config_path, const std::string& tenant, const std::string& list,
                         const std::string& file) {
  return WithDb(config_path, "subscribers import", [&](const config::Config&, store::Connection& db) -> Status {
    TAYORI_ASSIGN_OR_RETURN(uint64_t tenant_id, store::TenantIdBySlug(db, tenant));
    TAYORI_ASSIGN_OR_RETURN(uint64_t list_id, store::ListIdBySlug(db, tenant_id, list));
    CsvImport csv("subscribers import", file);
    TAYORI_RETURN_IF_ERROR(csv.Open());
    csv::Record rec;
    TAYORI_RETURN_IF_ERROR(csv.ReadHeader(&rec));
    std::vector<std::string> header = std::move(rec.fields);
    std::string where = file + ":" + std::to_string(rec.line) + ": header: ";
    if (std::string_view first = TrimBlanks(header[0]); first != "email" && first != "Email" && first != "EMAIL")
      return InvalidInput(where + "the first column must be 'email' (header: email,name,field...)");
    for (const auto& h : header)
      if (!mime::IsValidUtf8(h)) return InvalidInput(where + "a column name is not valid UTF-8");
    std::vector<store::ImportRow> batch;
    long good = 0, added = 0;
    auto t0 = std::chrono::steady_clock::now();
    auto flush = [&]() -> Status {
      TAYORI_ASSIGN_OR_RETURN(int n, store::ImportSubscribers(db, tenant_id, list_id, batch));
      added += n;
      batch.clear();
      return Status::Ok();
    };
    while (csv.Next(&rec)) {
      auto row = SubscriberRow(header, rec.fields);
      if (!row.ok()) {
        csv.Reject(rec, row.status().message());
        continue;
      }
      batch.push_back(std::move(row).value());
      ++good;
      if (batch.size() >= 1000) TAYORI_RETURN_IF_ERROR(flush());
      if (good % 100000 == 0)
        std::fprintf(stderr, "tayori: subscribers import: %ld rows imported...\n", good);
    }
    TAYORI_RETURN_IF_ERROR(flush());
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("imported %ld rows (%ld new list members) into %s/%s in %.1f s; %llu rows rejected\n", good, added,
                tenant.c_str(), list.c_str(), secs, static_cast<unsigned long long>(csv.rejected()));
    return csv.Finish();
  });
}

}  // namespace tayori::app
