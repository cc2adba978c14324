// What a SIGHUP may change while the engine runs, and what it leaves for a
// restart (daemon/reload.h).
#include "daemon/reload.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

namespace tayori::daemon {
namespace {

constexpr const char* kBase = R"(
[database]
host = "db1.internal"
[[relays]]
name = "primary"
host = "relay1.internal"
[rate_limits]
global_per_second = 100
[engine]
poll_interval_ms = 1000
lease_s = 300
batch_size = 200
[http]
port = 8025
[logging]
level = "info"
)";

config::Config Parse(const std::string& text) {
  auto c = config::ParseConfig(text, "t.toml");
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return *c;
}

std::string With(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

bool Has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

TEST(ReloadTest, TheSameFileChangesNothing) {
  ReloadPlan p = PlanReload(Parse(kBase), Parse(kBase));
  EXPECT_TRUE(p.applied.empty());
  EXPECT_TRUE(p.need_restart.empty());
}

TEST(ReloadTest, RatesRelaysLoggingAndBatchSizeChangeNow) {
  std::string text = With(kBase, "global_per_second = 100", "global_per_second = 250");
  text = With(text, "host = \"relay1.internal\"", "host = \"relay2.internal\"");
  text = With(text, "level = \"info\"", "level = \"debug\"");
  text = With(text, "batch_size = 200", "batch_size = 50");
  ReloadPlan p = PlanReload(Parse(kBase), Parse(text));
  EXPECT_TRUE(Has(p.applied, "rate_limits.global_per_second"));
  EXPECT_TRUE(Has(p.applied, "relays"));
  EXPECT_TRUE(Has(p.applied, "logging.level"));
  EXPECT_TRUE(Has(p.applied, "engine.batch_size"));
  EXPECT_TRUE(p.need_restart.empty());
  EXPECT_TRUE(p.Changed("rate_limits"));
  EXPECT_TRUE(p.Changed("relays"));
  EXPECT_FALSE(p.Changed("dns"));
  EXPECT_FALSE(p.Changed("rate"));  // a section name, not a prefix of one
  EXPECT_EQ(p.next.rate_limits.global_per_second, 250);
  EXPECT_EQ(p.next.relays[0].host, "relay2.internal");
}

TEST(ReloadTest, TheEnginesWorkSizesChangeNow) {
  // Each of these used to be either a constant in the engine or missing
  // from what the plan compares (max_campaigns), so a reload missed it.
  const char* keys[][2] = {{"max_campaigns", "50"},   {"expansion_chunk", "1000"}, {"claims_per_poll", "20"},
                           {"lease_campaigns", "20"}, {"flush_batch", "100"},      {"write_batch_max", "4000"},
                           {"park_horizon_s", "5"},   {"drain_timeout_s", "10"}};
  for (const auto& [key, value] : keys) {
    std::string text = With(kBase, "batch_size = 200", std::string("batch_size = 200\n") + key + " = " + value);
    ReloadPlan p = PlanReload(Parse(kBase), Parse(text));
    EXPECT_EQ(p.applied, std::vector<std::string>{std::string("engine.") + key}) << key;
    EXPECT_TRUE(p.need_restart.empty()) << key;
  }
  std::string text = With(kBase, "host = \"db1.internal\"", "host = \"db1.internal\"\nio_timeout_s = 5");
  EXPECT_EQ(PlanReload(Parse(kBase), Parse(text)).need_restart, std::vector<std::string>{"database.io_timeout_s"});
}

TEST(ReloadTest, DatabaseListenersAndEngineCadenceWaitForARestart) {
  std::string text = With(kBase, "host = \"db1.internal\"", "host = \"db2.internal\"");
  text = With(text, "port = 8025", "port = 9025");
  text = With(text, "lease_s = 300", "lease_s = 600");
  text = With(text, "global_per_second = 100", "global_per_second = 120");
  ReloadPlan p = PlanReload(Parse(kBase), Parse(text));
  EXPECT_TRUE(Has(p.need_restart, "database.host"));
  EXPECT_TRUE(Has(p.need_restart, "http.port"));
  EXPECT_TRUE(Has(p.need_restart, "engine.lease_s"));
  EXPECT_EQ(p.applied, std::vector<std::string>{"rate_limits.global_per_second"});
  // What needs a restart stays as running in the configuration applied.
  EXPECT_EQ(p.next.database.host, "db1.internal");
  EXPECT_EQ(p.next.http.port, 8025);
  EXPECT_EQ(p.next.engine.lease_s, 300);
}

// Every [inbound] setting is read when the listener starts: a change to any of
// them is named as waiting for a restart, never dropped silently.
TEST(ReloadTest, TheListenersSettingsWaitForARestart) {
  std::string base = std::string(kBase) + "[inbound]\nport = 2525\ndatabase_connections = 3\nretain_days = 30\n";
  for (const auto& [from, to, key] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"database_connections = 3", "database_connections = 6", "inbound.database_connections"},
           {"retain_days = 30", "retain_days = 7", "inbound.retain_days"},
           {"port = 2525", "port = 2526", "inbound.port"}}) {
    ReloadPlan p = PlanReload(Parse(base), Parse(With(base, from, to)));
    EXPECT_EQ(p.need_restart, std::vector<std::string>{key}) << key;
    EXPECT_TRUE(p.applied.empty()) << key;
  }
}

TEST(ReloadTest, ARelayRemovedOrADomainGroupAddedIsAChange) {
  std::string two = std::string(kBase) + "[[relays]]\nname = \"backup\"\nhost = \"relay9.internal\"\n";
  ReloadPlan removed = PlanReload(Parse(two), Parse(kBase));
  EXPECT_TRUE(removed.Changed("relays"));
  std::string grouped = std::string(kBase) +
                        "[[rate_limits.domain_groups]]\nname = \"gmail\"\ndomains = [\"gmail.com\"]\nper_second = 5\n";
  ReloadPlan added = PlanReload(Parse(kBase), Parse(grouped));
  EXPECT_TRUE(added.Changed("rate_limits"));
  EXPECT_EQ(added.next.rate_limits.groups.size(), 1u);
}

TEST(ReloadTest, SettingNamesJoinForTheLog) {
  EXPECT_EQ(JoinSettings({"a.b", "relays"}), "a.b, relays");
  EXPECT_EQ(JoinSettings({}), "");
}

}  // namespace
}  // namespace tayori::daemon
