// Parsed templates by name and text, for the engine: shops of one platform
// mostly send the platform's templates, and parsing is most of compiling a
// campaign (0.1 ms for the reference templates against 0.016 ms to bind a
// parsed one), paid per campaign when ten thousand shops each send a small
// one. The name is part of the key: errors found when binding carry it.
//
// Bounded by entries and by bytes (a template may be up to 256 KiB,
// template.h): the least recently used goes first. An entry is counted as
// three times its name and text (the key, the source kept for errors, the
// literals of the parse). A template that does not parse is not kept; its
// error comes back each time.
//
// Thread-safety: all members may be called from any thread.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/status.h"
#include "render/template.h"

namespace tayori::render {

class TemplateCache {
 public:
  static constexpr size_t kDefaultCapacity = 256;
  static constexpr size_t kDefaultMaxBytes = 64u << 20;
  explicit TemplateCache(size_t capacity = kDefaultCapacity, size_t max_bytes = kDefaultMaxBytes);
  TemplateCache(const TemplateCache&) = delete;
  TemplateCache& operator=(const TemplateCache&) = delete;

  // The parse of `source`, parsing it only on the first request (or after
  // it was dropped).
  Result<std::shared_ptr<const ParsedTemplate>> Parse(const TemplateSource& source);

  struct Stats {
    uint64_t hits = 0;
    uint64_t misses = 0;  // parses, including those that failed
    size_t size = 0;
    size_t bytes = 0;  // as counted against max_bytes
  };
  Stats stats() const;

 private:
  struct Entry {
    std::string key;  // name NUL text
    std::shared_ptr<const ParsedTemplate> parsed;
  };
  static size_t Weight(const std::string& key) { return 3 * key.size(); }

  const size_t capacity_;
  const size_t max_bytes_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // front = most recently used
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;  // views of Entry::key
  Stats stats_;
};

}  // namespace tayori::render
