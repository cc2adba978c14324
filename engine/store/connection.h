// Module store/: every SQL statement: the connection, transactions, migrations and one file of
// queries per entity; DbWorker runs them off the loop thread; the only includer of the MariaDB
// client library; rows carry scheduler/'s typed states. May include: base/, config/, loop/,
// scheduler/ (its links in CMakeLists.txt, and what they link publicly; scripts/check-layering
// checks both).
//
// A blocking MySQL/MariaDB connection (MariaDB Connector/C). Only this module
// includes <mysql.h>. A Connection belongs to one thread at a time; the engine
// runs all database work on threads of its own, never on the loop thread.
#pragma once

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "config/config.h"
#include "store/statement.h"

namespace tayori::store {

// One result set, every value as text (NULL as nullopt), as the text protocol
// delivers it: for migrations and tests; the store's queries read typed rows
// (Select).
struct Rows {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
  size_t size() const { return rows.size(); }
};

class Connection {
 public:
  // Connects with the [database] settings; `password` comes from the caller
  // (config::ResolveSecret), never from the file. Failures are transient.
  static Result<std::unique_ptr<Connection>> Open(const config::Database& db, const std::string& password);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one statement, or several separated by ';' (multi-statements are
  // enabled for migrations). Errors name the server's code and message;
  // connection loss, deadlocks and lock wait timeouts are transient.
  Status Execute(const std::string& sql);
  // Runs one statement and returns its result set.
  Result<Rows> Query(const std::string& sql);

  // Prepared statements: `sql` holds a '?' for each value, `params` the
  // values in order, bound by type. Each SQL text is prepared once per
  // connection and reused (a hot statement costs one round trip; the cache
  // is bounded, see prepared.cpp), and prepared again when the server asks
  // (ER_NEED_REPREPARE after a table changed). Errors are classified as
  // Execute's are.
  Status Run(std::string_view sql, std::initializer_list<Param> params = {});
  Status Run(std::string_view sql, const std::vector<Param>& params);
  // The same for a statement with a result set, read typed (store::Row).
  // With nothing to bind, both run as plain text statements (one round
  // trip, nothing kept), the rows typed by their columns' types.
  Result<Table> Select(std::string_view sql, std::initializer_list<Param> params = {});
  Result<Table> Select(std::string_view sql, const std::vector<Param>& params);

  // Of the last statement, whichever way it ran.
  uint64_t last_insert_id() const { return last_insert_id_; }
  uint64_t affected_rows() const { return affected_rows_; }
  // How many statements are prepared on this session (for tests).
  size_t prepared_statements() const;

  // "host:port/db" or "socket/db", for messages (never the password).
  const std::string& describe() const { return describe_; }

 private:
  struct Impl;
  explicit Connection(std::unique_ptr<Impl> impl, std::string describe);
  Status Error(const std::string& what);
  Status Prepared(std::string_view sql, const Param* params, size_t n, Table* out);
  Result<Table> SelectText(std::string_view sql);

  std::unique_ptr<Impl> impl_;
  std::string describe_;
  uint64_t affected_rows_ = 0;
  uint64_t last_insert_id_ = 0;
};

}  // namespace tayori::store
