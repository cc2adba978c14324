// The DKIM key record published in DNS at SELECTOR._domainkey.DOMAIN
// (RFC 6376 §3.6.1; RFC 8463 §4 for k=ed25519).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "crypto/key.h"

namespace tayori::dkim {

struct KeyRecord {
  crypto::KeyType type = crypto::KeyType::kRsa;
  std::shared_ptr<const crypto::PublicKey> key;  // null when revoked
  bool revoked = false;                  // p= is empty (§3.6.1)
  bool testing = false;                  // t=y
  bool strict = false;                   // t=s: i= must equal d=, not a subdomain
};

// Parses the TXT value (its character-strings already joined). Errors are
// kInvalidInput with the reason: bad tag-list syntax, v= other than DKIM1 or
// not first, unknown k=, h= without sha256, s= not covering email, missing
// p=, bad base64 in p=, a key that does not parse or is too small.
Result<KeyRecord> ParseKeyRecord(std::string_view txt);

// The record to publish for a signing key: "v=DKIM1; k=rsa|ed25519; p=…"
// (no t=, h= or s=: every receiver then accepts it for sha256 email signing).
std::string KeyRecordText(const crypto::PrivateKey& key);

}  // namespace tayori::dkim
