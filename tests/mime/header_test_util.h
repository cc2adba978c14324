// Test helpers: split a header field into lines and decode RFC 2047 words,
// independently of the encoder under test.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mime/base64.h"

namespace tayori::mime::testing {

// Lines of `field` without their CRLF; every line must end in CRLF.
inline std::vector<std::string> Lines(std::string_view field, bool* all_crlf = nullptr) {
  std::vector<std::string> out;
  bool ok = true;
  size_t start = 0;
  while (start < field.size()) {
    size_t end = field.find("\r\n", start);
    if (end == std::string_view::npos) {
      ok = false;
      out.emplace_back(field.substr(start));
      break;
    }
    out.emplace_back(field.substr(start, end - start));
    start = end + 2;
  }
  if (all_crlf) *all_crlf = ok;
  return out;
}

inline int Hex(char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

// Unfolds and decodes an unstructured value made only of encoded-words
// separated by white space (RFC 2047 §6.2); returns kBad on any problem.
// kBad is not valid UTF-8, so no text that passed CheckHeaderText equals it
// (header_encode_fuzz found that a plain "<bad>" sentinel can).
inline const std::string kBad = "\xFF<bad>";
inline std::string DecodeWords(std::string_view value) {
  std::string out;
  size_t i = 0;
  while (i < value.size()) {
    while (i < value.size() && (value[i] == ' ' || value[i] == '\r' || value[i] == '\n' || value[i] == '\t')) ++i;
    if (i >= value.size()) break;
    if (value.compare(i, 10, "=?UTF-8?B?") != 0 && value.compare(i, 10, "=?UTF-8?Q?") != 0) return kBad;
    char enc = value[i + 8];
    size_t end = value.find("?=", i + 10);
    if (end == std::string_view::npos) return kBad;
    std::string_view text = value.substr(i + 10, end - i - 10);
    if (enc == 'B') {
      auto d = DecodeBase64(text);
      if (!d) return kBad;
      out += *d;
    } else {
      for (size_t k = 0; k < text.size(); ++k) {
        if (text[k] == '_') out += ' ';
        else if (text[k] == '=') { out += static_cast<char>(Hex(text[k + 1]) * 16 + Hex(text[k + 2])); k += 2; }
        else out += text[k];
      }
    }
    i = end + 2;
  }
  return out;
}

}  // namespace tayori::mime::testing
