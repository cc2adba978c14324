// Integration: store::Transaction against the private MariaDB — what a
// commit keeps, and that every other way out of a transaction (an early
// return, a failed statement, a moved-from object) rolls it back.
#include "store/transaction.h"

#include <gtest/gtest.h>

#include "testing/scratch_db.h"

namespace tayori::store {
namespace {

class TransactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = scratch_.Connect();
    other_ = scratch_.Connect();
    ASSERT_NE(db_, nullptr);
    ASSERT_NE(other_, nullptr);
    ASSERT_TRUE(db_->Execute("CREATE TABLE notes (id INT PRIMARY KEY, body VARCHAR(64)) ENGINE=InnoDB").ok());
  }

  // Rows as another session sees them: only what was committed.
  std::string CommittedIds() {
    auto r = other_->Query("SELECT COALESCE(GROUP_CONCAT(id ORDER BY id), '') FROM notes");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->rows.at(0).at(0).value_or("NULL") : "<error>";
  }

  Status Insert(int id) { return db_->Execute("INSERT INTO notes (id, body) VALUES (" + std::to_string(id) + ", 'x')"); }

  testing::ScratchDatabase scratch_{"transaction"};
  std::unique_ptr<Connection> db_, other_;
};

TEST_F(TransactionTest, ACommitPersists) {
  auto tx = Transaction::Begin(*db_);
  ASSERT_TRUE(tx.ok()) << tx.status().ToString();
  ASSERT_TRUE(Insert(1).ok());
  EXPECT_EQ(CommittedIds(), "");  // not yet visible to others
  ASSERT_TRUE(tx->Commit().ok());
  EXPECT_EQ(CommittedIds(), "1");
}

TEST_F(TransactionTest, AnEarlyReturnRollsBack) {
  auto write_then_change_mind = [&]() -> Status {
    TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
    TAYORI_RETURN_IF_ERROR(Insert(1));
    TAYORI_RETURN_IF_ERROR(Insert(2));
    return Permanent("changed my mind");  // no Commit
  };
  EXPECT_FALSE(write_then_change_mind().ok());
  EXPECT_EQ(CommittedIds(), "");
  // The connection is out of the transaction: a plain statement autocommits.
  ASSERT_TRUE(Insert(3).ok());
  EXPECT_EQ(CommittedIds(), "3");
}

TEST_F(TransactionTest, AFailedStatementInsideRollsBackWhatCameBefore) {
  ASSERT_TRUE(Insert(7).ok());
  auto write = [&]() -> Status {
    TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
    TAYORI_RETURN_IF_ERROR(Insert(1));
    TAYORI_RETURN_IF_ERROR(Insert(7));  // duplicate key
    return tx.Commit();
  };
  Status st = write();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("Duplicate"), std::string::npos) << st.ToString();
  EXPECT_EQ(CommittedIds(), "7");
}

TEST_F(TransactionTest, AMovedTransactionRollsBackOnceAndCommitsOnce) {
  {
    auto tx = Transaction::Begin(*db_);
    ASSERT_TRUE(tx.ok());
    Transaction moved = std::move(tx).value();
    ASSERT_TRUE(Insert(1).ok());
  }
  EXPECT_EQ(CommittedIds(), "");
  auto tx = Transaction::Begin(*db_);
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(Insert(2).ok());
  ASSERT_TRUE(tx->Commit().ok());
  Status again = tx->Commit();
  EXPECT_EQ(again.error_class(), ErrorClass::kInternal);
  EXPECT_EQ(CommittedIds(), "2");
}

TEST_F(TransactionTest, ReadCommittedSeesWhatOthersCommitMeanwhile) {
  auto count = [&]() {
    auto r = db_->Query("SELECT COUNT(*) FROM notes");
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->rows.at(0).at(0).value_or("") : "";
  };
  auto session_level = db_->Query("SELECT @@tx_isolation");
  ASSERT_TRUE(session_level.ok());
  ASSERT_EQ(session_level->rows.at(0).at(0).value_or(""), "REPEATABLE-READ");  // the server's default
  {
    auto tx = Transaction::Begin(*db_);  // the session's REPEATABLE READ: one snapshot
    ASSERT_TRUE(tx.ok());
    EXPECT_EQ(count(), "0");
    ASSERT_TRUE(other_->Execute("INSERT INTO notes (id, body) VALUES (1, 'x')").ok());
    EXPECT_EQ(count(), "0");
    ASSERT_TRUE(tx->Commit().ok());
  }
  {
    auto tx = Transaction::Begin(*db_, Transaction::Isolation::kReadCommitted);
    ASSERT_TRUE(tx.ok());
    EXPECT_EQ(count(), "1");
    ASSERT_TRUE(other_->Execute("INSERT INTO notes (id, body) VALUES (2, 'x')").ok());
    EXPECT_EQ(count(), "2");
    ASSERT_TRUE(tx->Commit().ok());
  }
  // The level applied to that one transaction only.
  auto level = db_->Query("SELECT @@tx_isolation");
  ASSERT_TRUE(level.ok());
  EXPECT_EQ(level->rows.at(0).at(0).value_or(""), "REPEATABLE-READ");
}

}  // namespace
}  // namespace tayori::store
