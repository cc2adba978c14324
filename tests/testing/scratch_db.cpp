#include "testing/scratch_db.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include "testing/test_env.h"

namespace tayori::testing {

ScratchDatabase::ScratchDatabase(const std::string& suffix) {
  name_ = "t_" + suffix + "_" + std::to_string(::getpid());
  settings_ = TestDatabase("mysql");
  auto admin = store::Connection::Open(settings_, "");
  if (!admin.ok()) {
    ADD_FAILURE() << "test MariaDB is not reachable: " << admin.status().ToString();
    return;
  }
  Status s = (*admin)->Execute("DROP DATABASE IF EXISTS " + name_ + "; CREATE DATABASE " + name_ +
                               " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
  EXPECT_TRUE(s.ok()) << s.ToString();
  settings_.name = name_;
}

ScratchDatabase::~ScratchDatabase() {
  config::Database admin_settings = settings_;
  admin_settings.name = "mysql";
  auto admin = store::Connection::Open(admin_settings, "");
  if (admin.ok()) (void)(*admin)->Execute("DROP DATABASE IF EXISTS " + name_);
}

std::unique_ptr<store::Connection> ScratchDatabase::Connect() const {
  auto c = store::Connection::Open(settings_, "");
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(c).value() : nullptr;
}

}  // namespace tayori::testing
