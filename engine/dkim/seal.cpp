#include "dkim/seal.h"

#include <openssl/evp.h>

#include <memory>

#include "dkim/crypto.h"

namespace tayori::crypto {
namespace {

constexpr std::string_view kMagic = "TK1";
constexpr size_t kNonce = 12, kTag = 16;

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

}  // namespace

Result<Kek> ParseKek(std::string_view id, std::string_view base64) {
  auto bytes = Base64Decode(base64);
  if (!bytes.ok() || bytes->size() != 32)
    return ConfigError("key-encryption key '" + std::string(id) + "' must be base64 of exactly 32 bytes");
  return Kek{std::string(id), std::move(bytes).value()};
}

std::string Seal(const Kek& kek, std::string_view plaintext) {
  std::string nonce = RandomBytes(kNonce);
  std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
  std::string out(kMagic);
  out += nonce;
  size_t ct_at = out.size();
  out.resize(ct_at + plaintext.size() + kTag);
  int len = 0;
  auto* key = reinterpret_cast<const unsigned char*>(kek.bytes.data());
  auto* iv = reinterpret_cast<const unsigned char*>(nonce.data());
  bool ok = EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key, iv) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(kek.id.data()),
                              static_cast<int>(kek.id.size())) == 1 &&
            EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data() + ct_at), &len,
                              reinterpret_cast<const unsigned char*>(plaintext.data()),
                              static_cast<int>(plaintext.size())) == 1 &&
            EVP_EncryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data() + ct_at + len), &len) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTag),
                                out.data() + ct_at + plaintext.size()) == 1;
  if (!ok) std::abort();  // AES-GCM encryption cannot fail with valid sizes
  return out;
}

Result<std::string> Open(const Kek& kek, std::string_view blob) {
  if (blob.size() < kMagic.size() + kNonce + kTag || blob.substr(0, kMagic.size()) != kMagic)
    return InvalidInput("sealed key is malformed (not a TK1 blob)");
  std::string_view nonce = blob.substr(kMagic.size(), kNonce);
  std::string_view ct = blob.substr(kMagic.size() + kNonce, blob.size() - kMagic.size() - kNonce - kTag);
  std::string tag(blob.substr(blob.size() - kTag));
  std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
  std::string out(ct.size(), '\0');
  int len = 0;
  bool ok =
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, reinterpret_cast<const unsigned char*>(kek.bytes.data()),
                         reinterpret_cast<const unsigned char*>(nonce.data())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(kek.id.data()),
                        static_cast<int>(kek.id.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len,
                        reinterpret_cast<const unsigned char*>(ct.data()), static_cast<int>(ct.size())) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTag), tag.data()) == 1;
  int final_len = 0;
  if (!ok || EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + len, &final_len) != 1)
    return Permanent("sealed key does not open with key-encryption key '" + kek.id + "' (wrong KEK or tampered)");
  return out;
}

}  // namespace tayori::crypto
