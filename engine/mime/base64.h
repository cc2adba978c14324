// Base64 (RFC 4648 §4) for MIME: encoded-words (RFC 2047 §4.1) and body parts
// (RFC 2045 §6.8). Kept here rather than borrowed from crypto/primitives.h so the
// mime module stays free of OpenSSL and can write straight into a message
// buffer without an intermediate string.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tayori::mime {

// Appends the padded base64 of `bytes` to `out`, without line breaks.
void AppendBase64(std::string& out, std::string_view bytes);

// Writes the padded base64 of in[0..n) at `out` and returns the end.
char* EncodeBase64(char* out, const char* in, size_t n);

// Length of AppendBase64's output for `n` input bytes.
constexpr size_t Base64Length(size_t n) { return (n + 2) / 3 * 4; }

// Strict decoding of padded base64 (no whitespace); nullopt if malformed.
std::optional<std::string> DecodeBase64(std::string_view text);

}  // namespace tayori::mime
