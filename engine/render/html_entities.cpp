#include "render/html_entities.h"

#include <algorithm>
#include <cstdint>

namespace tayori::render {
namespace {

bool IsAlnum(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

int DigitValue(char c, bool hex) {
  if (c >= '0' && c <= '9') return c - '0';
  if (!hex) return -1;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(std::string& out, char32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// HTML §13.2.5.80 "Numeric character reference end state": numbers
// 0x80-0x9F are taken as windows-1252 bytes, because that is what pages
// that write "&#150;" mean. 0 leaves the number as it is (the five
// unassigned windows-1252 bytes).
constexpr char32_t kWindows1252[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

// "&#" at s[i]: decimal or hexadecimal digits, then an optional ';'. Every
// digit is consumed (the value saturates), so a long run costs its length.
size_t DecodeNumeric(std::string_view s, size_t i, std::string& out) {
  size_t j = i + 2;
  bool hex = j < s.size() && (s[j] == 'x' || s[j] == 'X');
  if (hex) ++j;
  size_t digits_start = j;
  char32_t cp = 0;
  for (; j < s.size(); ++j) {
    int d = DigitValue(s[j], hex);
    if (d < 0) break;
    cp = std::min<char32_t>(cp * (hex ? 16 : 10) + static_cast<char32_t>(d), 0x110000);
  }
  if (j == digits_start) return 0;  // "&#" or "&#x" with no digits is text
  if (j < s.size() && s[j] == ';') ++j;
  if (cp >= 0x80 && cp <= 0x9F && kWindows1252[cp - 0x80] != 0) cp = kWindows1252[cp - 0x80];
  AppendUtf8(out, cp);
  return j - i;
}

void AppendReference(std::string& out, const NamedReference& r) {
  AppendUtf8(out, r.first);
  if (r.second != 0) AppendUtf8(out, r.second);
}

}  // namespace

const NamedReference* FindNamedReference(std::string_view name) {
  auto table = NamedReferences();
  auto it = std::lower_bound(table.begin(), table.end(), name,
                             [](const NamedReference& r, std::string_view n) { return r.name < n; });
  return it != table.end() && it->name == name ? &*it : nullptr;
}

size_t DecodeCharacterReference(std::string_view s, size_t i, ReferenceContext context, std::string& out) {
  if (i + 1 >= s.size()) return 0;
  if (s[i + 1] == '#') return DecodeNumeric(s, i, out);

  // The tokenizer takes the longest name in the table that the input starts
  // with. Names are alphanumeric with an optional final ';', so a name with
  // its ';' can only be the whole alphanumeric run; anything shorter must be
  // a legacy name, and those are at most kMaxLegacyNameLength long. Looking
  // at most kMaxReferenceNameLength + 1 bytes ahead keeps a run of '&' or
  // "&amp" linear.
  size_t run = 0;
  while (run <= kMaxReferenceNameLength && i + 1 + run < s.size() && IsAlnum(s[i + 1 + run])) ++run;
  if (run == 0) return 0;
  std::string_view name = s.substr(i + 1, run);
  if (run <= kMaxReferenceNameLength && i + 1 + run < s.size() && s[i + 1 + run] == ';') {
    if (const NamedReference* r = FindNamedReference(name)) {
      AppendReference(out, *r);
      return run + 2;
    }
  }
  for (size_t len = std::min(run, kMaxLegacyNameLength); len > 0; --len) {
    const NamedReference* r = FindNamedReference(name.substr(0, len));
    if (r == nullptr || !r->legacy) continue;
    size_t next = i + 1 + len;
    // HTML §13.2.5.73 "Named character reference state": in an attribute,
    // "&copy=" and "&copyx" stay as written (query strings in old URLs).
    if (context == ReferenceContext::kAttribute && next < s.size() && (s[next] == '=' || IsAlnum(s[next])))
      return 0;
    AppendReference(out, *r);
    return len + 1;
  }
  return 0;
}

}  // namespace tayori::render
