// Internal to engine/crypto: RAII owners for OpenSSL objects and the one place
// that turns OpenSSL's error queue into a Status. Not installed as part of the
// module's public API; only crypto/*.cpp include it.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>

#include <memory>
#include <string>

#include "base/status.h"

namespace tayori::crypto::internal {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

// "what: <first OpenSSL error reason>" and clears the thread's error queue,
// so a later call does not report a stale error.
std::string OpenSslError(const char* what);

// SHA-256 fetched once from the default provider. OpenSSL 3 otherwise does an
// implicit fetch (a locked lookup) on every EVP_DigestInit with EVP_sha256().
const EVP_MD* Sha256Md();

}  // namespace tayori::crypto::internal
