// UTF-8 helpers for header and body text. Everything that goes into a
// message is UTF-8 (RFC 3629); these functions find where a string stops
// being valid, and how long a sequence is, so encoders never split one.
#pragma once

#include <cstddef>
#include <string_view>

namespace tayori::mime {

// Length of the UTF-8 sequence that starts with byte `lead` (1..4), or 0 if
// `lead` cannot start a sequence (a continuation byte or 0xF8..0xFF).
inline size_t Utf8SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead < 0xC2) return 0;  // continuation byte, or an overlong 2-byte lead
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  if (lead < 0xF5) return 4;
  return 0;
}

// Offset of the first byte that is not part of a well-formed UTF-8 sequence
// (RFC 3629 §4: no overlongs, no surrogates, nothing above U+10FFFF), or
// npos when `s` is entirely valid.
size_t FindInvalidUtf8(std::string_view s);

inline bool IsValidUtf8(std::string_view s) { return FindInvalidUtf8(s) == std::string_view::npos; }

inline bool IsAscii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

}  // namespace tayori::mime
