// One database transaction as an object: begun by Begin, made durable by
// Commit, rolled back by the destructor when it was not committed. An early
// return (an error from any statement, or a decision to change nothing)
// therefore never leaves a transaction open on a connection that goes back
// to its DbWorker for the next job.
#pragma once

#include "base/status.h"
#include "store/connection.h"

namespace tayori::store {

class Transaction {
 public:
  enum class Isolation {
    kDefault,        // the session's (REPEATABLE READ on InnoDB)
    kReadCommitted,  // each statement reads the latest committed rows, without next-key locks on what it reads
  };

  // START TRANSACTION on `db`, which must outlive the Transaction. With an
  // isolation level, SET TRANSACTION ISOLATION LEVEL first: it applies to
  // this transaction only.
  static Result<Transaction> Begin(Connection& db, Isolation isolation = Isolation::kDefault);

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  // ROLLBACK unless Commit succeeded. A failed rollback is ignored: the
  // server rolls back an open transaction when the session ends, and a
  // connection that failed is reopened before it is used again.
  ~Transaction();

  // COMMIT. On failure the transaction is rolled back when this object goes.
  Status Commit();

 private:
  explicit Transaction(Connection& db) : db_(&db) {}
  Connection* db_;  // nullptr once committed (or moved from)
};

}  // namespace tayori::store
