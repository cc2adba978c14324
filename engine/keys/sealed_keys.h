// DKIM private keys as the database holds them (sealed, crypto/seal.h), from
// the app's side: the configured KEKs, and opening a key row's key with the
// check that it is the key whose public half the row stores as p= (and DNS
// publishes). Everything that signs or exports a stored key opens it here.
//
// Errors name the domain, the selector and the KEK id; never a key or a KEK.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "config/config.h"
#include "crypto/key.h"
#include "crypto/key_cache.h"
#include "crypto/seal.h"
#include "store/keys.h"

namespace tayori::keys {

// Every configured KEK (dkim.keks), the active one first: new keys are
// sealed with front(). kConfig when a variable is unset or does not hold
// base64 of 32 bytes.
Result<std::vector<crypto::Kek>> LoadKeks(const config::Dkim& dkim);

// The binding a key row's blob is sealed to (crypto/seal.h).
crypto::KeyBinding BindingOf(const std::string& domain, const store::DomainKeyRow& row);

struct OpenedKey {
  std::string pem;  // PKCS#8; never log, print or store it in clear
  std::shared_ptr<const crypto::PrivateKey> key;
};

// Opens the key of `row` (a key of `domain`) with the KEK the row names, and
// checks that its public half is the row's p=. kPermanent when that KEK is
// not in `keks`, when the blob does not open (wrong KEK, tampering, a blob
// moved from another key row) or when the key does not match p= (e.g. a TK1
// blob copied from another row). `cache`, if given, parses the key once.
Result<OpenedKey> OpenDomainKey(const std::vector<crypto::Kek>& keks, const std::string& domain,
                                const store::DomainKeyRow& row, crypto::KeyCache* cache = nullptr);

}  // namespace tayori::keys
