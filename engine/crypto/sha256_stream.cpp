#include "crypto/sha256_stream.h"

#include <openssl/evp.h>

#include <cstdlib>

#include "crypto/openssl_util.h"

namespace tayori::crypto {

// A failing SHA-256 update means OpenSSL itself is broken (no allocation
// happens in the update path): crash rather than sign garbage.
Sha256Stream::Sha256Stream() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr) std::abort();
  Reset();
}

Sha256Stream::~Sha256Stream() { EVP_MD_CTX_free(ctx_); }

void Sha256Stream::Reset() {
  if (EVP_DigestInit_ex2(ctx_, internal::Sha256Md(), nullptr) != 1) std::abort();
}

void Sha256Stream::Write(std::string_view bytes) {
  if (bytes.empty()) return;
  if (EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()) != 1) std::abort();
}

Sha256Digest Sha256Stream::Finish() {
  Sha256Digest d{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_, d.data(), &len) != 1 || len != d.size()) std::abort();
  return d;
}

}  // namespace tayori::crypto
