// Prepared statements on MariaDB Connector/C (mysql_stmt_*): values bound by
// type, results read through the binary protocol into typed rows.
#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include <charconv>
#include <cstdlib>
#include <limits>

#include "base/log.h"
#include "store/connection.h"
#include "store/connection_impl.h"

namespace tayori::store {
namespace {

// Statements kept per session. The store has a few dozen distinct texts
// (a multi-row insert counts once per row-count bucket); past the bound the
// cache starts over rather than keep what a burst of one-off texts left.
constexpr size_t kMaxStatements = 128;

// A text column's first fetch buffer; longer values are fetched again
// whole (mysql_stmt_fetch_column) once their length is known.
constexpr unsigned long kTextBuffer = 256;

[[noreturn]] void Misread(size_t i, const char* as, const char* what) {
  log::Error("store", "column " + std::to_string(i) + " read as " + as + ": " + what);
  std::abort();
}

bool IsIntegerField(const MYSQL_FIELD& f) {
  switch (f.type) {
    case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_LONGLONG:
    case MYSQL_TYPE_YEAR:
      return true;
    case MYSQL_TYPE_DECIMAL:
    case MYSQL_TYPE_NEWDECIMAL:
      return f.decimals == 0;  // COUNT over a union, SUM of integers
    default:
      return false;
  }
}

bool IsFloatField(const MYSQL_FIELD& f) {
  return f.type == MYSQL_TYPE_FLOAT || f.type == MYSQL_TYPE_DOUBLE || f.type == MYSQL_TYPE_DECIMAL ||
         f.type == MYSQL_TYPE_NEWDECIMAL;  // with a fraction (integers matched above)
}

// Where one result column lands while rows are fetched.
struct Column {
  bool integer = false, floating = false, is_unsigned = false;
  long long i = 0;
  double d = 0;
  std::string buf;
  unsigned long length = 0;
  my_bool is_null = 0;
  my_bool error = 0;
};

}  // namespace

// Fills rows: from an executed statement's binary result, or from the text
// protocol's values (a statement with nothing to bind) by the column types.
struct RowBuilder {
  static Status FromText(const MYSQL_FIELD& f, const char* data, unsigned long length, Row::Cell& cell);
  static Status FromTextRow(const MYSQL_FIELD* fields, MYSQL_ROW row, const unsigned long* lengths, unsigned n,
                            Row& out) {
    out.cells_.resize(n);
    for (unsigned i = 0; i < n; ++i) TAYORI_RETURN_IF_ERROR(FromText(fields[i], row[i], lengths[i], out.cells_[i]));
    return Status::Ok();
  }

  static Status Read(MYSQL_STMT* stmt, MYSQL_RES* meta, Table* out) {
    unsigned nf = mysql_num_fields(meta);
    MYSQL_FIELD* fields = mysql_fetch_fields(meta);
    std::vector<Column> cols(nf);
    std::vector<MYSQL_BIND> binds(nf);
    out->columns.clear();
    for (unsigned i = 0; i < nf; ++i) {
      out->columns.emplace_back(fields[i].name);
      Column& c = cols[i];
      MYSQL_BIND& b = binds[i];
      b.is_null = &c.is_null;
      b.error = &c.error;
      b.length = &c.length;
      if (IsIntegerField(fields[i])) {
        c.integer = true;
        // A DECIMAL column of integers is signed; its fetch converts.
        c.is_unsigned = (fields[i].flags & UNSIGNED_FLAG) && fields[i].type != MYSQL_TYPE_NEWDECIMAL &&
                        fields[i].type != MYSQL_TYPE_DECIMAL;
        b.buffer_type = MYSQL_TYPE_LONGLONG;
        b.buffer = &c.i;
        b.is_unsigned = c.is_unsigned;
      } else if (IsFloatField(fields[i])) {
        c.floating = true;
        b.buffer_type = MYSQL_TYPE_DOUBLE;
        b.buffer = &c.d;
      } else {
        c.buf.resize(kTextBuffer);
        b.buffer_type = MYSQL_TYPE_STRING;
        b.buffer = c.buf.data();
        b.buffer_length = c.buf.size();
      }
    }
    if (mysql_stmt_bind_result(stmt, binds.data()) != 0 || mysql_stmt_store_result(stmt) != 0)
      return Internal(std::string("reading a result: ") + mysql_stmt_error(stmt));
    out->rows.reserve(mysql_stmt_num_rows(stmt));
    for (;;) {
      int rc = mysql_stmt_fetch(stmt);
      if (rc == MYSQL_NO_DATA) break;
      if (rc == 1) {
        unsigned err = mysql_stmt_errno(stmt);
        std::string msg = std::string("reading a result: ") + mysql_stmt_error(stmt) + " (" + std::to_string(err) + ")";
        return IsTransientServerError(err) ? Transient(msg) : Internal(msg);
      }
      Row& row = out->rows.emplace_back();
      row.cells_.resize(nf);
      for (unsigned i = 0; i < nf; ++i) {
        Column& c = cols[i];
        Row::Cell& cell = row.cells_[i];
        if (c.is_null) continue;  // kNull
        if (c.integer || c.floating) {
          if (c.error) return Internal("reading a result: column " + out->columns[i] + " does not fit its type");
          if (c.floating) {
            cell.kind = Row::Kind::kDouble;
            cell.d = c.d;
          } else if (c.is_unsigned) {
            cell.kind = Row::Kind::kUint;
            cell.u = static_cast<uint64_t>(c.i);
          } else {
            cell.kind = Row::Kind::kInt;
            cell.i = c.i;
          }
          continue;
        }
        cell.kind = Row::Kind::kText;
        if (c.length <= c.buf.size()) {
          cell.s.assign(c.buf.data(), c.length);
          continue;
        }
        // Longer than the first buffer: fetch the whole value now.
        cell.s.resize(c.length);
        MYSQL_BIND whole{};
        unsigned long got = 0;
        whole.buffer_type = MYSQL_TYPE_STRING;
        whole.buffer = cell.s.data();
        whole.buffer_length = c.length;
        whole.length = &got;
        if (mysql_stmt_fetch_column(stmt, &whole, i, 0) != 0)
          return Internal(std::string("reading a result: ") + mysql_stmt_error(stmt));
      }
    }
    return Status::Ok();
  }
};

Status RowBuilder::FromText(const MYSQL_FIELD& f, const char* data, unsigned long length, Row::Cell& cell) {
  if (!data) return Status::Ok();  // NULL
  std::string_view text(data, length);
  auto parse_error = [&]() { return Internal(std::string("column ") + f.name + ": cannot read '" + std::string(text) +
                                             "' as its type"); };
  if (IsIntegerField(f)) {
    const char* end = data + length;
    bool is_unsigned = (f.flags & UNSIGNED_FLAG) && f.type != MYSQL_TYPE_NEWDECIMAL && f.type != MYSQL_TYPE_DECIMAL;
    std::from_chars_result r;
    if (is_unsigned) {
      cell.kind = Row::Kind::kUint;
      r = std::from_chars(data, end, cell.u);
    } else {
      cell.kind = Row::Kind::kInt;
      r = std::from_chars(data, end, cell.i);
    }
    if (r.ec != std::errc() || r.ptr != end) return parse_error();
    return Status::Ok();
  }
  if (IsFloatField(f)) {
    cell.kind = Row::Kind::kDouble;
    auto r = std::from_chars(data, data + length, cell.d);
    if (r.ec != std::errc() || r.ptr != data + length) return parse_error();
    return Status::Ok();
  }
  cell.kind = Row::Kind::kText;
  cell.s.assign(data, length);
  return Status::Ok();
}

Result<Table> Connection::SelectText(std::string_view sql) {
  std::string text(sql);
  if (mysql_real_query(impl_->mysql, text.data(), text.size()) != 0) return Error("query failed on " + describe_);
  MYSQL_RES* res = mysql_store_result(impl_->mysql);
  Table out;
  if (!res) {
    if (mysql_field_count(impl_->mysql) != 0) return Error("reading result from " + describe_);
    affected_rows_ = mysql_affected_rows(impl_->mysql);
    last_insert_id_ = mysql_insert_id(impl_->mysql);
    return out;
  }
  unsigned n = mysql_num_fields(res);
  MYSQL_FIELD* fields = mysql_fetch_fields(res);
  for (unsigned i = 0; i < n; ++i) out.columns.emplace_back(fields[i].name);
  out.rows.reserve(mysql_num_rows(res));
  Status st;
  while (MYSQL_ROW row = mysql_fetch_row(res)) {
    unsigned long* lengths = mysql_fetch_lengths(res);
    st = RowBuilder::FromTextRow(fields, row, lengths, n, out.rows.emplace_back());
    if (!st.ok()) break;
  }
  mysql_free_result(res);
  while (mysql_next_result(impl_->mysql) == 0) {
    if (MYSQL_RES* extra = mysql_store_result(impl_->mysql)) mysql_free_result(extra);
  }
  if (!st.ok()) return st;
  return out;
}

const Row::Cell& Row::At(size_t i, const char* as) const {
  if (i >= cells_.size()) Misread(i, as, "no such column");
  return cells_[i];
}

bool Row::IsNull(size_t i) const { return At(i, "null check").kind == Kind::kNull; }

std::optional<uint64_t> Row::OptU64(size_t i) const {
  const Cell& c = At(i, "U64");
  switch (c.kind) {
    case Kind::kNull: return std::nullopt;
    case Kind::kUint: return c.u;
    case Kind::kInt:
      if (c.i < 0) Misread(i, "U64", "negative value");
      return static_cast<uint64_t>(c.i);
    default: Misread(i, "U64", "not an integer column");
  }
}

std::optional<int64_t> Row::OptI64(size_t i) const {
  const Cell& c = At(i, "I64");
  switch (c.kind) {
    case Kind::kNull: return std::nullopt;
    case Kind::kInt: return c.i;
    case Kind::kUint:
      if (c.u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) Misread(i, "I64", "out of range");
      return static_cast<int64_t>(c.u);
    default: Misread(i, "I64", "not an integer column");
  }
}

std::optional<std::string> Row::OptStr(size_t i) const {
  const Cell& c = At(i, "Str");
  if (c.kind == Kind::kNull) return std::nullopt;
  if (c.kind != Kind::kText) Misread(i, "Str", "not a text column");
  return c.s;
}

uint64_t Row::U64(size_t i) const {
  auto v = OptU64(i);
  if (!v) Misread(i, "U64", "NULL");
  return *v;
}

int64_t Row::I64(size_t i) const {
  auto v = OptI64(i);
  if (!v) Misread(i, "I64", "NULL");
  return *v;
}

int Row::Int(size_t i) const {
  int64_t v = I64(i);
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) Misread(i, "Int", "out of range");
  return static_cast<int>(v);
}

bool Row::Bool(size_t i) const { return I64(i) != 0; }

double Row::Double(size_t i) const {
  const Cell& c = At(i, "Double");
  switch (c.kind) {
    case Kind::kDouble: return c.d;
    case Kind::kInt: return static_cast<double>(c.i);
    case Kind::kUint: return static_cast<double>(c.u);
    case Kind::kNull: Misread(i, "Double", "NULL");
    default: Misread(i, "Double", "not a numeric column");
  }
}

const std::string& Row::Str(size_t i) const {
  const Cell& c = At(i, "Str");
  if (c.kind == Kind::kNull) Misread(i, "Str", "NULL");
  if (c.kind != Kind::kText) Misread(i, "Str", "not a text column");
  return c.s;
}

Status Connection::Run(std::string_view sql, std::initializer_list<Param> params) {
  if (params.size() == 0) return Execute(std::string(sql));
  return Prepared(sql, params.begin(), params.size(), nullptr);
}

Status Connection::Run(std::string_view sql, const std::vector<Param>& params) {
  if (params.empty()) return Execute(std::string(sql));
  return Prepared(sql, params.data(), params.size(), nullptr);
}

Result<Table> Connection::Select(std::string_view sql, std::initializer_list<Param> params) {
  if (params.size() == 0) return SelectText(sql);
  Table out;
  TAYORI_RETURN_IF_ERROR(Prepared(sql, params.begin(), params.size(), &out));
  return out;
}

Result<Table> Connection::Select(std::string_view sql, const std::vector<Param>& params) {
  if (params.empty()) return SelectText(sql);
  Table out;
  TAYORI_RETURN_IF_ERROR(Prepared(sql, params.data(), params.size(), &out));
  return out;
}

size_t Connection::prepared_statements() const { return impl_->statements.size(); }

Status Connection::Prepared(std::string_view sql, const Param* params, size_t n, Table* out) {
  // The statement as errors name it: its start is enough to find it.
  auto what = [&](const char* doing) {
    return std::string(doing) + " '" + std::string(sql.substr(0, 60)) + (sql.size() > 60 ? "…" : "") + "' on " +
           describe_;
  };
  auto stmt_error = [&](MYSQL_STMT* stmt, const char* doing) -> Status {
    unsigned err = mysql_stmt_errno(stmt);
    std::string msg = what(doing) + ": " + mysql_stmt_error(stmt) + " (" + std::to_string(err) + ")";
    if (IsTransientServerError(err)) return Transient(msg);
    return Internal(msg);
  };
  auto forget = [&](const std::string& key) {
    auto it = impl_->statements.find(key);
    if (it == impl_->statements.end()) return;
    mysql_stmt_close(it->second);
    impl_->statements.erase(it);
  };

  std::string key(sql);
  for (int attempt = 0;; ++attempt) {
    MYSQL_STMT* stmt = nullptr;
    if (auto it = impl_->statements.find(key); it != impl_->statements.end()) {
      stmt = it->second;
    } else {
      if (impl_->statements.size() >= kMaxStatements) impl_->ForgetStatements();
      stmt = mysql_stmt_init(impl_->mysql);
      if (!stmt) return Internal("mysql_stmt_init failed: out of memory");
      if (mysql_stmt_prepare(stmt, sql.data(), sql.size()) != 0) {
        Status st = stmt_error(stmt, "preparing");
        mysql_stmt_close(stmt);
        return st;
      }
      impl_->statements.emplace(key, stmt);
    }
    if (mysql_stmt_param_count(stmt) != n)
      return Internal(what("binding") + ": " + std::to_string(mysql_stmt_param_count(stmt)) + " placeholders, " +
                      std::to_string(n) + " values");

    // Numbers are copied next to their binds; text points at the caller's
    // characters (alive for this call).
    std::vector<MYSQL_BIND> binds(n);
    std::vector<long long> ints(n);
    std::vector<double> doubles(n);
    std::vector<unsigned long> lengths(n);
    for (size_t i = 0; i < n; ++i) {
      MYSQL_BIND& b = binds[i];
      const Param& p = params[i];
      switch (p.type()) {
        case Param::Type::kNull:
          b.buffer_type = MYSQL_TYPE_NULL;
          break;
        case Param::Type::kInt:
          ints[i] = p.int_value();
          b.buffer_type = MYSQL_TYPE_LONGLONG;
          b.buffer = &ints[i];
          break;
        case Param::Type::kUint:
          ints[i] = static_cast<long long>(p.uint_value());
          b.buffer_type = MYSQL_TYPE_LONGLONG;
          b.buffer = &ints[i];
          b.is_unsigned = 1;
          break;
        case Param::Type::kDouble:
          doubles[i] = p.double_value();
          b.buffer_type = MYSQL_TYPE_DOUBLE;
          b.buffer = &doubles[i];
          break;
        case Param::Type::kText:
        case Param::Type::kBytes: {
          std::string_view t = p.text();
          // Text goes as a string in the connection's utf8mb4; bytes as a
          // BLOB, which the server stores as they are.
          b.buffer_type = p.type() == Param::Type::kText ? MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
          b.buffer = const_cast<char*>(t.empty() ? "" : t.data());
          b.buffer_length = t.size();
          lengths[i] = t.size();
          b.length = &lengths[i];
          break;
        }
      }
    }
    if (n > 0 && mysql_stmt_bind_param(stmt, binds.data()) != 0) return stmt_error(stmt, "binding");
    if (mysql_stmt_execute(stmt) != 0) {
      unsigned err = mysql_stmt_errno(stmt);
      // A table the statement uses changed: the server asks for it to be
      // prepared again, or (having done so itself) returns a result of
      // other columns than the handle knows. Prepared again, and run again
      // once — only a statement with a result set meets the second, and a
      // read is safe to repeat.
      if ((err == ER_NEED_REPREPARE || err == CR_NEW_STMT_METADATA) && attempt == 0) {
        forget(key);
        continue;
      }
      Status st = stmt_error(stmt, "running");
      // A client-side error (the connection failed) leaves the handle of no
      // use; a server error (a duplicate key) leaves it ready for the next run.
      if (err >= CR_MIN_ERROR && err <= CR_MAX_ERROR) forget(key);
      return st;
    }
    affected_rows_ = mysql_stmt_affected_rows(stmt);
    last_insert_id_ = mysql_stmt_insert_id(stmt);
    MYSQL_RES* meta = mysql_stmt_result_metadata(stmt);
    if (!meta) {
      if (out) out->columns.clear();
      return Status::Ok();
    }
    Status st = out ? RowBuilder::Read(stmt, meta, out) : Status::Ok();
    if (!out && mysql_stmt_store_result(stmt) != 0) st = stmt_error(stmt, "reading the result of");
    mysql_free_result(meta);
    mysql_stmt_free_result(stmt);
    if (!st.ok()) {
      forget(key);
      return st;
    }
    return Status::Ok();
  }
}

}  // namespace tayori::store
