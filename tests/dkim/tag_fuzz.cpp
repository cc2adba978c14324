// Fuzz target: the tag=value list parser and the two grammars built on it,
// the DKIM-Signature field and the DNS key record. Every accepted tag's view
// must point at its offset in the input.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "dkim/key_record.h"
#include "dkim/signature.h"
#include "dkim/tag_list.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto tags = tayori::dkim::ParseTagList(input);
  if (tags.ok()) {
    for (const auto& t : *tags) {
      if (t.name.empty()) std::abort();
      if (input.substr(t.value_begin, t.value.size()) != t.value) std::abort();
    }
  }
  (void)tayori::dkim::ParseKeyRecord(input);
  std::string field = "DKIM-Signature:" + std::string(input);
  auto sig = tayori::dkim::ParseSignatureField(field);
  if (sig.ok()) {
    if (sig->b_value_begin > sig->b_value_end || sig->b_value_end > field.size()) std::abort();
    if (sig->signed_headers.empty() || sig->body_hash.size() != 32) std::abort();
  }
  return 0;
}
