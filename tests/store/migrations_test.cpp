// Integration: migrations against the private MariaDB of scripts/services.
#include "store/migrations.h"

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

TEST(ConnectionTest, QuoteEscapesForSql) {
  testing::ScratchDatabase scratch("quote");
  auto db = scratch.Connect();
  ASSERT_NE(db, nullptr);
  std::string tricky = "O'Brien \\ \"x\" 日本語 ; DROP TABLE t; --";
  auto r = db->Query("SELECT " + db->Quote(tricky));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows[0][0].value(), tricky);
}

}  // namespace
}  // namespace tayori::store
