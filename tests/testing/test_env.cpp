#include "testing/test_env.h"

#include <cstdlib>

#include <gtest/gtest.h>

namespace tayori::testing {

std::string RequireEnv(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) {
    ADD_FAILURE() << "environment variable " << name
                  << " is not set: run the tests through scripts/test, which starts the services";
    return "";
  }
  return v;
}

config::Database TestDatabase(const std::string& database_name) {
  config::Database db;
  db.host = "127.0.0.1";
  db.port = std::atoi(RequireEnv("TAYORI_TEST_MYSQL_PORT").c_str());
  db.socket = RequireEnv("TAYORI_TEST_MYSQL_SOCKET");
  db.user = "root";
  db.password_env = "";
  db.name = database_name;
  return db;
}

std::string SourcePath(const std::string& relative) {
  const char* src = std::getenv("TAYORI_SOURCE_DIR");
  return std::string(src && *src ? src : ".") + "/" + relative;
}

}  // namespace tayori::testing
