// Module unsubscribe/: the one-click unsubscribe token: its one format, issuing and verifying. May
// include: base/, crypto/ (its links in CMakeLists.txt, and what they link publicly;
// scripts/check-layering checks both).
//
// The unsubscribe token: the one definition of its format. The renderer puts
// it in List-Unsubscribe and the body link; the HTTP endpoint verifies it.
// A token names who unsubscribes from what, and proves Tayori issued it, so a
// forged or altered token is rejected without touching the database.
//
// Format (version 1):
//
//   token   = key-id "." payload
//   key-id  = 1*16(ALPHA / DIGIT)           ; which secret made the MAC
//   payload = base64url, no padding (RFC 4648 §5), of
//             version  1 byte  = 0x01
//             scope    1 byte  = 0x01 this list | 0x02 the whole shop
//             tenant   varint  (unsigned LEB128, minimal length)
//             list     varint
//             subscriber varint
//             campaign varint  (0: none)
//             mac      16 bytes
//   mac     = first 16 bytes of HMAC-SHA256(secret,
//               "tayori-unsubscribe" 0x00 key-id 0x00 version..campaign)
//   secret  = the bytes the configured base64 text decodes to (at least 32;
//             SigningKey::FromBase64), not the text itself
//
// The key id travels in clear so keys can rotate: new tokens use the active
// key while every key still in the KeySet verifies older mail. The MAC is
// truncated to 128 bits (RFC 2104 §5; RFC 4868 uses the same length), which
// keeps the URL short; it covers the key id, so a token cannot be moved to
// another key. Tokens are 35 to 70 characters, e.g.
// "k1.AQEqB6sE6QflifInn6fmYAZQVOfFCgbH" (tenant 42, list 7, subscriber 555,
// campaign 1001), and contain only [A-Za-z0-9_.-], so they need no escaping
// in a URL path or query.
//
// Thread-safety: SigningKey and KeySet are immutable after construction and
// safe to share between threads.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/status.h"

namespace tayori::unsubscribe {

enum class Scope : uint8_t {
  kList = 1,  // unsubscribe from the list the message came from
  kShop = 2,  // stop all mail from this shop (tenant)
};

struct TokenFields {
  uint64_t tenant_id = 0;
  uint64_t list_id = 0;
  uint64_t subscriber_id = 0;
  uint64_t campaign_id = 0;  // 0 when the mail belongs to no campaign
  Scope scope = Scope::kList;

  bool operator==(const TokenFields&) const = default;
};

// A key id and its secret, checked once: the id is 1..16 letters or digits,
// the secret at least kMinSecretBytes bytes.
class SigningKey {
 public:
  static constexpr size_t kMinSecretBytes = 32;
  // `secret` is the HMAC key itself: raw bytes.
  static Result<SigningKey> Make(std::string_view key_id, std::string_view secret);

  // The form a secret is configured in (unsubscribe.keys[].secret_env, the
  // render preview's unsubscribe.secret): base64 of at least kMinSecretBytes
  // random bytes, e.g. `openssl rand -base64 32`. The HMAC key is the
  // decoded bytes, so a web app that mints tokens with the same key decodes
  // the same text. Accepted: RFC 4648 §4 base64, padded or not, or the
  // URL-safe alphabet of §5; blanks and line breaks anywhere are ignored
  // (openssl wraps long output). Errors (kConfig) say what is wrong with the
  // text without quoting any of it; callers prefix the config key.
  static Result<SigningKey> FromBase64(std::string_view key_id, std::string_view secret_base64);

  const std::string& id() const { return id_; }
  const std::string& secret() const { return secret_; }

 private:
  SigningKey(std::string id, std::string secret) : id_(std::move(id)), secret_(std::move(secret)) {}
  std::string id_;
  std::string secret_;
};

// The keys that verify tokens: the active one and any retired ones still in
// mail that may be clicked.
class KeySet {
 public:
  // Errors (kConfig) on a duplicate id.
  Status Add(SigningKey key);
  const SigningKey* Find(std::string_view key_id) const;
  bool empty() const { return keys_.empty(); }

 private:
  std::map<std::string, SigningKey, std::less<>> keys_;
};

// The token for `fields`, signed with `key`. Pure and fast (one HMAC).
std::string Encode(const SigningKey& key, const TokenFields& fields);

enum class TokenError {
  kNone,
  kMalformed,     // not a token of this format (wrong shape, bad base64url, bad length or version)
  kUnknownKeyId,  // well-formed, but no key with that id (retired too long ago, or forged)
  kBadMac,        // the MAC does not match: altered or forged
};

// Checks `token` against `keys` and returns its fields. The error message says
// exactly what is wrong; `*why` (optional) gets the category for callers that
// answer differently (e.g. the HTTP endpoint). The MAC comparison takes the
// same time wherever the MACs differ.
Result<TokenFields> Verify(std::string_view token, const KeySet& keys, TokenError* why = nullptr);

}  // namespace tayori::unsubscribe
