#include "crypto/key.h"

#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <cstdlib>

#include "crypto/primitives.h"
#include "crypto/openssl_util.h"

namespace tayori::crypto {
namespace {

using internal::BioPtr;
using internal::OpenSslError;
using internal::PkeyPtr;

// Never prompt on a terminal for the passphrase of an encrypted PEM: an
// encrypted key is simply an error here.
int NoPassphrase(char*, int, int, void*) { return -1; }

Status CheckRsaSigningBits(int bits) {
  if (bits < kMinRsaSigningBits)
    return InvalidInput("RSA keys of " + std::to_string(bits) + " bits are too weak to sign with; use at least " +
                        std::to_string(kMinRsaSigningBits));
  if (bits > kMaxRsaBits)
    return InvalidInput("RSA keys over " + std::to_string(kMaxRsaBits) + " bits are not supported");
  return Status::Ok();
}

// A decoder context reused for one key after another. Building one
// (OSSL_DECODER_CTX_new_for_pkey: every decoder chain that can produce the
// type) is most of the cost of reading a key; the context itself holds no
// state from one decode to the next but the output slot, emptied each time.
// One thread only: each thread keeps its own (thread_local below).
class ReusableDecoder {
 public:
  ReusableDecoder(const char* input, const char* structure, const char* type, int selection)
      : ctx_(OSSL_DECODER_CTX_new_for_pkey(&out_, input, structure, type, selection, nullptr, nullptr)) {}
  ~ReusableDecoder() {
    OSSL_DECODER_CTX_free(ctx_);
    EVP_PKEY_free(out_);
  }
  ReusableDecoder(const ReusableDecoder&) = delete;
  ReusableDecoder& operator=(const ReusableDecoder&) = delete;

  // The key, or null when `data` is not one of this type and form. Errors of
  // the decoders tried are dropped (back to the caller's mark).
  PkeyPtr Decode(std::string_view data) {
    if (ctx_ == nullptr) return nullptr;
    EVP_PKEY_free(out_);
    out_ = nullptr;
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    size_t len = data.size();
    ERR_set_mark();
    bool ok = OSSL_DECODER_from_data(ctx_, &p, &len) == 1;
    ERR_pop_to_mark();
    PkeyPtr got(out_);
    out_ = nullptr;
    if (!ok) got.reset();
    return got;
  }

 private:
  EVP_PKEY* out_ = nullptr;  // the context writes here
  OSSL_DECODER_CTX* ctx_;
};

ReusableDecoder& PemDecoderFor(KeyType type) {
  thread_local ReusableDecoder rsa("PEM", nullptr, "RSA", EVP_PKEY_KEYPAIR);
  thread_local ReusableDecoder ed25519("PEM", nullptr, "ED25519", EVP_PKEY_KEYPAIR);
  return type == KeyType::kRsa ? rsa : ed25519;
}

}  // namespace

std::string_view KeyTypeName(KeyType t) { return t == KeyType::kRsa ? "rsa" : "ed25519"; }

PrivateKey::~PrivateKey() {
  for (EVP_PKEY_CTX* ctx : idle_contexts_) EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_free(pkey_);
}

EVP_PKEY_CTX* PrivateKey::AcquireRsaSignContext() const {
  {
    std::lock_guard lock(pool_mu_);
    if (!idle_contexts_.empty()) {
      EVP_PKEY_CTX* ctx = idle_contexts_.back();
      idle_contexts_.pop_back();
      return ctx;
    }
  }
  internal::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey_, nullptr));
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), internal::Sha256Md()) != 1)
    return nullptr;
  return ctx.release();
}

void PrivateKey::ReleaseRsaSignContext(EVP_PKEY_CTX* ctx) const {
  if (ctx == nullptr) return;
  {
    std::lock_guard lock(pool_mu_);
    if (idle_contexts_.size() < kMaxIdleContexts) {
      idle_contexts_.push_back(ctx);
      return;
    }
  }
  EVP_PKEY_CTX_free(ctx);
}
PublicKey::~PublicKey() { EVP_PKEY_free(pkey_); }

Result<std::shared_ptr<const PrivateKey>> PrivateKey::Adopt(evp_pkey_st* raw) {
  PkeyPtr pkey(raw);
  switch (EVP_PKEY_get_id(pkey.get())) {
    case EVP_PKEY_RSA: {
      int bits = EVP_PKEY_get_bits(pkey.get());
      return std::shared_ptr<const PrivateKey>(new PrivateKey(pkey.release(), KeyType::kRsa, bits));
    }
    case EVP_PKEY_ED25519:
      return std::shared_ptr<const PrivateKey>(new PrivateKey(pkey.release(), KeyType::kEd25519, 256));
    default:
      return InvalidInput("unsupported key type (DKIM keys are RSA or Ed25519)");
  }
}

Result<std::shared_ptr<const PrivateKey>> PrivateKey::GenerateRsa(int bits) {
  TAYORI_RETURN_IF_ERROR(CheckRsaSigningBits(bits));
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits));
  if (pkey == nullptr) return Internal(OpenSslError("RSA key generation failed"));
  return Adopt(pkey);
}

Result<std::shared_ptr<const PrivateKey>> PrivateKey::GenerateEd25519() {
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (pkey == nullptr) return Internal(OpenSslError("Ed25519 key generation failed"));
  return Adopt(pkey);
}

Result<std::shared_ptr<const PrivateKey>> PrivateKey::FromPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Internal(OpenSslError("BIO_new_mem_buf"));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr);
  if (pkey == nullptr) return InvalidInput(OpenSslError("not a readable, unencrypted PEM private key"));
  auto key = Adopt(pkey);
  if (key.ok() && (*key)->type() == KeyType::kRsa && (*key)->bits() > kMaxRsaBits)
    return InvalidInput("RSA keys over " + std::to_string(kMaxRsaBits) + " bits are not supported");
  return key;
}

Status KeyTypeMismatch(KeyType found, KeyType expected) {
  return InvalidInput("the key is " + std::string(KeyTypeName(found)) + ", expected " + std::string(KeyTypeName(expected)));
}

Result<std::shared_ptr<const PrivateKey>> PrivateKey::FromPem(std::string_view pem, KeyType expected) {
  EVP_PKEY* pkey = PemDecoderFor(expected).Decode(pem).release();
  if (pkey == nullptr) {
    // Not that type, or a form this decoder does not take: the general
    // reader reads it or says why not.
    auto any = FromPem(pem);
    if (!any.ok() || (*any)->type() == expected) return any;
    return KeyTypeMismatch((*any)->type(), expected);
  }
  auto key = Adopt(pkey);
  if (key.ok() && (*key)->type() != expected) return KeyTypeMismatch((*key)->type(), expected);
  if (key.ok() && (*key)->type() == KeyType::kRsa && (*key)->bits() > kMaxRsaBits)
    return InvalidInput("RSA keys over " + std::to_string(kMaxRsaBits) + " bits are not supported");
  return key;
}

Result<std::string> PrivateKey::ToPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return Internal(OpenSslError("BIO_new"));
  // OpenSSL 3 writes PKCS#8 PrivateKeyInfo here ("BEGIN PRIVATE KEY").
  if (PEM_write_bio_PrivateKey(bio.get(), pkey_, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return Internal(OpenSslError("PEM_write_bio_PrivateKey"));
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string PrivateKey::PublicKeyBase64() const {
  if (type_ == KeyType::kEd25519) {
    unsigned char raw[32];
    size_t len = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(pkey_, raw, &len) != 1) std::abort();
    return crypto::Base64Encode(std::string_view(reinterpret_cast<const char*>(raw), len));
  }
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(pkey_, &der);
  if (len <= 0) std::abort();  // an RSA key we hold can always be encoded
  std::string out = crypto::Base64Encode(std::string_view(reinterpret_cast<const char*>(der), static_cast<size_t>(len)));
  OPENSSL_free(der);
  return out;
}

bool PrivateKey::HasPublicKey(std::string_view p) const {
  if (type_ == KeyType::kEd25519) {
    unsigned char raw[32];
    size_t len = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(pkey_, raw, &len) != 1) return false;
    return p == std::string_view(reinterpret_cast<const char*>(raw), len);
  }
  thread_local ReusableDecoder spki("DER", "SubjectPublicKeyInfo", "RSA", EVP_PKEY_PUBLIC_KEY);
  PkeyPtr pub = spki.Decode(p);
  // EVP_PKEY_eq compares the public components (n and e).
  return pub != nullptr && EVP_PKEY_eq(pkey_, pub.get()) == 1;
}

Result<std::shared_ptr<const PublicKey>> PublicKey::FromDkimBytes(KeyType type, std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  if (type == KeyType::kEd25519) {
    if (der.size() != 32)
      return InvalidInput("an Ed25519 public key is 32 bytes, p= has " + std::to_string(der.size()));
    EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, p, der.size());
    if (pkey == nullptr) return InvalidInput(OpenSslError("invalid Ed25519 public key"));
    return std::shared_ptr<const PublicKey>(new PublicKey(pkey, KeyType::kEd25519, 256));
  }
  const unsigned char* cursor = p;
  PkeyPtr pkey(d2i_PUBKEY(nullptr, &cursor, static_cast<long>(der.size())));
  if (!pkey || cursor != p + der.size()) {
    // Not SubjectPublicKeyInfo: try a bare RSAPublicKey (PKCS#1).
    ERR_clear_error();
    cursor = p;
    pkey.reset(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &cursor, static_cast<long>(der.size())));
    if (!pkey || cursor != p + der.size()) return InvalidInput(OpenSslError("p= is not a DER RSA public key"));
  }
  if (EVP_PKEY_get_id(pkey.get()) != EVP_PKEY_RSA) return InvalidInput("p= holds a non-RSA key but k=rsa");
  int bits = EVP_PKEY_get_bits(pkey.get());
  if (bits < kMinRsaVerifyingBits)
    return InvalidInput("RSA key of " + std::to_string(bits) + " bits is below the " +
                        std::to_string(kMinRsaVerifyingBits) + "-bit minimum (RFC 8301 §3.2)");
  if (bits > kMaxRsaBits) return InvalidInput("RSA keys over " + std::to_string(kMaxRsaBits) + " bits are not supported");
  return std::shared_ptr<const PublicKey>(new PublicKey(pkey.release(), KeyType::kRsa, bits));
}

std::vector<std::string> SplitTxtValue(std::string_view value, size_t max) {
  std::vector<std::string> out;
  if (max == 0) max = kTxtStringMax;
  for (size_t i = 0; i < value.size(); i += max) out.emplace_back(value.substr(i, max));
  if (out.empty()) out.emplace_back();
  return out;
}

}  // namespace tayori::crypto
