// What the engine's database account must be allowed to do, checked once at
// start: a missing privilege would otherwise surface only when the first
// outcome is written, after messages were already sent (docs/schema.md lists
// the grants).
#pragma once

#include "base/status.h"
#include "store/connection.h"

namespace tayori::store {

// Probes every kind of statement `tayori run` issues without changing any
// row: EXPLAIN of SELECT/INSERT/UPDATE/DELETE on the tables the engine
// writes (MariaDB checks privileges for an EXPLAIN as for the statement),
// and creating and dropping a temporary table (outcome write-back batches).
// kConfig naming every missing privilege and the account, or ok.
Status CheckEnginePrivileges(Connection& db, const std::string& account);

}  // namespace tayori::store
