#include "readiness/report.h"

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

std::string RenderText(const Report& report, Lang lang) {
  std::string out;
  int counts[3] = {0, 0, 0};
  for (const Check& c : report.checks) {
    ++counts[static_cast<int>(c.state)];
    std::string tag = "[" + std::string(StateName(c.state)) + "]";
    for (char& ch : tag) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    out += tag + " " + std::string(CheckIdName(c.id));
    if (!c.subject.empty()) out += " (" + c.subject + ")";
    out += ": " + c.found.Render(lang) + "\n";
    if (!c.what_to_do.empty()) out += "       → " + c.what_to_do.Render(lang) + "\n";
  }
  out += report.domain + ": " + std::to_string(counts[2]) + " fail, " + std::to_string(counts[1]) + " warn, " +
         std::to_string(counts[0]) + " pass\n";
  return out;
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
