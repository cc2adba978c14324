#include "feedback/fields.h"

#include <algorithm>
#include <cctype>

#include "base/utf8_text.h"
#include "feedback/limits.h"

namespace tayori::feedback {
namespace {

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// RFC 5322 §3.6.8 field-name: printable ASCII except ':'.
bool IsFieldName(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (c <= ' ' || c >= 0x7f || c == ':') return false;
  return true;
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return Lower(x) == Lower(y); });
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char x, char y) { return Lower(x) == Lower(y); });
  return it != haystack.end();
}

std::string ToLowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

const std::string* FindField(const Fields& fields, std::string_view name) {
  for (const auto& f : fields)
    if (EqualsIgnoreCase(f.name, name)) return &f.value;
  return nullptr;
}

std::vector<std::string> FindAll(const Fields& fields, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& f : fields)
    if (EqualsIgnoreCase(f.name, name)) out.push_back(f.value);
  return out;
}

void ForEachFieldGroup(std::string_view text, const std::function<bool(Fields&)>& group) {
  Fields current;
  std::string value;  // of current.back(), built up before it is scrubbed
  auto finish_field = [&] {
    if (current.empty()) return;
    current.back().value = ScrubUtf8(TrimSpace(value), kMaxFieldChars);
    value.clear();
  };
  auto finish_group = [&]() -> bool {
    finish_field();
    if (current.empty()) return true;
    bool more = group(current);
    current.clear();
    return more;
  };
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (TrimSpace(line).empty()) {
      if (!finish_group()) return;
    } else if (line.front() == ' ' || line.front() == '\t') {
      // A folded continuation (RFC 5322 §2.2.3), kept only for a field.
      if (!current.empty() && value.size() < kMaxFieldChars * 4) {
        value += ' ';
        value += TrimSpace(line);
      }
    } else {
      size_t colon = line.find(':');
      std::string_view name = colon == std::string_view::npos ? std::string_view() : TrimSpace(line.substr(0, colon));
      if (!IsFieldName(name)) continue;  // not a field: prose some MTAs put there
      finish_field();
      current.push_back({std::string(name), ""});
      value.assign(line.substr(colon + 1).substr(0, kMaxFieldChars * 4));
    }
    if (nl == text.size()) break;
  }
  finish_group();
}

}  // namespace tayori::feedback
