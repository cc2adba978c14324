#include "readiness/report.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

namespace tayori::readiness {

std::string_view StateName(State state) {
  switch (state) {
    case State::kPass: return "pass";
    case State::kWarn: return "warn";
    case State::kFail: return "fail";
  }
  return "?";
}

std::string_view CheckIdName(CheckId id) {
  switch (id) {
    case CheckId::kFromDomain: return "from_domain";
    case CheckId::kDkimKey: return "dkim_key";
    case CheckId::kDkimCname: return "dkim_cname";
    case CheckId::kDmarcRecord: return "dmarc_record";
    case CheckId::kDkimAlignment: return "dkim_alignment";
    case CheckId::kSpfAlignment: return "spf_alignment";
    case CheckId::kSpf: return "spf";
    case CheckId::kSpfLookups: return "spf_lookups";
    case CheckId::kReverseDns: return "reverse_dns";
    case CheckId::kBounceMx: return "bounce_mx";
    case CheckId::kRelayTls: return "relay_tls";
    case CheckId::kUnsubscribe: return "unsubscribe";
  }
  return "?";
}

const std::vector<CheckId>& AllCheckIds() {
  static const std::vector<CheckId> kAll = {
      CheckId::kFromDomain, CheckId::kDkimKey,    CheckId::kDkimCname,  CheckId::kDmarcRecord,
      CheckId::kDkimAlignment, CheckId::kSpfAlignment, CheckId::kSpf, CheckId::kSpfLookups,
      CheckId::kReverseDns, CheckId::kBounceMx,   CheckId::kRelayTls,   CheckId::kUnsubscribe};
  return kAll;
}

std::optional<CheckId> CheckIdFromName(std::string_view name) {
  for (CheckId id : AllCheckIds())
    if (CheckIdName(id) == name) return id;
  return std::nullopt;
}

std::vector<const Check*> Report::FailedAmong(const std::vector<CheckId>& ids) const {
  std::vector<const Check*> out;
  for (const Check& c : checks)
    if (c.state == State::kFail && std::find(ids.begin(), ids.end(), c.id) != ids.end()) out.push_back(&c);
  return out;
}

State Report::Overall() const {
  State worst = State::kPass;
  for (const Check& c : checks)
    if (static_cast<int>(c.state) > static_cast<int>(worst)) worst = c.state;
  return worst;
}

std::vector<const Check*> Report::Find(CheckId id) const {
  std::vector<const Check*> out;
  for (const Check& c : checks)
    if (c.id == id) out.push_back(&c);
  return out;
}

namespace {

// One check as RenderText shows it.
void AppendCheckText(std::string& out, std::string_view state, std::string_view id, const std::string& subject,
                     const std::string& found, const std::string& what_to_do) {
  std::string tag = std::string("[").append(state).append("]");  // no front insert (GCC 12 -Wrestrict)
  for (char& ch : tag) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  out += tag + " " + std::string(id);
  if (!subject.empty()) out += " (" + subject + ")";
  out += ": " + found + "\n";
  if (!what_to_do.empty()) out += "       → " + what_to_do + "\n";
}

std::string CountsLine(const std::string& domain, const int counts[3]) {
  return domain + ": " + std::to_string(counts[2]) + " fail, " + std::to_string(counts[1]) + " warn, " +
         std::to_string(counts[0]) + " pass\n";
}

}  // namespace

std::string RenderText(const Report& report, Lang lang) {
  std::string out;
  int counts[3] = {0, 0, 0};
  for (const Check& c : report.checks) {
    ++counts[static_cast<int>(c.state)];
    AppendCheckText(out, StateName(c.state), CheckIdName(c.id), c.subject, c.found.Render(lang),
                    c.what_to_do.Render(lang));
  }
  return out + CountsLine(report.domain, counts);
}

Result<std::string> RenderTextFromJson(std::string_view json) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("checks") || !j["checks"].is_array())
    return InvalidInput("stored readiness report is not a report");
  auto str = [](const nlohmann::json& o, const char* key) -> std::string {
    auto it = o.find(key);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::string out;
  int counts[3] = {0, 0, 0};
  for (const auto& c : j["checks"]) {
    if (!c.is_object()) continue;
    std::string state = str(c, "state");
    if (state == "pass") ++counts[0];
    else if (state == "warn") ++counts[1];
    else if (state == "fail") ++counts[2];
    AppendCheckText(out, state, str(c, "id"), str(c, "subject"), str(c, "found"), str(c, "what_to_do"));
  }
  return out + CountsLine(str(j, "domain"), counts);
}

std::string RenderJson(const Report& report, Lang lang) {
  nlohmann::json checks = nlohmann::json::array();
  for (const Check& c : report.checks) {
    checks.push_back({{"id", CheckIdName(c.id)},
                      {"subject", c.subject},
                      {"state", StateName(c.state)},
                      {"found", c.found.Render(lang)},
                      {"what_to_do", c.what_to_do.Render(lang)}});
  }
  nlohmann::json out = {{"domain", report.domain},
                        {"state", StateName(report.Overall())},
                        {"lang", LangCode(lang)},
                        {"checks", std::move(checks)}};
  // Record contents are arbitrary bytes; replace what is not UTF-8 rather
  // than throw from dump().
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace tayori::readiness
