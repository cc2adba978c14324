#include "crypto/digest_signature.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "crypto/openssl_util.h"

namespace tayori::crypto {
namespace {

using internal::MdCtxPtr;
using internal::OpenSslError;
using internal::PkeyCtxPtr;

const unsigned char* Bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

Result<std::string> SignDigest(const PrivateKey& key, const crypto::Sha256Digest& digest) {
  std::string sig;
  if (key.type() == KeyType::kRsa) {
    // The digest is already computed (incrementally, while canonicalizing),
    // so sign it directly: EVP_PKEY_sign with the signature digest set adds
    // the PKCS#1 DigestInfo for SHA-256. The context comes from the key's
    // pool, already initialized.
    EVP_PKEY_CTX* ctx = key.AcquireRsaSignContext();
    if (ctx == nullptr) return Internal(OpenSslError("RSA sign setup"));
    size_t len = static_cast<size_t>(EVP_PKEY_get_size(key.pkey()));
    sig.resize(len);
    int rc = EVP_PKEY_sign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len, digest.data(), digest.size());
    if (rc != 1) {
      EVP_PKEY_CTX_free(ctx);  // do not return a context in an unknown state to the pool
      return Internal(OpenSslError("RSA sign"));
    }
    key.ReleaseRsaSignContext(ctx);
    sig.resize(len);
    return sig;
  }
  // Ed25519 has no separate digest step: EVP_DigestSign with a null digest
  // runs PureEdDSA over the 32 hash bytes.
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, key.pkey(), nullptr) != 1)
    return Internal(OpenSslError("Ed25519 sign setup"));
  size_t len = 64;
  sig.resize(len);
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, digest.data(), digest.size()) != 1)
    return Internal(OpenSslError("Ed25519 sign"));
  sig.resize(len);
  return sig;
}

bool VerifyDigest(const PublicKey& key, const crypto::Sha256Digest& digest, std::string_view signature) {
  bool ok = false;
  if (key.type() == KeyType::kRsa) {
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.pkey(), nullptr));
    ok = ctx && EVP_PKEY_verify_init(ctx.get()) == 1 &&
         EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) == 1 &&
         EVP_PKEY_CTX_set_signature_md(ctx.get(), internal::Sha256Md()) == 1 &&
         EVP_PKEY_verify(ctx.get(), Bytes(signature), signature.size(), digest.data(), digest.size()) == 1;
  } else {
    MdCtxPtr ctx(EVP_MD_CTX_new());
    ok = ctx && EVP_DigestVerifyInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, key.pkey(), nullptr) == 1 &&
         EVP_DigestVerify(ctx.get(), Bytes(signature), signature.size(), digest.data(), digest.size()) == 1;
  }
  ERR_clear_error();  // a bad signature leaves an error queued; do not leak it to the next caller
  return ok;
}

}  // namespace tayori::crypto
