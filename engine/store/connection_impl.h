// Connection's private state, shared by connection.cpp (text protocol) and
// prepared.cpp (prepared statements). Store-internal.
#pragma once

#include <mysql.h>

#include <string>
#include <unordered_map>

#include "store/connection.h"

namespace tayori::store {

struct Connection::Impl {
  MYSQL* mysql = nullptr;
  // Prepared statements by their SQL text. A handle belongs to this
  // session: a new Connection (a reconnect) prepares afresh.
  std::unordered_map<std::string, MYSQL_STMT*> statements;

  void ForgetStatements() {
    for (auto& [sql, stmt] : statements) mysql_stmt_close(stmt);
    statements.clear();
  }
  ~Impl() {
    ForgetStatements();
    if (mysql) mysql_close(mysql);
  }
};

// Whether a server error says nothing about the statement itself (the
// server went away, a deadlock, a failover): callers retry those.
bool IsTransientServerError(unsigned err);

}  // namespace tayori::store
