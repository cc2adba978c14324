#include "mime/message_id.h"

#include <algorithm>

namespace tayori::mime {

std::string MakeMessageId(std::string_view random, std::string_view domain) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t n = std::min(random.size(), kMessageIdRandomBytes);
  std::string out;
  out.reserve(2 * n + domain.size() + 3);
  out += '<';
  // Lower-case hex is dot-atom-text (RFC 5322 §3.6.4 id-left) and survives
  // every mail system's case folding.
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(random[i]);
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  out += '@';
  out += domain;
  out += '>';
  return out;
}

}  // namespace tayori::mime
