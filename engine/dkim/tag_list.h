// The DKIM tag=value list (RFC 6376 §3.2), shared by the DKIM-Signature
// header field and the key record in DNS (§3.6.1).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace tayori::dkim {

struct Tag {
  std::string_view name;
  std::string_view value;  // surrounding FWS removed; inner FWS kept
  size_t value_begin = 0;  // offset of value in the parsed text
};

// Parses `text` per §3.2:
//   tag-list  = tag-spec *( ";" tag-spec ) [ ";" ]
//   tag-spec  = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
//   tag-name  = ALPHA *ALNUMPUNC
//   tag-value = [ tval *( 1*(WSP / FWS) tval ) ], tval = 1*VALCHAR (%x21-3A / %x3C-7E)
// and rejects duplicate names ("tags with duplicate names MUST NOT occur").
// Errors are kInvalidInput and say which tag and what is wrong. The views
// point into `text`.
Result<std::vector<Tag>> ParseTagList(std::string_view text);

// The value of tag `name`, if present.
std::optional<std::string_view> FindTag(const std::vector<Tag>& tags, std::string_view name);

// Removes all FWS (SP, HTAB, CR, LF) from a value: base64 values (b=, bh=,
// p=) and colon lists (h=) may be folded anywhere.
std::string StripFws(std::string_view value);

}  // namespace tayori::dkim
