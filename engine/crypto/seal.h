// Sealing DKIM private keys at rest: AES-256-GCM under a key-encryption key
// (KEK) that comes from the environment, never from the database. The KEK's
// id is stored beside each blob, so several KEKs can be configured while one
// rotates out: old rows name the KEK that opens them. A tampered, mis-keyed
// or moved blob fails to open; it is never half-read.
//
// A blob is bound to its key row. The additional authenticated data (AAD)
// of a "TK2" blob holds the KEK id, the sender domain, the selector and the
// SHA-256 of the public key (the decoded p= value), so a blob copied into
// another domain's row, under another selector, or beside another public key
// does not open. These are the row's identity that is known both when a key
// is sealed (before its INSERT, so not the database ids) and when it is
// opened, and that never changes for a stored key: rotation makes a new key
// rather than moving one. A dkim_keys row is therefore joined to exactly one
// domain_keys row.
//
// "TK1" blobs (earlier releases) bound only the KEK id. They still open, so
// existing databases keep working, but nothing ties them to their row:
// callers check the opened key against p= (keys/sealed_keys.h) and
// `tayori dkim reseal` rewrites them as TK2.
//
// Layout: magic ("TK1" | "TK2") | 12-byte nonce | ciphertext | 16-byte tag.
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

// The key row a sealed key belongs to.
struct KeyBinding {
  std::string domain;      // the sender domain (A-label); compared case-insensitively
  std::string selector;    // compared case-insensitively
  std::string public_key;  // the row's p= value (base64), as stored
};

enum class SealFormat { kUnknown, kTk1, kTk2 };
SealFormat FormatOf(std::string_view blob);

// A TK2 blob of `plaintext` under `kek`, bound to `binding`. kInvalidInput
// when the binding's public key is not base64.
Result<std::string> Seal(const Kek& kek, const KeyBinding& binding, std::string_view plaintext);

// Opens a TK2 blob bound to `binding`, or a TK1 blob (which carries no
// binding). kInvalidInput when the blob is malformed; kPermanent when
// authentication fails: wrong KEK, tampering, or a blob moved from another
// key row. The message names the KEK id, domain and selector, never a secret.
Result<std::string> Open(const Kek& kek, const KeyBinding& binding, std::string_view blob);

}  // namespace tayori::crypto
