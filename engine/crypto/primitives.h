// Module crypto/: the cryptographic primitives: hashes, HMAC, random bytes, base64/hex, AES-GCM
// key sealing, RSA/Ed25519 keys and their cache, digest signatures; the only includer of OpenSSL.
// May include: base/ (its links in CMakeLists.txt, and what they link publicly; scripts/check-
// layering checks both).
//
// The primitives other modules need: SHA-256, HMAC, randomness, base64 and
// hex. crypto/ is the only module that includes OpenSSL (the rest of it:
// sealing, keys, digest signatures); everything here is thread-safe and
// pure apart from RandomBytes.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace tayori::crypto {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest Sha256(std::string_view data);
Sha256Digest HmacSha256(std::string_view key, std::string_view data);

// Compares in time independent of where the inputs differ (tokens, MACs).
bool ConstantTimeEqual(std::string_view a, std::string_view b);

// Cryptographically secure random bytes (OpenSSL's RAND_bytes). Aborts if the
// CSPRNG fails: nothing safe can be done without randomness.
std::string RandomBytes(size_t n);

// RFC 4648 §4 base64 with padding, no line breaks.
std::string Base64Encode(std::string_view bytes);
// Ignores no characters: whitespace or bad padding is an error (kInvalidInput).
Result<std::string> Base64Decode(std::string_view text);
// RFC 4648 §5 base64url without padding (for URL tokens).
std::string Base64UrlEncode(std::string_view bytes);
Result<std::string> Base64UrlDecode(std::string_view text);

std::string HexEncode(std::string_view bytes);

inline std::string_view AsBytes(const Sha256Digest& d) {
  return std::string_view(reinterpret_cast<const char*>(d.data()), d.size());
}

}  // namespace tayori::crypto
