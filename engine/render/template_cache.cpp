#include "render/template_cache.h"

#include <algorithm>

namespace tayori::render {

TemplateCache::TemplateCache(size_t capacity, size_t max_bytes)
    : capacity_(std::max<size_t>(1, capacity)), max_bytes_(max_bytes) {}

Result<std::shared_ptr<const ParsedTemplate>> TemplateCache::Parse(const TemplateSource& source) {
  std::string key = source.name;
  key += '\0';
  key += source.text;
  {
    std::lock_guard lock(mu_);
    if (auto it = index_.find(key); it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      ++stats_.hits;
      return it->second->parsed;
    }
    ++stats_.misses;
  }
  // Parsed outside the lock; two threads may parse the same text at once,
  // and the second insert finds the first.
  TAYORI_ASSIGN_OR_RETURN(auto parsed, ParseTemplate(source));
  std::lock_guard lock(mu_);
  if (index_.contains(key)) return parsed;
  // A template heavier than the whole budget is parsed but not kept.
  if (Weight(key) > max_bytes_) return parsed;
  stats_.bytes += Weight(key);
  lru_.push_front(Entry{std::move(key), parsed});
  index_.emplace(std::string_view(lru_.front().key), lru_.begin());
  while (lru_.size() > capacity_ || stats_.bytes > max_bytes_) {
    stats_.bytes -= Weight(lru_.back().key);
    index_.erase(std::string_view(lru_.back().key));
    lru_.pop_back();
  }
  return parsed;
}

TemplateCache::Stats TemplateCache::stats() const {
  std::lock_guard lock(mu_);
  Stats s = stats_;
  s.size = lru_.size();
  return s;
}

}  // namespace tayori::render
