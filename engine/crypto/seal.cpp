#include "crypto/seal.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cctype>
#include <memory>

#include "crypto/primitives.h"

namespace tayori::crypto {
namespace {

constexpr std::string_view kMagicV1 = "TK1", kMagicV2 = "TK2";
constexpr size_t kMagic = 3, kNonce = 12, kTag = 16;

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Each field with a 2-byte length in front, so no two different bindings
// can give the same bytes ("a.b" + "c" against "a" + "b.c").
void AppendField(std::string& out, std::string_view field) {
  out += static_cast<char>((field.size() >> 8) & 0xff);
  out += static_cast<char>(field.size() & 0xff);
  out += field;
}

// TK1: the KEK id. TK2: a label, the KEK id, the domain, the selector and
// the SHA-256 of the decoded public key.
Result<std::string> AdditionalData(SealFormat format, const Kek& kek, const KeyBinding& b) {
  if (format == SealFormat::kTk1) return kek.id;
  auto der = Base64Decode(b.public_key);
  if (!der.ok() || der->empty())
    return InvalidInput("public key (p=) of " + b.domain + " selector " + b.selector + " is not base64");
  std::string aad;
  AppendField(aad, "tayori-dkim-key-v2");
  AppendField(aad, kek.id);
  AppendField(aad, Lower(b.domain));
  AppendField(aad, Lower(b.selector));
  AppendField(aad, AsBytes(Sha256(*der)));
  return aad;
}

const unsigned char* U(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

Result<Kek> ParseKek(std::string_view id, std::string_view base64) {
  auto bytes = Base64Decode(base64);
  if (!bytes.ok() || bytes->size() != 32)
    return ConfigError("key-encryption key '" + std::string(id) + "' must be base64 of exactly 32 bytes");
  return Kek{std::string(id), std::move(bytes).value()};
}

SealFormat FormatOf(std::string_view blob) {
  if (blob.size() < kMagic + kNonce + kTag) return SealFormat::kUnknown;
  if (blob.substr(0, kMagic) == kMagicV2) return SealFormat::kTk2;
  if (blob.substr(0, kMagic) == kMagicV1) return SealFormat::kTk1;
  return SealFormat::kUnknown;
}

Result<std::string> Seal(const Kek& kek, const KeyBinding& binding, std::string_view plaintext) {
  TAYORI_ASSIGN_OR_RETURN(std::string aad, AdditionalData(SealFormat::kTk2, kek, binding));
  std::string nonce = RandomBytes(kNonce);
  std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
  std::string out(kMagicV2);
  out += nonce;
  size_t ct_at = out.size();
  out.resize(ct_at + plaintext.size() + kTag);
  auto* ct = reinterpret_cast<unsigned char*>(out.data() + ct_at);
  int len = 0, final_len = 0;
  bool ok = EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, U(kek.bytes), U(nonce)) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) == 1 &&
            EVP_EncryptUpdate(ctx.get(), ct, &len, U(plaintext), static_cast<int>(plaintext.size())) == 1 &&
            EVP_EncryptFinal_ex(ctx.get(), ct + len, &final_len) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTag),
                                out.data() + ct_at + plaintext.size()) == 1;
  if (!ok) std::abort();  // AES-GCM encryption cannot fail with valid sizes
  return out;
}

Result<std::string> Open(const Kek& kek, const KeyBinding& binding, std::string_view blob) {
  SealFormat format = FormatOf(blob);
  if (format == SealFormat::kUnknown) return InvalidInput("sealed key is malformed (not a TK1 or TK2 blob)");
  TAYORI_ASSIGN_OR_RETURN(std::string aad, AdditionalData(format, kek, binding));
  std::string_view nonce = blob.substr(kMagic, kNonce);
  std::string_view ct = blob.substr(kMagic + kNonce, blob.size() - kMagic - kNonce - kTag);
  std::string tag(blob.substr(blob.size() - kTag));
  std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
  std::string out(ct.size(), '\0');
  auto* pt = reinterpret_cast<unsigned char*>(out.data());
  int len = 0, final_len = 0;
  bool ok = EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, U(kek.bytes), U(nonce)) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) == 1 &&
            EVP_DecryptUpdate(ctx.get(), pt, &len, U(ct), static_cast<int>(ct.size())) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTag), tag.data()) == 1;
  if (!ok || EVP_DecryptFinal_ex(ctx.get(), pt + len, &final_len) != 1) {
    // Whatever was decrypted before the tag check failed is not the key:
    // wipe it rather than leave it in freed memory.
    OPENSSL_cleanse(out.data(), out.size());
    std::string what = format == SealFormat::kTk2 ? " (wrong KEK, tampered, or moved from another key row)"
                                                  : " (wrong KEK or tampered)";
    return Permanent("sealed key of " + binding.domain + " selector " + binding.selector +
                     " does not open with key-encryption key '" + kek.id + "'" + what);
  }
  return out;
}

}  // namespace tayori::crypto
