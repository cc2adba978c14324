#include "crypto/openssl_util.h"

#include <openssl/err.h>

#include <cstdlib>

namespace tayori::crypto::internal {

std::string OpenSslError(const char* what) {
  std::string out = what;
  unsigned long code = ERR_get_error();
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    out += ": ";
    out += buf;
  }
  ERR_clear_error();
  return out;
}

const EVP_MD* Sha256Md() {
  // Fetched objects are reference counted and thread-safe to share; this one
  // lives for the whole process.
  static const EVP_MD* md = [] {
    EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (m == nullptr) std::abort();  // no default provider: nothing can be signed
    return m;
  }();
  return md;
}

}  // namespace tayori::crypto::internal
