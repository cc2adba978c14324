// Integration: prepared statements against the private MariaDB — each Param
// type bound and read back typed, NULL both ways, text that would break a
// spliced statement stored as it is, and statements prepared again when the
// server or the session asks.
#include <gtest/gtest.h>

#include "store/connection.h"
#include "testing/scratch_db.h"

namespace tayori::store {
namespace {

class PreparedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = scratch_.Connect();
    ASSERT_NE(db_, nullptr);
    ASSERT_TRUE(db_->Execute("CREATE TABLE vals (id INT AUTO_INCREMENT PRIMARY KEY, u BIGINT UNSIGNED NULL, "
                             "i BIGINT NULL, n INT NULL, d DOUBLE NULL, b TINYINT NULL, t VARCHAR(255) NULL, "
                             "bin VARBINARY(255) NULL, at DATETIME(6) NULL, big MEDIUMTEXT NULL) "
                             "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci")
                    .ok());
  }

  // Stores `text` in t and returns what a SELECT by id reads back.
  std::string RoundTrip(const std::string& text) {
    Status st = db_->Run("INSERT INTO vals (t) VALUES (?)", {text});
    EXPECT_TRUE(st.ok()) << st.ToString();
    auto r = db_->Select("SELECT t FROM vals WHERE id = ?", {db_->last_insert_id()});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && r->size() == 1 ? r->rows[0].Str(0) : "<none>";
  }

  testing::ScratchDatabase scratch_{"prepared"};
  std::unique_ptr<Connection> db_;
};

TEST_F(PreparedTest, EachTypeIsBoundAndReadBackTyped) {
  uint64_t huge = 18446744073709551615ull;  // beyond int64
  ASSERT_TRUE(db_->Run("INSERT INTO vals (u, i, n, d, b, t, bin, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       {huge, int64_t{-9000000000}, -7, 2.5, true, std::string_view("text"),
                        Param::Bytes(std::string("\x00\xff\x80", 3)), "2026-12-02 01:02:03.456789"})
                  .ok());
  EXPECT_EQ(db_->affected_rows(), 1u);
  EXPECT_EQ(db_->last_insert_id(), 1u);
  auto r = db_->Select("SELECT u, i, n, d, b, t, bin, at, COUNT(*) OVER (), SUM(n) OVER () FROM vals WHERE id = ?",
                       {1});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  const Row& row = r->rows[0];
  EXPECT_EQ(row.U64(0), huge);
  EXPECT_EQ(row.I64(1), -9000000000);
  EXPECT_EQ(row.Int(2), -7);
  EXPECT_DOUBLE_EQ(row.Double(3), 2.5);
  EXPECT_TRUE(row.Bool(4));
  EXPECT_EQ(row.Str(5), "text");
  EXPECT_EQ(row.Str(6), std::string("\x00\xff\x80", 3));
  EXPECT_EQ(row.Str(7), "2026-12-02 01:02:03.456789");  // as the text protocol shows it
  EXPECT_EQ(row.U64(8), 1u);                            // COUNT: a signed BIGINT
  EXPECT_EQ(row.I64(9), -7);                            // SUM of integers: a DECIMAL without fraction
  EXPECT_EQ(r->columns.at(5), "t");
}

TEST_F(PreparedTest, NullGoesInAndComesOutExplicitly) {
  std::optional<std::string> none;
  std::optional<uint64_t> some = 5;
  ASSERT_TRUE(db_->Run("INSERT INTO vals (u, i, t) VALUES (?, ?, ?)", {some, nullptr, none}).ok());
  auto r = db_->Select("SELECT u, i, t FROM vals");
  ASSERT_TRUE(r.ok());
  const Row& row = r->rows.at(0);
  EXPECT_EQ(row.OptU64(0), std::optional<uint64_t>(5));
  EXPECT_TRUE(row.IsNull(1));
  EXPECT_EQ(row.OptI64(1), std::nullopt);
  EXPECT_EQ(row.OptStr(2), std::nullopt);
  EXPECT_FALSE(row.IsNull(0));
}

TEST_F(PreparedTest, Utf8AndJapaneseTextRoundTrips) {
  EXPECT_EQ(RoundTrip("お知らせ：冬のセール開始 🎍"), "お知らせ：冬のセール開始 🎍");
  EXPECT_EQ(RoundTrip("Grüße, José"), "Grüße, José");
}

TEST_F(PreparedTest, QuotesBackslashesAndNulBytesRoundTrip) {
  std::string nasty = std::string("it's \"quoted\" \\ back\\slashed \\' and a NUL: ") + '\0' + " after";
  EXPECT_EQ(RoundTrip(nasty), nasty);
  EXPECT_EQ(RoundTrip(""), "");
}

TEST_F(PreparedTest, AnInjectionLookingValueIsStoredLiterally) {
  std::string attack = "x'); DROP TABLE vals; -- ";
  EXPECT_EQ(RoundTrip(attack), attack);
  auto r = db_->Select("SELECT COUNT(*) FROM vals WHERE t = ?", {"' OR '1'='1"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows.at(0).U64(0), 0u);  // matched as text, not as SQL
  auto still = db_->Select("SELECT COUNT(*) FROM vals");
  ASSERT_TRUE(still.ok()) << still.status().ToString();  // the table is still there
  EXPECT_EQ(still->rows.at(0).U64(0), 1u);
}

TEST_F(PreparedTest, LongValuesAreReadWhole) {
  std::string big(100000, 'a');
  big += "の終わり";
  ASSERT_TRUE(db_->Run("INSERT INTO vals (big, t) VALUES (?, ?)", {big, std::string(255, 'z')}).ok());
  auto r = db_->Select("SELECT big, t FROM vals");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows.at(0).Str(0), big);
  EXPECT_EQ(r->rows.at(0).Str(1), std::string(255, 'z'));
}

TEST_F(PreparedTest, AStatementIsPreparedOnceAndReused) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(db_->Run("INSERT INTO vals (n) VALUES (?)", {i}).ok());
  auto r = db_->Select("SELECT COUNT(*) FROM vals WHERE n >= ?", {0});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows.at(0).U64(0), 5u);
  EXPECT_EQ(db_->prepared_statements(), 2u);
}

TEST_F(PreparedTest, ServerErrorsAreValuesAndLeaveTheStatementUsable) {
  ASSERT_TRUE(db_->Execute("CREATE TABLE once (k VARCHAR(8) PRIMARY KEY)").ok());
  ASSERT_TRUE(db_->Run("INSERT INTO once (k) VALUES (?)", {"a"}).ok());
  Status dup = db_->Run("INSERT INTO once (k) VALUES (?)", {"a"});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error_class(), ErrorClass::kInternal);
  EXPECT_NE(dup.message().find("Duplicate"), std::string::npos) << dup.ToString();
  EXPECT_TRUE(db_->Run("INSERT INTO once (k) VALUES (?)", {"b"}).ok());
  Status wrong_count = db_->Run("INSERT INTO once (k) VALUES (?)", {"c", "d"});
  EXPECT_EQ(wrong_count.error_class(), ErrorClass::kInternal);
  Status bad_sql = db_->Run("INSERT INTO nowhere (k) VALUES (?)", {"c"});
  EXPECT_FALSE(bad_sql.ok());
}

TEST_F(PreparedTest, AChangedTableIsPreparedAgain) {
  ASSERT_TRUE(db_->Run("INSERT INTO vals (t) VALUES (?)", {"before"}).ok());
  auto before = db_->Select("SELECT * FROM vals WHERE t = ?", {"before"});
  ASSERT_TRUE(before.ok());
  size_t columns = before->columns.size();
  ASSERT_TRUE(db_->Execute("ALTER TABLE vals ADD COLUMN extra INT NOT NULL DEFAULT 42").ok());
  auto after = db_->Select("SELECT * FROM vals WHERE t = ?", {"before"});
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  ASSERT_EQ(after->columns.size(), columns + 1);
  EXPECT_EQ(after->rows.at(0).Int(columns), 42);
}

TEST_F(PreparedTest, ANewSessionAfterALostOnePreparesAfresh) {
  ASSERT_TRUE(db_->Run("INSERT INTO vals (t) VALUES (?)", {"one"}).ok());
  auto id = db_->Select("SELECT CONNECTION_ID()");
  ASSERT_TRUE(id.ok());
  auto killer = scratch_.Connect();
  ASSERT_NE(killer, nullptr);
  ASSERT_TRUE(killer->Execute("KILL CONNECTION " + std::to_string(id->rows.at(0).U64(0))).ok());
  Status lost = db_->Run("INSERT INTO vals (t) VALUES (?)", {"two"});
  ASSERT_FALSE(lost.ok());
  EXPECT_TRUE(lost.transient()) << lost.ToString();
  // The engine's workers reconnect by opening a new Connection: its
  // statements are prepared on the new session.
  db_ = scratch_.Connect();
  ASSERT_NE(db_, nullptr);
  EXPECT_EQ(db_->prepared_statements(), 0u);
  ASSERT_TRUE(db_->Run("INSERT INTO vals (t) VALUES (?)", {"two"}).ok());
  auto r = db_->Select("SELECT COUNT(*) FROM vals");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows.at(0).U64(0), 2u);
}

}  // namespace
}  // namespace tayori::store
