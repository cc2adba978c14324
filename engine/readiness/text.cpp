#include "readiness/text.h"

namespace tayori::readiness {
namespace {

constexpr size_t kMaxArgBytes = 300;

// Control characters (C0, DEL) become '?'; the value is cut at a UTF-8
// character boundary past kMaxArgBytes.
std::string Sanitize(std::string_view value) {
  std::string out;
  out.reserve(std::min(value.size(), kMaxArgBytes + 3));
  for (size_t i = 0; i < value.size(); ++i) {
    if (out.size() >= kMaxArgBytes && (static_cast<unsigned char>(value[i]) & 0xC0) != 0x80) {
      out += "…";
      break;
    }
    const auto c = static_cast<unsigned char>(value[i]);
    out += (c < 0x20 || c == 0x7f) ? '?' : value[i];
  }
  return out;
}

}  // namespace

Lang LangFromLocale(std::string_view locale) {
  if (locale.size() >= 2 && (locale[0] == 'j' || locale[0] == 'J') && (locale[1] == 'a' || locale[1] == 'A') &&
      (locale.size() == 2 || locale[2] == '_' || locale[2] == '-' || locale[2] == '.'))
    return Lang::kJa;
  return Lang::kEn;
}

std::string_view LangCode(Lang lang) { return lang == Lang::kJa ? "ja" : "en"; }

Text& Text::Arg(std::string name, std::string_view value) {
  args_.emplace_back(std::move(name), Value{Sanitize(value), nullptr});
  return *this;
}

Text& Text::Arg(std::string name, long long value) { return Arg(std::move(name), std::to_string(value)); }

Text& Text::Arg(std::string name, Text nested) {
  args_.emplace_back(std::move(name), Value{"", std::make_shared<const Text>(std::move(nested))});
  return *this;
}

std::string Text::Render(Lang lang) const {
  const std::string_view tmpl = MessageTemplate(id_, lang == Lang::kJa);
  std::string out;
  out.reserve(tmpl.size() + 64);
  size_t i = 0;
  while (i < tmpl.size()) {
    if (tmpl[i] == '{') {
      const size_t close = tmpl.find('}', i);
      if (close != std::string_view::npos) {
        const std::string_view name = tmpl.substr(i + 1, close - i - 1);
        const Value* v = nullptr;
        for (const auto& [n, value] : args_)
          if (n == name) v = &value;
        if (v) {
          out += v->nested ? v->nested->Render(lang) : v->literal;
          i = close + 1;
          continue;
        }
      }
    }
    out += tmpl[i++];
  }
  return out;
}

}  // namespace tayori::readiness
