// Configuration rules that keep the engine's failure paths safe: lease and
// poll timing that renewal can keep up with, values that must fit their
// database columns, and insecure transport only by explicit opt-in.
#include <gtest/gtest.h>

#include "config/config.h"

namespace tayori::config {
namespace {

std::string ErrorOf(const std::string& toml) {
  auto r = ParseConfig(toml, "t.toml");
  EXPECT_FALSE(r.ok()) << "expected an error for:\n" << toml;
  return r.ok() ? "" : r.status().message();
}

TEST(SafetyRulesTest, LeaseMustOutlastFiveRenewalPolls) {
  EXPECT_TRUE(ParseConfig("[engine]\npoll_interval_ms = 1000\nlease_s = 300\n", "t.toml").ok());
  EXPECT_TRUE(ParseConfig("[engine]\npoll_interval_ms = 200\nlease_s = 5\n", "t.toml").ok());
  EXPECT_NE(ErrorOf("[engine]\npoll_interval_ms = 1000\nlease_s = 15\n")
                .find("engine.lease_s: 15 s is too short for poll_interval_ms = 1000"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[engine]\npoll_interval_ms = 2000\nlease_s = 30\n").find("(lease_s > 30)"), std::string::npos);
}

TEST(SafetyRulesTest, ValuesStoredInColumnsMustFitThem) {
  EXPECT_NE(ErrorOf("[[relays]]\nname = \"" + std::string(65, 'r') + "\"\nhost = \"relay\"\n")
                .find("relays[0].name: is longer than 64 characters"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[engine]\ninstance_name = \"" + std::string(129, 'i') + "\"\n")
                .find("engine.instance_name: is longer than 128 characters"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[engine]\ninstance_name = \"caf\xC3\xA9\"\n").find("must be printable ASCII"), std::string::npos);
  // campaigns.claimed_by is CHAR (migration 0007): a trailing space would be
  // dropped there and the engine would no longer recognise its own claim.
  EXPECT_NE(ErrorOf("[engine]\ninstance_name = \"engine-1 \"\n").find("engine.instance_name: 'engine-1 ' must not begin or end with a space"),
            std::string::npos);
  EXPECT_EQ(config::CheckInstanceName(""), "");
  EXPECT_EQ(config::CheckInstanceName("host-a-1234"), "");
  EXPECT_EQ(config::CheckInstanceName(" a"), "' a' must not begin or end with a space");
}

TEST(SafetyRulesTest, GraceIsAtLeastADay) {
  EXPECT_EQ(ErrorOf("[dkim]\ngrace_days = 0\n"), "t.toml:2:14: dkim.grace_days: 0 is out of range 1..365");
}

TEST(SafetyRulesTest, PlaintextAuthNeedsAnExplicitOptIn) {
  std::string relay = "[[relays]]\nname = \"r\"\nhost = \"relay\"\ntls = \"none\"\nuser = \"u\"\npassword_env = \"P\"\n";
  EXPECT_NE(ErrorOf(relay).find("relays[0].user: AUTH with tls = \"none\" sends the password in the clear"),
            std::string::npos);
  auto ok = ParseConfig(relay + "insecure_plaintext_auth = true\n", "t.toml");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(ok->relays[0].insecure_plaintext_auth);
  // Without AUTH, a plaintext loopback relay (tests, the demo) needs nothing.
  EXPECT_TRUE(ParseConfig("[[relays]]\nname = \"r\"\nhost = \"127.0.0.1\"\ntls = \"none\"\n", "t.toml").ok());
}

TEST(SafetyRulesTest, UnverifiedTlsNeedsAnExplicitOptIn) {
  std::string relay = "[[relays]]\nname = \"r\"\nhost = \"relay\"\nverify_peer = false\n";
  EXPECT_NE(ErrorOf(relay).find("relays[0].verify_peer: false lets anyone on the path read the mail"),
            std::string::npos);
  EXPECT_TRUE(ParseConfig(relay + "insecure_skip_verify = true\n", "t.toml").ok());
}

TEST(SafetyRulesTest, PlainHttpDnsApisOnlyOnLoopbackOrByOptIn) {
  EXPECT_TRUE(ParseConfig("[dns.powerdns]\napi_url = \"http://127.0.0.1:8081\"\n", "t.toml").ok());
  EXPECT_NE(ErrorOf("[dns.powerdns]\napi_url = \"http://dns.internal:8081\"\n")
                .find("dns.powerdns.api_url: 'http://dns.internal:8081' sends the API key in the clear"),
            std::string::npos);
  EXPECT_TRUE(ParseConfig("[dns.powerdns]\napi_url = \"http://dns.internal:8081\"\ninsecure_http = true\n", "t.toml").ok());
  EXPECT_TRUE(ParseConfig("[dns.powerdns]\napi_url = \"https://dns.internal\"\n", "t.toml").ok());
  EXPECT_NE(ErrorOf("[dns.route53]\nendpoint = \"http://r53.internal\"\n").find("dns.route53.endpoint"),
            std::string::npos);
}

}  // namespace
}  // namespace tayori::config
