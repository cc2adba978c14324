// Incremental SHA-256: a message is hashed in pieces as it is produced, never
// copied whole first. Reset() starts the next computation and reuses the
// OpenSSL context (no allocation per message). Not thread-safe: one per
// thread or per call.
#pragma once

#include <string_view>

#include "crypto/primitives.h"

struct evp_md_ctx_st;

namespace tayori::crypto {

class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;

  void Reset();
  void Write(std::string_view bytes);
  // Returns the digest; the stream must be Reset() before further use.
  Sha256Digest Finish();

 private:
  evp_md_ctx_st* ctx_;
};

}  // namespace tayori::crypto
