// Multi-row statements as prepared statements (store-internal). A statement
// with a group of placeholders per row is prepared once per row count, so
// only a few row counts are used, each a power of two:
//  - a write splits its rows into such chunks (ForEachChunk), so every row
//    is written once, in at most one statement per set bit of the count;
//  - a read's IN list is rounded up to one (InList), the last id repeated.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/statement.h"

namespace tayori::store {

// Within MariaDB's 65,535 placeholders for the widest row (12 values).
inline constexpr size_t kMaxBatchRows = 1024;

// The bucket for `n` rows (1 <= n <= kMaxBatchRows): the next power of two,
// at least 8.
inline size_t BatchRows(size_t n) {
  size_t rows = 8;
  while (rows < n) rows *= 2;
  return rows;
}

// Calls `write(start, rows)` for consecutive chunks of `n` rows, each a
// power of two and at most kMaxBatchRows, largest first; stops at the first
// error. Exact, so a write-back's row counts say what was written.
template <typename Write>
Status ForEachChunk(size_t n, Write&& write) {
  size_t start = 0;
  while (start < n) {
    size_t rows = std::min(kMaxBatchRows, std::bit_floor(n - start));
    TAYORI_RETURN_IF_ERROR(write(start, rows));
    start += rows;
  }
  return Status::Ok();
}

// `rows` copies of `group` ("(?, ?)") joined by ", ".
inline std::string RepeatGroup(std::string_view group, size_t rows) {
  std::string out;
  out.reserve(rows * (group.size() + 2));
  for (size_t i = 0; i < rows; ++i) {
    if (i) out += ", ";
    out += group;
  }
  return out;
}

// "?, ?, …" for an IN list of `ids` (not empty), bucketed like the rows
// above, the ids (the last one repeated to fill) appended to `params`.
inline std::string InList(const std::vector<uint64_t>& ids, std::vector<Param>& params) {
  size_t n = BatchRows(ids.size());
  for (size_t i = 0; i < n; ++i) params.emplace_back(ids[i < ids.size() ? i : ids.size() - 1]);
  return RepeatGroup("?", n);
}

}  // namespace tayori::store
