// Fuzz target: the RFC 5322 address parser. Any input must either be
// rejected with an error or give mailboxes that format into 7-bit, CRLF,
// properly folded header fields whose addr-spec parses back unchanged.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mime/address.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto list = tayori::mime::ParseMailboxList(text);
  if (!list.ok()) {
    if (list.status().message().empty()) std::abort();  // every rejection says why
    return 0;
  }
  for (const auto& m : *list) {
    std::string field = tayori::mime::FormatMailboxField("To", m);
    if (field.size() < 2 || field.compare(field.size() - 2, 2, "\r\n") != 0) std::abort();
    size_t line = 0;
    for (size_t i = 0; i < field.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(field[i]);
      if (c >= 0x80 || c == 0) std::abort();
      if (c == '\r') {
        if (i + 1 >= field.size() || field[i + 1] != '\n') std::abort();
        if (line > 998) std::abort();
        line = 0;
        ++i;
        continue;
      }
      if (c == '\n') std::abort();
      ++line;
    }
    auto again = tayori::mime::ParseAddrSpec(m.AddrSpec());
    if (!again.ok() || again->local_part != m.local_part || again->domain != m.domain) std::abort();
  }
  return 0;
}
