// KeyCache: parsed private keys shared across messages and threads.
//
// Thousands of shop domains sign through one process; parsing a PEM key costs
// far more than a signature's hashing, so each key is parsed once and the
// EVP_PKEY reused. Entries are keyed by the SHA-256 of the PEM text, so a
// rotated key (new PEM) is a new entry and the old one ages out.
//
// Thread-safe: any number of threads may call Get() concurrently. The cache
// is bounded (least recently used entries are evicted); an evicted key stays
// alive for as long as a caller (e.g. a Signer) still holds it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/status.h"
#include "crypto/key.h"

namespace tayori::crypto {

class KeyCache {
 public:
  static constexpr size_t kDefaultCapacity = 4096;

  // capacity >= 1 (0 is treated as 1).
  explicit KeyCache(size_t capacity = kDefaultCapacity);
  KeyCache(const KeyCache&) = delete;
  KeyCache& operator=(const KeyCache&) = delete;

  // The parsed key for this PEM text, parsing it only on the first request
  // (or after eviction). A PEM that does not parse is not cached; the error is
  // returned each time.
  Result<std::shared_ptr<const PrivateKey>> Get(std::string_view pem);
  // The same for a key of a known type (PrivateKey::FromPem(pem, expected)).
  Result<std::shared_ptr<const PrivateKey>> Get(std::string_view pem, KeyType expected);

  struct Stats {
    uint64_t hits = 0;
    uint64_t misses = 0;  // parses
    uint64_t evictions = 0;
    size_t size = 0;
  };
  Stats stats() const;
  size_t capacity() const { return capacity_; }

 private:
  using Entry = std::pair<std::string, std::shared_ptr<const PrivateKey>>;  // digest, key
  Result<std::shared_ptr<const PrivateKey>> Get(std::string_view pem, std::optional<KeyType> expected);
  void InsertLocked(std::string digest, std::shared_ptr<const PrivateKey> key);

  const size_t capacity_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // front = most recently used
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  Stats stats_;
};

}  // namespace tayori::crypto
