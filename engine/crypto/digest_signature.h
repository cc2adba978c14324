// The public-key step of DKIM: signing and verifying the SHA-256 hash of the
// header data. rsa-sha256 is RSASSA-PKCS1-v1_5 over that hash (RFC 6376
// §3.3.1); ed25519-sha256 is PureEdDSA Ed25519 over the 32 hash bytes
// (RFC 8463 §3).
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "crypto/primitives.h"
#include "crypto/key.h"

namespace tayori::crypto {

// Thread-safe (the key is only read). Errors are kInternal (OpenSSL failed).
Result<std::string> SignDigest(const PrivateKey& key, const crypto::Sha256Digest& digest);

// True when `signature` is valid for `digest` under `key`.
bool VerifyDigest(const PublicKey& key, const crypto::Sha256Digest& digest, std::string_view signature);

}  // namespace tayori::crypto
