// DKIM keys: generation, PEM (PKCS#8) in and out, and the DNS TXT record
// value that publishes the public half (RFC 6376 §3.6.1, RFC 8463 §4).
//
// Keys are immutable once built and safe to use from several threads at once
// (OpenSSL 3 allows concurrent read-only use of an EVP_PKEY); share them with
// std::shared_ptr, e.g. through KeyCache.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

struct evp_pkey_st;
struct evp_pkey_ctx_st;

namespace tayori::crypto {

enum class KeyType { kRsa, kEd25519 };

// Key size limits (RFC 8301 §3.2): we generate and sign with
// 2048 bits or more; a verifier must still accept 1024-bit keys; larger than
// 8192 is refused everywhere (cost, and TXT records get unwieldy).
constexpr int kMinRsaSigningBits = 2048;
constexpr int kMinRsaVerifyingBits = 1024;
constexpr int kMaxRsaBits = 8192;
constexpr int kDefaultRsaBits = 2048;

// Maximum length of one DNS TXT character-string (RFC 1035 §3.3.14).
constexpr size_t kTxtStringMax = 255;

std::string_view KeyTypeName(KeyType t);  // "rsa" / "ed25519", the k= values
// kInvalidInput "the key is rsa, expected ed25519": a key read for a key row
// that names the other type.
Status KeyTypeMismatch(KeyType found, KeyType expected);

class PrivateKey {
 public:
  // Generates a new key. RSA below kMinRsaSigningBits or above kMaxRsaBits is
  // kInvalidInput.
  static Result<std::shared_ptr<const PrivateKey>> GenerateRsa(int bits = kDefaultRsaBits);
  static Result<std::shared_ptr<const PrivateKey>> GenerateEd25519();
  // Reads a PEM private key (PKCS#8 "PRIVATE KEY"; the older PKCS#1 "RSA
  // PRIVATE KEY" is accepted too). Only RSA and Ed25519 keys are accepted.
  // An RSA key below kMinRsaSigningBits is accepted here (it can be loaded to
  // derive its record) but no Signer can be built with it.
  static Result<std::shared_ptr<const PrivateKey>> FromPem(std::string_view pem);
  // The same for a key whose type is known (a key row's algorithm): about a
  // quarter of the time, since OpenSSL then tries only that type's decoders
  // (0.09 against 0.34 ms for RSA-2048; it counts when thousands of shops'
  // keys are loaded). A key of another type is kInvalidInput.
  // Each thread keeps one decoder per type for this, built on its first use:
  // building one costs about 0.1 ms, decoding a key with it 0.015 ms.
  static Result<std::shared_ptr<const PrivateKey>> FromPem(std::string_view pem, KeyType expected);

  ~PrivateKey();
  PrivateKey(const PrivateKey&) = delete;
  PrivateKey& operator=(const PrivateKey&) = delete;

  KeyType type() const { return type_; }
  int bits() const { return bits_; }  // modulus size for RSA, 256 for Ed25519

  // PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), unencrypted: store it 0600.
  Result<std::string> ToPem() const;
  // The p= value: base64 of the DER SubjectPublicKeyInfo for RSA, of the raw
  // 32-byte public key for Ed25519 (RFC 8463 §4.2).
  std::string PublicKeyBase64() const;
  // Whether `p` (p= decoded from base64) is this key's public half: for RSA
  // exactly one SubjectPublicKeyInfo with this key's n and e (compared by
  // value, as verifiers read it), for Ed25519 the raw key's bytes. Quicker
  // than comparing with PublicKeyBase64 (its DER encoder is set up per call,
  // 0.07 ms): the engine checks every key it loads against its row's p=.
  bool HasPublicKey(std::string_view p) const;
  // (The DKIM key record built from it is dkim::KeyRecordText.)

  // For crypto/'s digest signatures; never null.
  evp_pkey_st* pkey() const { return pkey_; }

  // RSA only: an EVP_PKEY_CTX already set up for PKCS#1 v1.5 / SHA-256
  // signing, taken from a small per-key pool (nullptr if OpenSSL fails).
  // Setting one up costs a provider lookup; reusing it keeps DKIM signing at
  // the raw RSA rate. Thread-safe; give it back with ReleaseRsaSignContext.
  evp_pkey_ctx_st* AcquireRsaSignContext() const;
  void ReleaseRsaSignContext(evp_pkey_ctx_st* ctx) const;

 private:
  PrivateKey(evp_pkey_st* pkey, KeyType type, int bits) : pkey_(pkey), type_(type), bits_(bits) {}
  static Result<std::shared_ptr<const PrivateKey>> Adopt(evp_pkey_st* pkey);
  evp_pkey_st* pkey_;
  KeyType type_;
  int bits_;
  // Idle signing contexts (at most kMaxIdleContexts); guarded by pool_mu_.
  static constexpr size_t kMaxIdleContexts = 16;
  mutable std::mutex pool_mu_;
  mutable std::vector<evp_pkey_ctx_st*> idle_contexts_;
};

// A public key taken from a key record's p= value, for verification.
class PublicKey {
 public:
  // `der` is the decoded p= value: SubjectPublicKeyInfo (or a bare PKCS#1
  // RSAPublicKey, which RFC 6376 §3.6.1's wording allows) for RSA, the raw 32
  // bytes for Ed25519. RSA keys below kMinRsaVerifyingBits are kInvalidInput.
  static Result<std::shared_ptr<const PublicKey>> FromDkimBytes(KeyType type, std::string_view der);

  ~PublicKey();
  PublicKey(const PublicKey&) = delete;
  PublicKey& operator=(const PublicKey&) = delete;

  KeyType type() const { return type_; }
  int bits() const { return bits_; }
  evp_pkey_st* pkey() const { return pkey_; }

 private:
  PublicKey(evp_pkey_st* pkey, KeyType type, int bits) : pkey_(pkey), type_(type), bits_(bits) {}
  evp_pkey_st* pkey_;
  KeyType type_;
  int bits_;
};

// Splits a TXT record value into character-strings of at most `max` bytes
// (kTxtStringMax for DNS). Concatenated they give back `value`; an empty value
// is one empty string.
std::vector<std::string> SplitTxtValue(std::string_view value, size_t max = kTxtStringMax);

}  // namespace tayori::crypto
