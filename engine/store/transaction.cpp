#include "store/transaction.h"

namespace tayori::store {

Result<Transaction> Transaction::Begin(Connection& db, Isolation isolation) {
  if (isolation == Isolation::kReadCommitted)
    TAYORI_RETURN_IF_ERROR(db.Execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED"));
  TAYORI_RETURN_IF_ERROR(db.Execute("START TRANSACTION"));
  return Transaction(db);
}

Transaction::Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }

Transaction::~Transaction() {
  if (db_) (void)db_->Execute("ROLLBACK");
}

Status Transaction::Commit() {
  if (!db_) return Internal("transaction committed twice");
  TAYORI_RETURN_IF_ERROR(db_->Execute("COMMIT"));
  db_ = nullptr;
  return Status::Ok();
}

}  // namespace tayori::store
