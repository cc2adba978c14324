// Versioned schema migrations, embedded in the binary from
// engine/store/migrations/NNNN_name.sql. Applied versions are recorded in
// schema_migrations; a database whose schema is newer than this binary is
// refused, so an old engine never writes to a schema it does not understand.
#pragma once

#include <string>
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
