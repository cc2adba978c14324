// zlib compression of what Tayori keeps for audit (raw inbound messages).
// The store is the only includer of <zlib.h>.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace tayori::store {

std::string Deflate(std::string_view data);
// kInvalidInput when `data` is not a zlib stream or inflates past `max_bytes`.
Result<std::string> Inflate(std::string_view data, size_t max_bytes);

}  // namespace tayori::store
