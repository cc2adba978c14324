#include "mime/utf8.h"

namespace tayori::mime {

size_t FindInvalidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    // Fast path: runs of ASCII are the common case in mail text.
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    size_t len = Utf8SequenceLength(p[i]);
    if (len == 0 || i + len > n) return i;
    for (size_t k = 1; k < len; ++k)
      if ((p[i + k] & 0xC0) != 0x80) return i;
    // The second byte's range rules out overlongs, surrogates and values above
    // U+10FFFF (RFC 3629 §4, the UTF8-3 and UTF8-4 productions).
    unsigned char b1 = p[i + 1];
    if (p[i] == 0xE0 && b1 < 0xA0) return i;
    if (p[i] == 0xED && b1 > 0x9F) return i;
    if (p[i] == 0xF0 && b1 < 0x90) return i;
    if (p[i] == 0xF4 && b1 > 0x8F) return i;
    i += len;
  }
  return std::string_view::npos;
}

}  // namespace tayori::mime
