// Multi-row statements as prepared statements (store-internal). A statement
// with a group of placeholders per row is prepared once per row count, so
// counts are rounded up to a few buckets and the last row repeated to fill
// one (the statements that use this ignore a repeated key: INSERT IGNORE,
// ON DUPLICATE KEY, IN lists). Longer inputs go in chunks of kMaxBatchRows.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

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
