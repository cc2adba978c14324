#include "render/preview.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "mime/address.h"

namespace tayori::render {
namespace {

using nlohmann::json;

Result<std::optional<std::string>> ReadOptionalFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::optional<std::string>();
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return InvalidInput(path + ": cannot be read");
  return std::optional<std::string>(ss.str());
}

// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// "+09:00", "-0500", "Z" → minutes east of UTC.
std::optional<int> ParseOffset(std::string_view s) {
  if (s == "Z" || s == "z") return 0;
  if (s.size() != 6 && s.size() != 5) return std::nullopt;
  if (s[0] != '+' && s[0] != '-') return std::nullopt;
  std::string digits;
  for (char c : s.substr(1))
    if (c != ':') digits += c;
  if (digits.size() != 4 || !std::all_of(digits.begin(), digits.end(), ::isdigit)) return std::nullopt;
  int minutes = std::stoi(digits.substr(0, 2)) * 60 + std::stoi(digits.substr(2));
  if (minutes >= 24 * 60) return std::nullopt;
  return s[0] == '-' ? -minutes : minutes;
}

// RFC 3339 "2025-02-13T09:30:00+09:00" → time and offset.
std::optional<std::pair<SysTime, int>> ParseRfc3339(std::string_view s) {
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':')
    return std::nullopt;
  auto num = [&](size_t at, size_t len) -> int {
    int v = 0;
    for (size_t i = at; i < at + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  int y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2), se = num(17, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60)
    return std::nullopt;
  auto off = ParseOffset(s.substr(19));
  if (!off) return std::nullopt;
  int64_t secs = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 +
                 mi * 60 + se - int64_t{*off} * 60;
  return std::make_pair(SysTime(std::chrono::seconds(secs)), *off);
}

// Typed access to the JSON document with errors that name file and key.
class Reader {
 public:
  Reader(const std::string& file, const json& root) : file_(file), root_(root) {}

  Status Error(const std::string& key, const std::string& why) const {
    return InvalidInput(file_ + ": " + key + ": " + why);
  }

  const json* Find(const json& obj, const std::string& key) const {
    auto it = obj.find(key);
    return it == obj.end() || it->is_null() ? nullptr : &*it;
  }

  Result<const json*> Object(const json& parent, const std::string& key, const std::string& path, bool required) const {
    const json* v = Find(parent, key);
    if (!v) {
      if (required) return Error(path, "missing (an object is required)");
      return static_cast<const json*>(nullptr);
    }
    if (!v->is_object()) return Error(path, "expected an object");
    return v;
  }

  Result<std::string> String(const json& parent, const std::string& key, const std::string& path, bool required,
                             std::string fallback = "") const {
    const json* v = Find(parent, key);
    if (!v) {
      if (required) return Error(path, "missing (a string is required)");
      return fallback;
    }
    if (!v->is_string()) return Error(path, "expected a string");
    return v->get<std::string>();
  }

  Result<uint64_t> Id(const json& parent, const std::string& key, const std::string& path, bool required) const {
    const json* v = Find(parent, key);
    if (!v) {
      if (required) return Error(path, "missing (a non-negative integer is required)");
      return uint64_t{0};
    }
    if (!v->is_number_unsigned() && !(v->is_number_integer() && v->get<int64_t>() >= 0))
      return Error(path, "expected a non-negative integer");
    return v->get<uint64_t>();
  }

  // A JSON object of strings (numbers are accepted and written as text).
  Result<std::vector<std::pair<std::string, std::string>>> Fields(const json& parent, const std::string& path) const {
    std::vector<std::pair<std::string, std::string>> out;
    const json* v = Find(parent, "fields");
    if (!v) return out;
    if (!v->is_object()) return Error(path + ".fields", "expected an object of strings");
    for (const auto& [k, val] : v->items()) {
      if (val.is_string()) {
        out.emplace_back(k, val.get<std::string>());
      } else if (val.is_number()) {
        out.emplace_back(k, val.dump());
      } else {
        return Error(path + ".fields." + k, "expected a string");
      }
    }
    return out;
  }

  const json& root() const { return root_; }

 private:
  std::string file_;
  const json& root_;
};

Result<PreviewInput> Load(const std::string& dir, const std::string& vars_path, const json& root) {
  Reader r(vars_path, root);
  if (!root.is_object()) return InvalidInput(vars_path + ": the top level must be a JSON object");
  static const char* kKeys[] = {"from", "reply_to", "to", "shop", "list", "campaign", "subscriber",
                                "unsubscribe", "date", "utc_offset", "random_seed"};
  for (const auto& [k, v] : root.items()) {
    if (std::find(std::begin(kKeys), std::end(kKeys), k) == std::end(kKeys))
      return r.Error(k, "unknown key (see docs/render-input.md)");
  }
  PreviewInput in;
  CampaignSpec& s = in.spec;
  TAYORI_ASSIGN_OR_RETURN(s.from, r.String(root, "from", "from", true));
  TAYORI_ASSIGN_OR_RETURN(s.reply_to, r.String(root, "reply_to", "reply_to", false));

  TAYORI_ASSIGN_OR_RETURN(const json* shop, r.Object(root, "shop", "shop", true));
  TAYORI_ASSIGN_OR_RETURN(s.tenant_id, r.Id(*shop, "id", "shop.id", true));
  TAYORI_ASSIGN_OR_RETURN(s.sender_id, r.String(*shop, "sender_id", "shop.sender_id", true));
  TAYORI_ASSIGN_OR_RETURN(s.shop_fields, r.Fields(*shop, "shop"));

  TAYORI_ASSIGN_OR_RETURN(const json* list, r.Object(root, "list", "list", true));
  TAYORI_ASSIGN_OR_RETURN(s.list_id, r.Id(*list, "id", "list.id", true));
  TAYORI_ASSIGN_OR_RETURN(s.list_slug, r.String(*list, "slug", "list.slug", true));
  TAYORI_ASSIGN_OR_RETURN(s.list_name, r.String(*list, "name", "list.name", false));

  TAYORI_ASSIGN_OR_RETURN(const json* campaign, r.Object(root, "campaign", "campaign", true));
  TAYORI_ASSIGN_OR_RETURN(s.campaign_id, r.Id(*campaign, "id", "campaign.id", true));
  TAYORI_ASSIGN_OR_RETURN(s.mail_type, r.String(*campaign, "mail_type", "campaign.mail_type", false, "newsletter"));
  TAYORI_ASSIGN_OR_RETURN(s.campaign_fields, r.Fields(*campaign, "campaign"));

  TAYORI_ASSIGN_OR_RETURN(const json* sub, r.Object(root, "subscriber", "subscriber", true));
  TAYORI_ASSIGN_OR_RETURN(in.subscriber_id, r.Id(*sub, "id", "subscriber.id", true));
  TAYORI_ASSIGN_OR_RETURN(in.email, r.String(*sub, "email", "subscriber.email", false));
  TAYORI_ASSIGN_OR_RETURN(in.name, r.String(*sub, "name", "subscriber.name", false));
  if (r.Find(root, "to")) {
    // "to": "Name <addr>" is shorthand for subscriber.name and .email.
    if (!in.email.empty() || !in.name.empty())
      return r.Error("to", "give either \"to\" or subscriber.email/subscriber.name, not both");
    TAYORI_ASSIGN_OR_RETURN(std::string to, r.String(root, "to", "to", true));
    auto m = mime::ParseMailbox(to);
    if (!m.ok()) return r.Error("to", m.status().message());
    in.email = m->AddrSpec();
    in.name = m->display_name;
  }
  if (in.email.empty()) return r.Error("subscriber.email", "missing (or give \"to\")");
  TAYORI_ASSIGN_OR_RETURN(auto sub_fields, r.Fields(*sub, "subscriber"));
  for (auto& [k, v] : sub_fields) {
    s.subscriber_fields.push_back(k);
    in.field_values.push_back(std::move(v));
  }

  TAYORI_ASSIGN_OR_RETURN(const json* unsub, r.Object(root, "unsubscribe", "unsubscribe", true));
  TAYORI_ASSIGN_OR_RETURN(s.unsubscribe.base_url, r.String(*unsub, "base_url", "unsubscribe.base_url", true));
  TAYORI_ASSIGN_OR_RETURN(s.unsubscribe.mailto, r.String(*unsub, "mailto", "unsubscribe.mailto", false));
  TAYORI_ASSIGN_OR_RETURN(std::string key_id, r.String(*unsub, "key_id", "unsubscribe.key_id", true));
  TAYORI_ASSIGN_OR_RETURN(std::string secret64, r.String(*unsub, "secret", "unsubscribe.secret", true));
  auto key = unsubscribe::SigningKey::FromBase64(key_id, secret64);
  if (!key.ok()) return r.Error("unsubscribe", key.status().message());  // names the key id or the secret
  s.unsubscribe.key = std::move(*key);
  TAYORI_ASSIGN_OR_RETURN(std::string scope, r.String(*unsub, "scope", "unsubscribe.scope", false, "list"));
  if (scope == "list") {
    s.unsubscribe.scope = unsubscribe::Scope::kList;
  } else if (scope == "shop") {
    s.unsubscribe.scope = unsubscribe::Scope::kShop;
  } else {
    return r.Error("unsubscribe.scope", "expected \"list\" or \"shop\"");
  }

  TAYORI_ASSIGN_OR_RETURN(std::string offset, r.String(root, "utc_offset", "utc_offset", false, "+00:00"));
  auto off = ParseOffset(offset);
  if (!off) return r.Error("utc_offset", "expected \"+HH:MM\", \"-HH:MM\" or \"Z\"");
  s.utc_offset_minutes = *off;
  if (r.Find(root, "date")) {
    TAYORI_ASSIGN_OR_RETURN(std::string date, r.String(root, "date", "date", true));
    auto t = ParseRfc3339(date);
    if (!t) return r.Error("date", "expected RFC 3339, e.g. \"2025-02-13T09:30:00+09:00\"");
    in.date = t->first;
    if (!r.Find(root, "utc_offset")) s.utc_offset_minutes = t->second;
  }
  if (r.Find(root, "random_seed")) {
    TAYORI_ASSIGN_OR_RETURN(uint64_t seed, r.Id(root, "random_seed", "random_seed", true));
    in.random_seed = seed;
  }

  // Templates.
  std::string base = dir;
  if (!base.empty() && base.back() != '/') base += '/';
  TAYORI_ASSIGN_OR_RETURN(auto subject, ReadOptionalFile(base + "subject.mustache"));
  if (!subject) return InvalidInput(base + "subject.mustache: missing (a template directory needs one)");
  s.subject = {base + "subject.mustache", *subject};
  TAYORI_ASSIGN_OR_RETURN(auto text, ReadOptionalFile(base + "text.mustache"));
  if (text) s.text = TemplateSource{base + "text.mustache", *text};
  TAYORI_ASSIGN_OR_RETURN(auto html, ReadOptionalFile(base + "html.mustache"));
  if (html) s.html = TemplateSource{base + "html.mustache", *html};
  if (!text && !html) return InvalidInput(base + ": needs text.mustache, html.mustache or both");
  return in;
}

}  // namespace

Result<PreviewInput> LoadPreviewInput(const std::string& template_dir, const std::string& vars_path) {
  TAYORI_ASSIGN_OR_RETURN(auto text, ReadOptionalFile(vars_path));
  if (!text) return InvalidInput(vars_path + ": cannot be opened");
  try {
    json root = json::parse(*text);
    return Load(template_dir, vars_path, root);
  } catch (const json::exception& e) {
    // nlohmann reports "[json.exception.parse_error.101] parse error at line
    // 3, column 5: syntax error ... - invalid literal; last read: '<token>';
    // expected ...". The token is left out: the file holds unsubscribe.secret,
    // and a string left open around it would print it; line and column say
    // where.
    std::string what = e.what();
    size_t close = what.find("] ");
    if (close != std::string::npos) what = what.substr(close + 2);
    size_t token = what.find("; last read: ");
    if (token != std::string::npos) {
      size_t expected = what.rfind("; expected ");
      what = what.substr(0, token) + (expected != std::string::npos && expected > token ? what.substr(expected) : "");
    }
    return InvalidInput(vars_path + ": invalid JSON: " + what);
  }
}

Result<RenderedMessage> RenderPreview(const PreviewInput& in, const std::string& vars_path) {
  auto campaign = CompiledCampaign::Compile(in.spec);
  if (!campaign.ok()) {
    // Template errors already start with the template file name.
    const std::string& msg = campaign.status().message();
    bool names_template = (in.spec.text && msg.rfind(in.spec.text->name, 0) == 0) ||
                          (in.spec.html && msg.rfind(in.spec.html->name, 0) == 0) ||
                          msg.rfind(in.spec.subject.name, 0) == 0;
    return names_template ? campaign.status() : campaign.status().WithContext(vars_path);
  }
  std::vector<std::string_view> fields(in.field_values.begin(), in.field_values.end());
  Recipient r{in.subscriber_id, in.email, in.name, fields};
  SysTime now = in.date ? *in.date : SystemClock::Instance().Now();
  auto msg = [&]() -> Result<RenderedMessage> {
    if (in.random_seed) {
      SeededRandom random(*in.random_seed);
      return campaign->Render(r, now, random);
    }
    SystemRandom random;
    return campaign->Render(r, now, random);
  }();
  if (!msg.ok()) return msg.status().WithContext(vars_path);
  return msg;
}

}  // namespace tayori::render
