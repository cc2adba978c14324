// Integration: migrations against the private MariaDB of scripts/services.
#include "store/migrations.h"

#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "testing/scratch_db.h"

namespace tayori::store {
namespace {

TEST(MigrationsTest, FreshDatabaseShowsEveryMigrationPending) {
  testing::ScratchDatabase scratch("fresh");
  auto db = scratch.Connect();
  ASSERT_NE(db, nullptr);
  auto st = GetSchemaStatus(*db);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(st->current_version, 0);
  EXPECT_EQ(st->latest_version, LatestVersion());
  EXPECT_EQ(st->pending(), static_cast<int>(AllMigrations().size()));
  EXPECT_FALSE(st->ahead());
}

TEST(MigrationsTest, MigrateTwiceIsANoOp) {
  testing::ScratchDatabase scratch("twice");
  auto db = scratch.Connect();
  ASSERT_NE(db, nullptr);
  auto first = Migrate(*db);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->size(), AllMigrations().size());
  auto second = Migrate(*db);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(second->empty());
  auto st = GetSchemaStatus(*db);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->current_version, LatestVersion());
  EXPECT_EQ(st->pending(), 0);
  auto n = db->Query("SELECT COUNT(*) FROM schema_migrations");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->rows[0][0].value(), std::to_string(AllMigrations().size()));
}

TEST(MigrationsTest, CreatesEveryContractTableAsInnoDbUtf8mb4) {
  testing::ScratchDatabase scratch("tables");
  auto db = scratch.Connect();
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(Migrate(*db).ok());
  auto rows = db->Query("SELECT table_name, engine, table_collation FROM information_schema.tables "
                        "WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  std::vector<std::string> names;
  for (const auto& r : rows->rows) {
    names.push_back(*r[0]);
    EXPECT_EQ(r[1].value_or(""), "InnoDB") << *r[0];
    EXPECT_EQ(r[2].value_or("").rfind("utf8mb4", 0), 0u) << *r[0];
  }
  for (const char* t : {"tenants", "sender_domains", "dkim_keys", "domain_keys", "lists", "subscribers",
                        "list_members", "suppressions", "campaigns", "deliveries", "events", "schema_migrations"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), t), names.end()) << "missing table " << t;
  }
}

// The engine's claim and finish set claimed_by, claimed_until, started_at and
// finished_at from NULL or back; migration 0007 makes those writes in place
// (a fixed-length column keeps its bytes while NULL only in REDUNDANT rows),
// not a rewrite of the whole row with its inline templates.
TEST(MigrationsTest, CampaignRowsKeepRoomForTheEnginesColumns) {
  testing::ScratchDatabase scratch("rowformat");
  auto db = scratch.Connect();
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(Migrate(*db).ok());
  auto t = db->Query("SELECT row_format FROM information_schema.tables WHERE table_schema = DATABASE() "
                     "AND table_name = 'campaigns'");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->rows.size(), 1u);
  EXPECT_EQ(t->rows[0][0].value_or(""), "Redundant");
  auto c = db->Query("SELECT column_name, column_type, character_set_name FROM information_schema.columns "
                     "WHERE table_schema = DATABASE() AND table_name = 'campaigns' AND column_name IN "
                     "('claimed_by','claimed_until','started_at','finished_at') ORDER BY column_name");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->rows.size(), 4u);
  EXPECT_EQ(c->rows[0][1].value_or(""), "char(128)");
  EXPECT_EQ(c->rows[0][2].value_or(""), "ascii");
  for (size_t i = 1; i < 4; ++i) EXPECT_EQ(c->rows[i][1].value_or(""), "datetime(6)") << *c->rows[i][0];
}

TEST(MigrationsTest, DatabaseAheadOfBinaryIsRefused) {
  testing::ScratchDatabase scratch("ahead");
  auto db = scratch.Connect();
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(Migrate(*db).ok());
  int future = LatestVersion() + 1;
  ASSERT_TRUE(db->Execute("INSERT INTO schema_migrations (version, name) VALUES (" + std::to_string(future) +
                          ", 'from_the_future')").ok());
  auto st = GetSchemaStatus(*db);
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st->ahead());
  EXPECT_EQ(st->current_version, future);
  auto r = Migrate(*db);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().error_class(), ErrorClass::kConfig);
  EXPECT_NE(r.status().message().find("has schema version " + std::to_string(future) + ", newer than this binary"),
            std::string::npos)
      << r.status().message();
}

TEST(MigrationsTest, ConcurrentMigratorsApplyEachVersionOnce) {
  testing::ScratchDatabase scratch("concurrent");
  std::vector<Result<std::vector<int>>> results(3, Result<std::vector<int>>(std::vector<int>{}));
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      auto c = Connection::Open(scratch.settings(), "");
      if (!c.ok()) {
        results[i] = c.status();
        return;
      }
      results[i] = Migrate(**c);
    });
  }
  for (auto& t : threads) t.join();
  size_t total_applied = 0;
  for (auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    total_applied += r->size();
  }
  EXPECT_EQ(total_applied, AllMigrations().size());
}

TEST(MigrationStatementsTest, SplitsAtSemicolonsOutsideQuotesAndComments) {
  auto s = SplitStatements(
      "-- a comment; with a semicolon\n"
      "CREATE TABLE a (x INT COMMENT 'p=; q');\n"
      "/* block; comment */\n"
      "# hash comment;\n"
      "INSERT INTO a VALUES ('it''s; \\'quoted\\';'), (\"d;q\"), (`b;t`);\n"
      "  ;\n"
      "CREATE VIEW v AS SELECT 1 --\n;");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0], "CREATE TABLE a (x INT COMMENT 'p=; q')");
  EXPECT_EQ(s[1], "/* block; comment */\n\n"
                  "INSERT INTO a VALUES ('it''s; \\'quoted\\';'), (\"d;q\"), (`b;t`)");
  EXPECT_EQ(s[2], "CREATE VIEW v AS SELECT 1");
}

TEST(MigrationStatementsTest, EveryMigrationSplitsIntoStatements) {
  for (const auto& m : AllMigrations()) {
    auto s = SplitStatements(m.sql);
    EXPECT_FALSE(s.empty()) << m.name;
    for (const auto& st : s) {
      bool known = st.rfind("CREATE ", 0) == 0 || st.rfind("ALTER ", 0) == 0 || st.rfind("DROP ", 0) == 0 ||
                   st.rfind("INSERT ", 0) == 0 || st.rfind("UPDATE ", 0) == 0 || st.rfind("DELETE ", 0) == 0;
      EXPECT_TRUE(known) << m.name << ": a statement split in the wrong place? " << st;
    }
  }
}

// Everything a migration defines: columns, indexes, foreign keys and view
// definitions, one line each, in a stable order, so two databases compare.
std::set<std::string> SchemaOf(Connection& db) {
  std::set<std::string> out;
  auto add = [&](const std::string& query) {
    auto rows = db.Query(query);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (!rows.ok()) return;
    for (const auto& r : rows->rows) {
      std::string line;
      for (const auto& v : r) line += v.value_or("NULL") + "|";
      out.insert(line);
    }
  };
  add("SELECT table_name, ordinal_position, column_name, column_type, is_nullable, COALESCE(column_default, 'NULL'), "
      "extra, column_comment, COALESCE(collation_name, '') FROM information_schema.columns "
      "WHERE table_schema = DATABASE() ORDER BY table_name, ordinal_position");
  add("SELECT table_name, index_name, seq_in_index, column_name, non_unique FROM information_schema.statistics "
      "WHERE table_schema = DATABASE() ORDER BY table_name, index_name, seq_in_index");
  add("SELECT table_name, constraint_name, referenced_table_name FROM information_schema.referential_constraints "
      "WHERE constraint_schema = DATABASE() ORDER BY table_name, constraint_name");
  add("SELECT table_name, REPLACE(view_definition, CONCAT('`', DATABASE(), '`.'), '') FROM information_schema.views "
      "WHERE table_schema = DATABASE() ORDER BY table_name");
  add("SELECT version, name FROM schema_migrations ORDER BY version");
  return out;
}

// A migration interrupted after any of its statements (MariaDB DDL commits
// each statement; the process dies before schema_migrations records the
// migration) is run again from the top by the next Migrate, which must
// finish with the same schema as an uninterrupted run.
TEST(MigrationsTest, MigrationInterruptedAfterAnyStatementCompletesWhenRunAgain) {
  std::set<std::string> want;
  {
    testing::ScratchDatabase scratch("resume_ref");
    auto db = scratch.Connect();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(Migrate(*db).ok());
    want = SchemaOf(*db);
  }
  ASSERT_FALSE(want.empty());
  for (const auto& m : AllMigrations()) {
    std::vector<std::string> statements = SplitStatements(m.sql);
    for (size_t k = 1; k <= statements.size(); ++k) {
      SCOPED_TRACE("migration " + std::to_string(m.version) + " (" + m.name + ") interrupted after statement " +
                   std::to_string(k) + " of " + std::to_string(statements.size()));
      testing::ScratchDatabase scratch("resume_" + std::to_string(m.version) + "_" + std::to_string(k));
      auto db = scratch.Connect();
      ASSERT_NE(db, nullptr);
      // The earlier migrations applied and recorded, as Migrate leaves them.
      ASSERT_TRUE(GetSchemaStatus(*db).ok());  // creates the ledger
      for (const auto& earlier : AllMigrations()) {
        if (earlier.version >= m.version) break;
        for (const auto& st : SplitStatements(earlier.sql)) ASSERT_TRUE(db->Execute(st).ok()) << st;
        ASSERT_TRUE(db->Run("INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                            {earlier.version, earlier.name})
                        .ok());
      }
      // The first k statements of this one, then the process "dies".
      for (size_t i = 0; i < k; ++i) ASSERT_TRUE(db->Execute(statements[i]).ok()) << statements[i];
      auto again = Migrate(*db);
      ASSERT_TRUE(again.ok()) << again.status().ToString();
      EXPECT_EQ(again->front(), m.version);
      std::set<std::string> got = SchemaOf(*db);
      for (const auto& line : want) EXPECT_TRUE(got.count(line)) << "missing: " << line;
      for (const auto& line : got) EXPECT_TRUE(want.count(line)) << "unexpected: " << line;
    }
  }
}

TEST(ConnectionTest, WrongPasswordIsAConfigurationError) {
  testing::ScratchDatabase scratch("auth");
  config::Database s = scratch.settings();
  s.socket.clear();  // TCP, so the password is checked
  s.user = "tayori";
  auto c = Connection::Open(s, "definitely-wrong");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().error_class(), ErrorClass::kConfig);
  EXPECT_EQ(c.status().message().find("definitely-wrong"), std::string::npos) << "password leaked into message";
}

// Values go to the server bound, never spliced into SQL (Quote is gone).
TEST(ConnectionTest, ABoundValueReadsBackAsItself) {
  testing::ScratchDatabase scratch("quote");
  auto db = scratch.Connect();
  ASSERT_NE(db, nullptr);
  std::string tricky = "O'Brien \\ \"x\" 日本語 ; DROP TABLE t; --";
  auto r = db->Select("SELECT ?", {tricky});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows.at(0).Str(0), tricky);
}

}  // namespace
}  // namespace tayori::store
