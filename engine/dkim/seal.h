// Sealing DKIM private keys at rest: AES-256-GCM under a key-encryption key
// (KEK) that comes from the environment, never from the database. The KEK's
// id is bound into the ciphertext (as additional authenticated data) and
// stored beside it, so the KEK can rotate: old rows name the KEK that opens
// them. A tampered or mis-keyed blob fails to open; it is never half-read.
//
// Blob layout: "TK1" | 12-byte nonce | ciphertext | 16-byte tag.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace tayori::crypto {

struct Kek {
  std::string id;     // e.g. "kek1"
  std::string bytes;  // exactly 32 bytes
};

// Parses a KEK given as base64 of 32 bytes (the form the *_env variable holds).
// The error never repeats the secret.
Result<Kek> ParseKek(std::string_view id, std::string_view base64);

std::string Seal(const Kek& kek, std::string_view plaintext);
// kInvalidInput when the blob is malformed; kPermanent when authentication
// fails (wrong KEK or tampering).
Result<std::string> Open(const Kek& kek, std::string_view blob);

}  // namespace tayori::crypto
