// Versioned schema migrations, embedded in the binary from
// engine/store/migrations/NNNN_name.sql. Applied versions are recorded in
// schema_migrations; a database whose schema is newer than this binary is
// refused, so an old engine never writes to a schema it does not understand.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/connection.h"

namespace tayori::store {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// Every migration this binary knows, ordered by version.
const std::vector<Migration>& AllMigrations();
int LatestVersion();

// The statements of a migration's SQL, in order, split at the semicolons
// that end them (not those inside quotes, backquotes or comments), each
// trimmed; comment-only pieces are dropped. Migrate runs them one at a time
// so an error names the statement. A migration file holds plain statements
// (no DELIMITER, no stored program bodies).
//
// MariaDB DDL is not transactional: a migration interrupted half-way (the
// process killed, the connection lost) leaves its first statements applied
// and the migration unrecorded, and the next Migrate runs it again from the
// top. So every statement must be safe to run twice: CREATE TABLE IF NOT
// EXISTS, ADD COLUMN / ADD INDEX IF NOT EXISTS, DROP ... IF EXISTS, CREATE OR
// REPLACE VIEW, MODIFY COLUMN (idempotent by nature), and data changes that
// touch only rows still needing them. migrations_test.cpp interrupts every
// migration after each of its statements and checks the result.
std::vector<std::string> SplitStatements(std::string_view sql);

struct MigrationState {
  int version;
  std::string name;
  bool applied = false;
  std::string applied_at;  // empty when pending
};

struct SchemaStatus {
  int current_version = 0;                // highest applied version
  int latest_version = 0;                 // highest version this binary knows
  std::vector<MigrationState> migrations; // known ones, plus unknown applied ones
  bool ahead() const { return current_version > latest_version; }
  int pending() const;
};

Result<SchemaStatus> GetSchemaStatus(Connection& db);

// Applies every pending migration in order under a named lock, so two
// processes migrating at once do not interleave. Returns the versions applied
// (empty when already up to date). Refuses (kConfig) a database that is ahead.
Result<std::vector<int>> Migrate(Connection& db);

}  // namespace tayori::store
