#include "base/utf8_text.h"

#include <algorithm>

namespace tayori {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed sequence at s[i], or 0 when the byte there does
// not start one. The second-byte ranges are RFC 3629's table.
size_t SequenceAt(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  if (c < 0x80) return c == 0 ? 0 : 1;
  size_t n = c < 0xC2 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c == 0xE0) lo = 0xA0;
  else if (c == 0xED) hi = 0x9F;  // no surrogates
  else if (c == 0xF0) lo = 0x90;
  else if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  if (b(1) < lo || b(1) > hi) return 0;
  for (size_t k = 2; k < n; ++k)
    if (b(k) < 0x80 || b(k) > 0xBF) return 0;
  return n;
}

}  // namespace

std::string ScrubUtf8(std::string_view s, size_t max_chars, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(s.size(), max_bytes == std::string_view::npos ? s.size() : max_bytes));
  size_t chars = 0;
  for (size_t i = 0; i < s.size() && chars < max_chars;) {
    size_t n = SequenceAt(s, i);
    std::string_view piece = n ? s.substr(i, n) : kReplacement;
    if (max_bytes != std::string_view::npos && out.size() + piece.size() > max_bytes) break;
    out += piece;
    ++chars;
    i += n ? n : 1;
  }
  return out;
}

}  // namespace tayori
