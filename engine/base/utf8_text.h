// Text from outside (relay replies, DNS answers, a web app's rows) on its way
// into a database column or a log line: always valid UTF-8, never longer than
// the column. A MariaDB column in strict mode refuses invalid UTF-8 (error
// 1366) and text longer than its VARCHAR (1406); one refused value fails the
// whole statement it is in, so every such value passes through here first.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tayori {

// `s` with every byte that is not part of a well-formed UTF-8 sequence
// (RFC 3629 §4: no overlongs, no surrogates, nothing above U+10FFFF) replaced
// by U+FFFD, NUL replaced by U+FFFD too, and cut after `max_chars` code
// points (VARCHAR(n) counts characters) — never inside a sequence.
// `max_bytes` also bounds the byte length (for byte-counted limits); the cut
// is on a code point boundary either way.
std::string ScrubUtf8(std::string_view s, size_t max_chars, size_t max_bytes = std::string_view::npos);

}  // namespace tayori
