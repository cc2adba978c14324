// Test helpers: where the services scripts/services started are, and a
// config::Database for the private test MariaDB. A missing variable aborts the
// test with a clear message: a missing service is a failure, never a skip.
#pragma once

#include <string>

#include "config/config.h"

namespace tayori::testing {

// The value of an environment variable that scripts/test exports; fails the
// current test (ADD_FAILURE + returns "") when unset.
std::string RequireEnv(const char* name);

// [database] settings for the private MariaDB of scripts/services, using the
// admin account over its socket. Fails the test when the service is not running.
config::Database TestDatabase(const std::string& database_name);

// Path of the source tree (tests run with it as working directory).
std::string SourcePath(const std::string& relative);

}  // namespace tayori::testing
