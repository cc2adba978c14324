// The values of a prepared statement: a Param for each '?' placeholder,
// bound by type (never spliced into the SQL text, so no value can change
// what the statement does), and the typed rows it returns through the
// binary protocol. Store-internal vocabulary; callers above store/ see
// only the row structs of the query headers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tayori::store {

// A Param made from a string_view, a const char* or an lvalue std::string
// refers to the caller's characters, which must outlive the statement call
// it is passed to (a temporary in the call's own expression does); one made
// from an rvalue std::string owns its copy.
class Param {
 public:
  enum class Type { kNull, kInt, kUint, kDouble, kText, kBytes };

  Param(std::nullptr_t) : type_(Type::kNull) {}        // NOLINT: implicit by design, as are the others
  Param(bool v) : type_(Type::kInt), int_(v ? 1 : 0) {}  // NOLINT
  Param(int v) : type_(Type::kInt), int_(v) {}           // NOLINT
  Param(long v) : type_(Type::kInt), int_(v) {}          // NOLINT
  Param(long long v) : type_(Type::kInt), int_(v) {}     // NOLINT
  Param(unsigned v) : type_(Type::kUint), uint_(v) {}    // NOLINT
  Param(unsigned long v) : type_(Type::kUint), uint_(v) {}       // NOLINT
  Param(unsigned long long v) : type_(Type::kUint), uint_(v) {}  // NOLINT
  Param(double v) : type_(Type::kDouble), double_(v) {}  // NOLINT
  Param(const char* v) : type_(Type::kText), view_(v) {}  // NOLINT
  Param(std::string_view v) : type_(Type::kText), view_(v) {}  // NOLINT
  Param(const std::string& v) : type_(Type::kText), view_(v) {}  // NOLINT
  Param(std::string&& v) : type_(Type::kText), owned_(std::move(v)), owns_(true) {}  // NOLINT
  template <typename T>
  Param(const std::optional<T>& v) : Param(v ? Param(*v) : Param(nullptr)) {}  // NOLINT: nullopt is NULL

  // Bytes for a BLOB/VARBINARY column: sent as binary, no charset applies.
  static Param Bytes(std::string_view v) {
    Param p(v);
    p.type_ = Type::kBytes;
    return p;
  }

  Type type() const { return type_; }
  int64_t int_value() const { return int_; }
  uint64_t uint_value() const { return uint_; }
  double double_value() const { return double_; }
  std::string_view text() const { return owns_ ? std::string_view(owned_) : view_; }

 private:
  Type type_;
  int64_t int_ = 0;
  uint64_t uint_ = 0;
  double double_ = 0;
  std::string_view view_;
  std::string owned_;
  bool owns_ = false;
};

// One row of a prepared statement's result. Each column is read as what the
// server sent: integers (also DECIMAL without a fraction: COUNT, SUM) by
// U64/I64/Int/Bool, floating point by Double, everything else (text, BLOB,
// ENUM, DATETIME as "YYYY-MM-DD hh:mm:ss[.ffffff]") by Str. NULL is never
// read silently: IsNull or the Opt accessors say so, and the plain ones crash
// on it, as on a column read as the wrong kind or a negative U64 — each is a
// mistake in the store's own SQL, not a condition to handle.
class Row {
 public:
  size_t size() const { return cells_.size(); }
  bool IsNull(size_t i) const;
  uint64_t U64(size_t i) const;
  int64_t I64(size_t i) const;
  int Int(size_t i) const;
  bool Bool(size_t i) const;
  double Double(size_t i) const;
  const std::string& Str(size_t i) const;
  std::optional<uint64_t> OptU64(size_t i) const;
  std::optional<int64_t> OptI64(size_t i) const;
  std::optional<std::string> OptStr(size_t i) const;

 private:
  friend struct RowBuilder;  // prepared.cpp fills rows
  enum class Kind { kNull, kInt, kUint, kDouble, kText };
  struct Cell {
    Kind kind = Kind::kNull;
    int64_t i = 0;
    uint64_t u = 0;
    double d = 0;
    std::string s;
  };
  const Cell& At(size_t i, const char* as) const;
  std::vector<Cell> cells_;
};

struct Table {
  std::vector<std::string> columns;
  std::vector<Row> rows;
  size_t size() const { return rows.size(); }
  bool empty() const { return rows.empty(); }
};

}  // namespace tayori::store
