// Reading values out of text-protocol rows (store-internal): NULL reads as 0
// or "". One definition for every query file of this module.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace tayori::store {

inline uint64_t U64(const std::optional<std::string>& v) { return v ? std::stoull(*v) : 0; }
inline std::string Str(const std::optional<std::string>& v) { return v.value_or(""); }

}  // namespace tayori::store
