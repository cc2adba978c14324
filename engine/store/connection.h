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

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "config/config.h"

namespace tayori::store {

// One result set, every value as text (NULL as nullopt), as the text protocol
// delivers it.
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
  uint64_t last_insert_id() const;
  uint64_t affected_rows() const { return affected_rows_; }

  // SQL string literal, quoted and escaped for this connection's charset.
  std::string Quote(const std::string& value);

  // "host:port/db" or "socket/db", for messages (never the password).
  const std::string& describe() const { return describe_; }

 private:
  struct Impl;
  explicit Connection(std::unique_ptr<Impl> impl, std::string describe);
  Status Error(const std::string& what);

  std::unique_ptr<Impl> impl_;
  std::string describe_;
  uint64_t affected_rows_ = 0;
};

}  // namespace tayori::store
