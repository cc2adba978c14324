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
// type) is most of the cost of reading a key. OpenSSL does not document
// reuse, but in 3.0 a context keeps nothing from one decode to the next
// except the output slot, which is emptied before each (OpenSSL 3.2 caches
// built contexts itself). The tests read keys one after another, failures
// between them, and compare each with the general reader.
// One thread only: each thread keeps its own (thread_local below).
class ReusableDecoder {
 public:
  ReusableDecoder(const char* input, const char* structure, const char* type, int selection)
      : input_(input), structure_(structure), type_(type), selection_(selection) {}
  ~ReusableDecoder() {
    OSSL_DECODER_CTX_free(ctx_);
    EVP_PKEY_free(out_);
  }
  ReusableDecoder(const ReusableDecoder&) = delete;
  ReusableDecoder& operator=(const ReusableDecoder&) = delete;

  // Builds the context on first use, and again after a failed build (out of
  // memory, say): false while it cannot be built.
  bool Ready() {
    if (ctx_ != nullptr) return true;
    ERR_set_mark();
    ctx_ = OSSL_DECODER_CTX_new_for_pkey(&out_, input_, structure_, type_, selection_, nullptr, nullptr);
    ERR_pop_to_mark();
    return ctx_ != nullptr;
  }

  // The key, or null when `data` is not exactly one key of this type and
  // form (bytes left over are refused too). Errors of the decoders tried are
  // dropped (back to the caller's mark).
  PkeyPtr Decode(std::string_view data) {
    if (!Ready()) return nullptr;
    EVP_PKEY_free(out_);
    out_ = nullptr;
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    size_t left = data.size();
    ERR_set_mark();
    bool ok = OSSL_DECODER_from_data(ctx_, &p, &left) == 1;
    ERR_pop_to_mark();
    PkeyPtr got(out_);
    out_ = nullptr;
    if (!ok || left != 0) got.reset();
    return got;
  }

 private:
  const char* input_;
  const char* structure_;
  const char* type_;
  int selection_;
  EVP_PKEY* out_ = nullptr;  // the context writes here
  OSSL_DECODER_CTX* ctx_ = nullptr;
};

// Ed25519's raw 32-byte public key: its p= (RFC 8463 §4.2).
std::string RawPublicKey(EVP_PKEY* pkey) {
  unsigned char raw[32];
  size_t len = sizeof raw;
  if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1) std::abort();  // an Ed25519 key we hold has one
  return std::string(reinterpret_cast<const char*>(raw), len);
}

ReusableDecoder& PemDecoderFor(KeyType type) {
  if (type == KeyType::kRsa) {
    thread_local ReusableDecoder rsa("PEM", nullptr, "RSA", EVP_PKEY_KEYPAIR);
    return rsa;
  }
  thread_local ReusableDecoder ed25519("PEM", nullptr, "ED25519", EVP_PKEY_KEYPAIR);
  return ed25519;
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
  if (type_ == KeyType::kEd25519) return crypto::Base64Encode(RawPublicKey(pkey_));
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(pkey_, &der);
  if (len <= 0) std::abort();  // an RSA key we hold can always be encoded
  std::string out = crypto::Base64Encode(std::string_view(reinterpret_cast<const char*>(der), static_cast<size_t>(len)));
  OPENSSL_free(der);
  return out;
}

bool PrivateKey::HasPublicKey(std::string_view p) const {
  if (type_ == KeyType::kEd25519) return p == RawPublicKey(pkey_);
  thread_local ReusableDecoder spki("DER", "SubjectPublicKeyInfo", "RSA", EVP_PKEY_PUBLIC_KEY);
  // Without a decoder (it could not be built), the slow way: never a
  // mismatch reported for want of one.
  if (!spki.Ready()) return *Base64Decode(PublicKeyBase64()) == p;
  // One SubjectPublicKeyInfo, nothing after it, whose public components (n
  // and e) are this key's (EVP_PKEY_eq): the key verifiers get from p=.
  PkeyPtr pub = spki.Decode(p);
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
