// The ByteSink the canonicalizers write into, and the SHA-256 sink (the only
// hash DKIM still allows: RFC 8301 §3.1) over crypto's incremental SHA-256.
// Hashing in pieces means a message is never copied into a canonical form
// before it is hashed.
#pragma once

#include <string_view>

#include "crypto/sha256_stream.h"

namespace tayori::dkim {

// Receives canonicalized bytes. Implementations decide what to do with them
// (hash them, collect them for a test, count them).
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual void Write(std::string_view bytes) = 0;
};

// One SHA-256 computation at a time; Reset() starts the next one and reuses
// the OpenSSL context (no allocation per message). Not thread-safe: one per
// thread or per call.
class Sha256Hasher final : public ByteSink {
 public:
  void Reset() { stream_.Reset(); }
  void Write(std::string_view bytes) override { stream_.Write(bytes); }
  // Returns the digest; the hasher must be Reset() before further use.
  crypto::Sha256Digest Finish() { return stream_.Finish(); }

 private:
  crypto::Sha256Stream stream_;
};

// Collects everything written; for tests and for small header data.
class StringSink final : public ByteSink {
 public:
  void Write(std::string_view bytes) override { data_.append(bytes); }
  const std::string& data() const { return data_; }

 private:
  std::string data_;
};

}  // namespace tayori::dkim
