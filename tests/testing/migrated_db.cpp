#include "testing/migrated_db.h"

#include "store/migrations.h"

namespace tayori::testing {

void MigratedDatabaseTest::SetUp() {
  db_ = scratch_.Connect();
  ASSERT_NE(db_, nullptr);
  auto migrated = store::Migrate(*db_);
  ASSERT_TRUE(migrated.ok()) << migrated.status().ToString();
}

void MigratedDatabaseTest::Exec(const std::string& sql) {
  Status st = db_->Execute(sql);
  ASSERT_TRUE(st.ok()) << sql << ": " << st.ToString();
}

std::string MigratedDatabaseTest::Value(const std::string& sql) {
  auto r = db_->Query(sql);
  EXPECT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
  if (!r.ok() || r->rows.empty()) return "<none>";
  return r->rows[0][0].value_or("NULL");
}

}  // namespace tayori::testing
