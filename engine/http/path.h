// Request paths: the percent-decoding the listener applies before routing.
// Pure; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace tayori::http {

// Decodes %XX escapes in the path part of a request target (RFC 3986 §2.1).
// Fails (kInvalidInput) on a truncated or non-hex escape, a decoded NUL or
// other control character, and on bytes that are not UTF-8: such a path
// names nothing Tayori serves, so it is answered 400 before any routing.
// A '+' stays a '+' (it means space only in form bodies).
Result<std::string> DecodePath(std::string_view raw);

// When `path` is "<prefix><rest>" with a non-empty `rest` free of '/',
// returns `rest`; otherwise empty. PathParameter("/u/abc", "/u/") == "abc".
std::string_view PathParameter(std::string_view path, std::string_view prefix);

}  // namespace tayori::http
