#include "dkim/tag_list.h"

namespace tayori::dkim {
namespace {

bool IsFws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAlnumPunc(char c) { return IsAlpha(c) || (c >= '0' && c <= '9') || c == '_'; }
bool IsValChar(char c) {
  auto u = static_cast<unsigned char>(c);
  return u >= 0x21 && u <= 0x7e && c != ';';
}

// Appended, not "'" + std::string(...): GCC 12 at -O3 reports that front
// insert as an overlapping memcpy (a false -Wrestrict).
std::string Quoted(std::string_view s) { return std::string("'").append(s.substr(0, 40)).append("'"); }

}  // namespace

Result<std::vector<Tag>> ParseTagList(std::string_view text) {
  std::vector<Tag> tags;
  size_t i = 0;
  const size_t n = text.size();
  auto skip_fws = [&] {
    while (i < n && IsFws(text[i])) ++i;
  };
  while (true) {
    skip_fws();
    if (i == n) {
      // Allowed at the very start only for an empty list; after a ';' the
      // grammar permits one trailing separator.
      break;
    }
    if (text[i] == ';') return InvalidInput("tag-list: empty tag-spec at offset " + std::to_string(i));
    if (!IsAlpha(text[i]))
      return InvalidInput("tag-list: a tag name must start with a letter, found " + Quoted(text.substr(i, 1)) +
                          " at offset " + std::to_string(i));
    size_t name_begin = i;
    while (i < n && IsAlnumPunc(text[i])) ++i;
    std::string_view name = text.substr(name_begin, i - name_begin);
    skip_fws();
    if (i == n || text[i] != '=')
      return InvalidInput("tag-list: tag " + Quoted(name) + " has no '=' (invalid character or missing value)");
    ++i;
    skip_fws();
    size_t value_begin = i;
    size_t value_end = i;
    while (i < n && text[i] != ';') {
      if (IsFws(text[i])) {
        ++i;
        continue;
      }
      if (!IsValChar(text[i]))
        return InvalidInput("tag-list: invalid character (0x" +
                            std::string(1, "0123456789abcdef"[static_cast<unsigned char>(text[i]) >> 4]) +
                            std::string(1, "0123456789abcdef"[static_cast<unsigned char>(text[i]) & 15]) +
                            ") in the value of tag " + Quoted(name));
      value_end = ++i;
    }
    for (const Tag& t : tags)
      if (t.name == name) return InvalidInput("tag-list: duplicate tag " + Quoted(name));
    tags.push_back(Tag{name, text.substr(value_begin, value_end - value_begin), value_begin});
    if (i == n) break;
    ++i;  // ';'
  }
  return tags;
}

std::optional<std::string_view> FindTag(const std::vector<Tag>& tags, std::string_view name) {
  for (const Tag& t : tags)
    if (t.name == name) return t.value;
  return std::nullopt;
}

std::string StripFws(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value)
    if (!IsFws(c)) out.push_back(c);
  return out;
}

}  // namespace tayori::dkim
