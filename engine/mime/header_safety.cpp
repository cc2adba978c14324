#include "mime/header_safety.h"

#include <cstdio>
#include <optional>
#include <string>

#include "mime/base64.h"
#include "mime/utf8.h"

namespace tayori::mime {
namespace {

std::string Describe(unsigned char c) {
  switch (c) {
    case '\r': return "a carriage return (CR)";
    case '\n': return "a line feed (LF)";
    case '\0': return "a NUL byte";
    default: {
      char buf[48];
      std::snprintf(buf, sizeof buf, "the control character U+%04X", c);
      return buf;
    }
  }
}

Status Reject(std::string_view field, const std::string& what, size_t at) {
  return InvalidInput(std::string(field) + ": contains " + what + " at byte " + std::to_string(at));
}

// First forbidden character in already-valid UTF-8, as (offset, description).
// TAB is allowed: it is white space in a header (RFC 5322 §2.2.2) and the
// encoders handle it. U+0085 (NEL), U+2028 and U+2029 are line breaks to some
// mail readers and to Python's str.splitlines(), so they are refused too.
std::optional<std::pair<size_t, std::string>> FindForbidden(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7F) return std::make_pair(i, Describe(c));
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x85)
      return std::make_pair(i, std::string("the line break U+0085 (NEL)"));
    if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) == 0xA8 || static_cast<unsigned char>(s[i + 2]) == 0xA9))
      return std::make_pair(i, std::string("the line separator U+20") +
                                   (static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "28" : "29"));
  }
  return std::nullopt;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Decodes the encoded-text of an RFC 2047 §4.2 "Q" word; nullopt if malformed.
std::optional<std::string> DecodeQ(std::string_view t) {
  std::string out;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '_') {
      out += ' ';
    } else if (t[i] == '=') {
      if (i + 2 >= t.size()) return std::nullopt;
      int hi = HexValue(t[i + 1]), lo = HexValue(t[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += t[i];
    }
  }
  return out;
}

// Finds text that a mail reader would take for an encoded-word
// ("=?charset?B|Q?text?=", RFC 2047 §2) and decodes it. Readers decode such
// words wherever they appear, so "=?UTF-8?Q?=0D=0A?=" in a display name is a
// line break on screen even though the header bytes are harmless.
std::optional<std::pair<size_t, std::string>> FindEncodedBreak(std::string_view s) {
  size_t pos = 0;
  while ((pos = s.find("=?", pos)) != std::string_view::npos) {
    size_t q1 = s.find('?', pos + 2);
    if (q1 == std::string_view::npos) break;
    if (q1 + 2 >= s.size() || s[q1 + 2] != '?') {
      pos += 2;
      continue;
    }
    char enc = s[q1 + 1];
    size_t end = s.find("?=", q1 + 3);
    if (end == std::string_view::npos) break;
    std::string_view text = s.substr(q1 + 3, end - (q1 + 3));
    std::optional<std::string> decoded;
    if (enc == 'B' || enc == 'b') decoded = DecodeBase64(text);
    if (enc == 'Q' || enc == 'q') decoded = DecodeQ(text);
    if (decoded) {
      if (auto bad = FindForbidden(*decoded))
        return std::make_pair(pos, "an encoded-word that decodes to " + bad->second);
    }
    pos = end + 2;
  }
  return std::nullopt;
}

}  // namespace

Status CheckHeaderText(std::string_view field, std::string_view value) {
  if (size_t bad = FindInvalidUtf8(value); bad != std::string_view::npos)
    return Reject(field, "invalid UTF-8", bad);
  if (auto f = FindForbidden(value)) return Reject(field, f->second, f->first);
  if (auto f = FindEncodedBreak(value)) return Reject(field, f->second, f->first);
  return Status::Ok();
}

Status CheckBodyText(std::string_view field, std::string_view value) {
  if (size_t bad = FindInvalidUtf8(value); bad != std::string_view::npos)
    return Reject(field, "invalid UTF-8", bad);
  if (size_t nul = value.find('\0'); nul != std::string_view::npos) return Reject(field, "a NUL byte", nul);
  return Status::Ok();
}

}  // namespace tayori::mime
