#include "crypto/key_cache.h"

#include "crypto/primitives.h"

namespace tayori::crypto {

KeyCache::KeyCache(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

Result<std::shared_ptr<const PrivateKey>> KeyCache::Get(std::string_view pem) { return Get(pem, std::nullopt); }

Result<std::shared_ptr<const PrivateKey>> KeyCache::Get(std::string_view pem, KeyType expected) {
  return Get(pem, std::optional<KeyType>(expected));
}

Result<std::shared_ptr<const PrivateKey>> KeyCache::Get(std::string_view pem, std::optional<KeyType> expected) {
  std::string digest(crypto::AsBytes(crypto::Sha256(pem)));
  {
    std::lock_guard lock(mu_);
    auto it = index_.find(digest);
    if (it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      ++stats_.hits;
      // A hit answers as a parse would: a key of another type is refused.
      const auto& key = it->second->second;
      if (expected && key->type() != *expected) return KeyTypeMismatch(key->type(), *expected);
      return key;
    }
  }
  // Parse outside the lock: other threads keep signing with cached keys
  // meanwhile. Two threads may parse the same new key at once; the first to
  // insert wins and both return that one.
  auto parsed = expected ? PrivateKey::FromPem(pem, *expected) : PrivateKey::FromPem(pem);
  if (!parsed.ok()) return parsed.status();
  std::lock_guard lock(mu_);
  ++stats_.misses;
  auto it = index_.find(digest);
  if (it != index_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->second;
  }
  InsertLocked(std::move(digest), *parsed);
  return std::move(parsed).value();
}

void KeyCache::InsertLocked(std::string digest, std::shared_ptr<const PrivateKey> key) {
  lru_.emplace_front(digest, std::move(key));
  index_.emplace(std::move(digest), lru_.begin());
  while (lru_.size() > capacity_) {
    index_.erase(lru_.back().first);
    lru_.pop_back();
    ++stats_.evictions;
  }
}

KeyCache::Stats KeyCache::stats() const {
  std::lock_guard lock(mu_);
  Stats s = stats_;
  s.size = lru_.size();
  return s;
}

}  // namespace tayori::crypto
