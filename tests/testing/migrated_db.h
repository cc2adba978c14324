// A gtest fixture for the store's integration tests: a scratch database on the
// private test MariaDB, migrated to the current schema, one connection to it,
// and the two helpers those tests write their rows and read their columns with.
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "store/connection.h"
#include "testing/scratch_db.h"

namespace tayori::testing {

class MigratedDatabaseTest : public ::testing::Test {
 protected:
  // `suffix` names the scratch database (see ScratchDatabase).
  explicit MigratedDatabaseTest(const std::string& suffix) : scratch_(suffix) {}

  // Connects and migrates; a failure is fatal, so a derived SetUp that calls
  // this first returns when HasFatalFailure().
  void SetUp() override;

  // Runs `sql`; a failure fails the test, naming the statement.
  void Exec(const std::string& sql);
  // The first column of the first row of `sql`: "NULL" for SQL NULL,
  // "<none>" when there is no row or the query failed (which fails the test).
  std::string Value(const std::string& sql);

  ScratchDatabase scratch_;
  std::unique_ptr<store::Connection> db_;
};

}  // namespace tayori::testing
