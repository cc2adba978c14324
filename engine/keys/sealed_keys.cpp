#include "keys/sealed_keys.h"

#include "crypto/primitives.h"

namespace tayori::keys {

Result<std::vector<crypto::Kek>> LoadKeks(const config::Dkim& dkim) {
  std::vector<crypto::Kek> out;
  for (const auto& k : dkim.keks) {
    TAYORI_ASSIGN_OR_RETURN(std::string b64,
                            config::ResolveSecret(k.secret_env, "dkim.keks[" + k.id + "].secret_env"));
    TAYORI_ASSIGN_OR_RETURN(crypto::Kek kek, crypto::ParseKek(k.id, b64));
    if (k.id == dkim.active_kek_id) out.insert(out.begin(), std::move(kek));
    else out.push_back(std::move(kek));
  }
  if (out.empty() || out.front().id != dkim.active_kek_id)
    return ConfigError("dkim.active_kek_id: '" + dkim.active_kek_id + "' does not name one of dkim.keks");
  return out;
}

crypto::KeyBinding BindingOf(const std::string& domain, const store::DomainKeyRow& row) {
  return crypto::KeyBinding{domain, row.selector, row.public_key};
}

Result<OpenedKey> OpenDomainKey(const std::vector<crypto::Kek>& keks, const std::string& domain,
                                const store::DomainKeyRow& row, crypto::KeyCache* cache) {
  std::string what = "key of " + domain + " selector " + row.selector;
  const crypto::Kek* kek = nullptr;
  for (const auto& k : keks)
    if (k.id == row.kek_id) kek = &k;
  if (!kek) return Permanent(what + " is sealed with KEK '" + row.kek_id + "', which is not configured (dkim.keks)");
  auto pem = crypto::Open(*kek, BindingOf(domain, row), row.private_key_sealed);
  if (!pem.ok()) return Permanent(pem.status().message());
  // The row says which type the key is: read as that type, which is several
  // times quicker (thousands of shops' keys load at a start).
  Result<std::shared_ptr<const crypto::PrivateKey>> key = Internal("not read");
  if (row.algorithm == "rsa-sha256" || row.algorithm == "ed25519-sha256") {
    auto type = row.algorithm == "rsa-sha256" ? crypto::KeyType::kRsa : crypto::KeyType::kEd25519;
    key = cache ? cache->Get(*pem, type) : crypto::PrivateKey::FromPem(*pem, type);
  } else {
    key = cache ? cache->Get(*pem) : crypto::PrivateKey::FromPem(*pem);
  }
  if (!key.ok()) return Permanent(what + " does not parse after unsealing: " + key.status().message());
  // The row's p= is what DNS publishes and receivers verify with. A key that
  // is not its private half would sign mail that fails DKIM everywhere; and
  // for a TK1 blob (bound to nothing) this check is what notices a blob
  // copied from another row.
  auto stored = crypto::Base64Decode(row.public_key);
  if (!stored.ok() || !(*key)->HasPublicKey(*stored))
    return Permanent(what + " does not match its public key (p=): the sealed key belongs to another key row");
  return OpenedKey{std::move(pem).value(), std::move(key).value()};
}

}  // namespace tayori::keys
