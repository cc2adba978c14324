#include "store/connection.h"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include "store/connection_impl.h"

namespace tayori::store {

Connection::Connection(std::unique_ptr<Impl> impl, std::string describe)
    : impl_(std::move(impl)), describe_(std::move(describe)) {}

Connection::~Connection() = default;

Result<std::unique_ptr<Connection>> Connection::Open(const config::Database& db, const std::string& password) {
  auto impl = std::make_unique<Impl>();
  impl->mysql = mysql_init(nullptr);
  if (!impl->mysql) return Internal("mysql_init failed: out of memory");
  unsigned int timeout = static_cast<unsigned int>(db.connect_timeout_s);
  mysql_optionsv(impl->mysql, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  unsigned int rw_timeout = static_cast<unsigned int>(db.io_timeout_s);
  mysql_optionsv(impl->mysql, MYSQL_OPT_READ_TIMEOUT, &rw_timeout);
  mysql_optionsv(impl->mysql, MYSQL_OPT_WRITE_TIMEOUT, &rw_timeout);
  mysql_optionsv(impl->mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  // All timestamps Tayori writes and compares are UTC, whatever the server's zone.
  mysql_optionsv(impl->mysql, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
  // Reconnecting silently would lose session state (locks, transactions);
  // callers see the error as transient and reconnect deliberately.
  my_bool reconnect = 0;
  mysql_optionsv(impl->mysql, MYSQL_OPT_RECONNECT, &reconnect);

  std::string where = db.socket.empty() ? db.host + ":" + std::to_string(db.port) + "/" + db.name
                                        : db.socket + "/" + db.name;
  // Connector/C uses the socket only when host is NULL or "localhost".
  const char* socket = db.socket.empty() ? nullptr : db.socket.c_str();
  const char* host = db.socket.empty() ? db.host.c_str() : nullptr;
  if (!mysql_real_connect(impl->mysql, host, db.user.c_str(), password.c_str(), db.name.c_str(),
                          static_cast<unsigned int>(db.port), socket, CLIENT_MULTI_STATEMENTS | CLIENT_FOUND_ROWS)) {
    std::string msg = "cannot connect to MySQL at " + where + " as " + db.user + ": " +
                      mysql_error(impl->mysql) + " (" + std::to_string(mysql_errno(impl->mysql)) + ")";
    unsigned err = mysql_errno(impl->mysql);
    // Wrong credentials or an unknown database will not fix themselves.
    if (err == ER_ACCESS_DENIED_ERROR || err == ER_BAD_DB_ERROR || err == ER_DBACCESS_DENIED_ERROR)
      return ConfigError(msg);
    return Transient(msg);
  }
  return std::unique_ptr<Connection>(new Connection(std::move(impl), where));
}

// Errors that say nothing about the statement itself: the server went away,
// restarted, is failing over (read-only), timed a statement out, ran out of
// room, or picked this session as a deadlock victim. A retry on a fresh
// session can succeed once the server recovers, so callers retry them with
// backoff instead of giving up on the work (an outcome write given up would
// let the delivery be sent again).
bool IsTransientServerError(unsigned err) {
  switch (err) {
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_SERVER_LOST_EXTENDED:
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case ER_LOCK_DEADLOCK:
    case ER_LOCK_WAIT_TIMEOUT:
    case ER_SERVER_SHUTDOWN:
    case ER_CON_COUNT_ERROR:                        // too many connections
    case ER_CONNECTION_KILLED:                      // KILL, or wait_timeout
    case ER_QUERY_INTERRUPTED:
    case ER_OPTION_PREVENTS_STATEMENT:              // 1290: --read-only during a failover
    case ER_READ_ONLY_MODE:
    case ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION:
    case ER_STATEMENT_TIMEOUT:                      // 1969: max_statement_time
    case ER_RECORD_FILE_FULL:                       // 1114: table full
    case ER_DISK_FULL:
    case ER_ERROR_DURING_COMMIT:
    case ER_ERROR_DURING_ROLLBACK:
    case 4031:  // ER_CLIENT_INTERACTION_TIMEOUT (MariaDB 10.5+; older headers name 4031 differently)
      return true;
    default:
      return false;
  }
}

Status Connection::Error(const std::string& what) {
  unsigned err = mysql_errno(impl_->mysql);
  std::string msg = what + ": " + mysql_error(impl_->mysql) + " (" + std::to_string(err) + ")";
  if (IsTransientServerError(err)) return Transient(msg);
  return Internal(msg);
}

Status Connection::Execute(const std::string& sql) {
  if (mysql_real_query(impl_->mysql, sql.data(), sql.size()) != 0) return Error("query failed on " + describe_);
  affected_rows_ = 0;
  // Drain every result of a multi-statement; an error in statement N surfaces here.
  int status = 0;
  do {
    MYSQL_RES* res = mysql_store_result(impl_->mysql);
    if (res) mysql_free_result(res);
    else if (mysql_field_count(impl_->mysql) == 0) affected_rows_ += mysql_affected_rows(impl_->mysql);
    last_insert_id_ = mysql_insert_id(impl_->mysql);
    status = mysql_next_result(impl_->mysql);
    if (status > 0) return Error("statement failed on " + describe_);
  } while (status == 0);
  return Status::Ok();
}

Result<Rows> Connection::Query(const std::string& sql) {
  if (mysql_real_query(impl_->mysql, sql.data(), sql.size()) != 0) return Error("query failed on " + describe_);
  MYSQL_RES* res = mysql_store_result(impl_->mysql);
  Rows rows;
  if (!res) {
    if (mysql_field_count(impl_->mysql) != 0) return Error("reading result from " + describe_);
    affected_rows_ = mysql_affected_rows(impl_->mysql);
    last_insert_id_ = mysql_insert_id(impl_->mysql);
    return rows;
  }
  unsigned n = mysql_num_fields(res);
  MYSQL_FIELD* fields = mysql_fetch_fields(res);
  for (unsigned i = 0; i < n; ++i) rows.columns.emplace_back(fields[i].name);
  while (MYSQL_ROW row = mysql_fetch_row(res)) {
    unsigned long* lengths = mysql_fetch_lengths(res);
    auto& out = rows.rows.emplace_back();
    out.reserve(n);
    for (unsigned i = 0; i < n; ++i) {
      if (row[i]) out.emplace_back(std::string(row[i], lengths[i]));
      else out.emplace_back(std::nullopt);
    }
  }
  mysql_free_result(res);
  // Consume trailing results so the connection stays usable.
  while (mysql_next_result(impl_->mysql) == 0) {
    if (MYSQL_RES* extra = mysql_store_result(impl_->mysql)) mysql_free_result(extra);
  }
  return rows;
}



}  // namespace tayori::store
