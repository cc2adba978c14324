// A throwaway database on the private test MariaDB, dropped when the test
// ends. Each test gets its own name, so tests may run in parallel.
#pragma once

#include <memory>
#include <string>

#include "store/connection.h"

namespace tayori::testing {

class ScratchDatabase {
 public:
  // Creates database "t_<suffix>_<pid>"; fails the test if the server is absent.
  explicit ScratchDatabase(const std::string& suffix);
  ~ScratchDatabase();

  const std::string& name() const { return name_; }
  const config::Database& settings() const { return settings_; }
  // A new connection to the scratch database (ASSERTs on failure).
  std::unique_ptr<store::Connection> Connect() const;

 private:
  std::string name_;
  config::Database settings_;
};

}  // namespace tayori::testing
