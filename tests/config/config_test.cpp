#include "config/config.h"

#include <cstdlib>

#include <gtest/gtest.h>

#include "testing/test_env.h"

namespace tayori::config {
namespace {

// Parses text that must be invalid and returns the error message.
std::string ErrorOf(const std::string& toml) {
  auto r = ParseConfig(toml, "t.toml");
  EXPECT_FALSE(r.ok()) << "expected an error for:\n" << toml;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().error_class(), ErrorClass::kConfig);
  return r.status().message();
}

TEST(ConfigTest, ExampleFileIsValid) {
  auto r = LoadConfigFile(testing::SourcePath("config/tayori.example.toml"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->database.port, 3306);
  EXPECT_EQ(r->database.password_env, "TAYORI_DB_PASSWORD");
  ASSERT_EQ(r->relays.size(), 1u);
  EXPECT_EQ(r->relays[0].tls, TlsMode::kStartTls);
  EXPECT_EQ(r->rate_limits.groups.size(), 2u);
  EXPECT_EQ(r->rate_limits.groups[0].domains, (std::vector<std::string>{"gmail.com", "googlemail.com"}));
  EXPECT_EQ(r->dns.provider, DnsProvider::kPowerDns);
  EXPECT_EQ(r->unsubscribe.keys.size(), 1u);
}

TEST(ConfigTest, EmptyFileGivesDefaults) {
  auto r = ParseConfig("", "empty.toml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->dkim.rsa_bits, 2048);
  EXPECT_EQ(r->retry.max_age_s, 172800);
  EXPECT_EQ(r->dkim.selectors, (std::vector<std::string>{"s1", "s2"}));
}

TEST(ConfigTest, ReadinessDefaultsAndRules) {
  auto r = ParseConfig("", "empty.toml");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->readiness.interval_s, 21600);
  EXPECT_EQ(r->readiness.mandatory,
            (std::vector<std::string>{"from_domain", "dkim_key", "dkim_cname", "dmarc_record", "dkim_alignment"}));
  auto off = ParseConfig("[readiness]\ninterval_s = 0\nmandatory = []\n", "t.toml");
  ASSERT_TRUE(off.ok()) << off.status().ToString();
  EXPECT_EQ(off->readiness.interval_s, 0);
  EXPECT_TRUE(off->readiness.mandatory.empty());
  EXPECT_EQ(ErrorOf("[readiness]\nmandatory = [\"dmarc\"]\n"),
            "t.toml:2:14: readiness.mandatory: unknown check 'dmarc' (known: from_domain, dkim_key, dkim_cname, "
            "dmarc_record, dkim_alignment, spf_alignment, spf, spf_lookups, reverse_dns, bounce_mx, relay_tls, "
            "unsubscribe)");
  EXPECT_NE(ErrorOf("[readiness]\ninterval_s = 5\n").find("readiness.interval_s: must be 0 (off) or at least 10"),
            std::string::npos);
  EXPECT_TRUE(r->readiness.bounce_mx_hosts.empty());
  auto mx = ParseConfig("[readiness]\nbounce_mx_hosts = [\"mx1.platform.example\", \"mx2.platform.example\"]\n", "t.toml");
  ASSERT_TRUE(mx.ok()) << mx.status().ToString();
  EXPECT_EQ(mx->readiness.bounce_mx_hosts, (std::vector<std::string>{"mx1.platform.example", "mx2.platform.example"}));
  EXPECT_NE(ErrorOf("[readiness]\nbounce_mx_hosts = [\"mx1/x\"]\n").find("readiness.bounce_mx_hosts"), std::string::npos);
}

TEST(ConfigTest, UnknownKeyNamesFileLineColumnAndKey) {
  std::string msg = ErrorOf("[database]\nhost = \"db\"\nprot = 3306\n");
  EXPECT_EQ(msg, "t.toml:3:1: database.prot: unknown key");
}

TEST(ConfigTest, UnknownSectionIsAnError) {
  EXPECT_EQ(ErrorOf("\n[databse]\nport = 1\n"), "t.toml:2:2: databse: unknown key");
}

TEST(ConfigTest, WrongTypeIsAnError) {
  EXPECT_EQ(ErrorOf("[database]\nport = \"3306\"\n"), "t.toml:2:8: database.port: expected an integer");
  EXPECT_EQ(ErrorOf("[dkim]\ndual_ed25519 = 1\n"), "t.toml:2:16: dkim.dual_ed25519: expected true or false");
}

TEST(ConfigTest, OutOfRangeIsAnError) {
  EXPECT_EQ(ErrorOf("[database]\nport = 70000\n"), "t.toml:2:8: database.port: 70000 is out of range 1..65535");
  EXPECT_EQ(ErrorOf("[dkim]\nrsa_bits = 1024\n"), "t.toml:2:12: dkim.rsa_bits: 1024 is out of range 2048..8192");
}

TEST(ConfigTest, TheEnginesWorkSizesHaveDefaultsRangesAndOneRule) {
  auto c = ParseConfig("", "t.toml");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->engine.expansion_chunk, 5000);
  EXPECT_EQ(c->engine.flush_batch, 500);
  EXPECT_EQ(c->engine.write_batch_max, 2000);
  EXPECT_EQ(c->engine.park_horizon_s, 30);
  EXPECT_EQ(c->database.io_timeout_s, 60);
  EXPECT_EQ(ErrorOf("[engine]\nexpansion_chunk = 10\n"),
            "t.toml:2:19: engine.expansion_chunk: 10 is out of range 100..100000");
  EXPECT_EQ(ErrorOf("[engine]\nflush_batch = 900\nwrite_batch_max = 800\n"),
            "t.toml:1:1: engine.write_batch_max: must not be smaller than flush_batch");
}

TEST(ConfigTest, BadEnumValueListsChoices) {
  std::string msg = ErrorOf("[[relays]]\nname = \"a\"\nhost = \"h\"\ntls = \"ssl\"\n");
  EXPECT_EQ(msg, "t.toml:4:7: relays[0].tls: 'ssl' is not one of: none, starttls, implicit");
}

TEST(ConfigTest, RelayRequiresNameAndHost) {
  std::string msg = ErrorOf("[[relays]]\nport = 25\n");
  EXPECT_NE(msg.find("relays[0].name: required key is missing"), std::string::npos) << msg;
  EXPECT_NE(msg.find("relays[0].host: required key is missing"), std::string::npos) << msg;
}

TEST(ConfigTest, EveryProblemIsReportedNotJustTheFirst) {
  std::string msg = ErrorOf("[database]\nport = 0\nfoo = 1\n[logging]\nlevel = \"loud\"\n");
  EXPECT_NE(msg.find("database.port"), std::string::npos);
  EXPECT_NE(msg.find("database.foo: unknown key"), std::string::npos);
  EXPECT_NE(msg.find("logging.level: 'loud' is not one of"), std::string::npos);
}

TEST(ConfigTest, SyntaxErrorHasPosition) {
  std::string msg = ErrorOf("[database]\nport = = 3\n");
  EXPECT_EQ(msg.rfind("t.toml:2:", 0), 0u) << msg;
  EXPECT_NE(msg.find("syntax"), std::string::npos) << msg;
}

TEST(ConfigTest, EnvNamesAreValidatedWithoutRepeatingTheValue) {
  // The commonest mistake: the password itself where its variable's name goes.
  std::string msg = ErrorOf("[database]\npassword_env = \"hunter2\"\n");
  EXPECT_EQ(msg.rfind("t.toml:2:16: database.password_env: is not an environment variable name", 0), 0u) << msg;
  EXPECT_EQ(msg.find("hunter2"), std::string::npos) << msg;
}

TEST(ConfigTest, UrlsWithCredentialsAreRefusedWithoutRepeatingThem) {
  for (const std::string& toml :
       {std::string("[unsubscribe]\nbase_url = \"https://ops:s3cret@unsub.example/u/\"\n"),
        std::string("[dns]\nprovider = \"powerdns\"\n[dns.powerdns]\napi_url = \"http://admin:s3cret@127.0.0.1:8081\"\n"),
        std::string("[dns]\nprovider = \"route53\"\n[dns.route53]\nendpoint = \"https://k:s3cret@route53.example\"\n"),
        // A password holding '#' or '/' hides the '@' from a parser of the
        // authority; a URL without its "://" fails the other checks, which
        // must not repeat it either.
        std::string("[dns]\nprovider = \"route53\"\n[dns.route53]\nendpoint = \"https://k:s3#cret@route53.example\"\n"),
        std::string("[dns]\nprovider = \"powerdns\"\n[dns.powerdns]\napi_url = \"admin:s3cret@127.0.0.1:8081\"\n"),
        std::string("[unsubscribe]\nbase_url = \"ops:s3/cret@unsub.example/u/\"\n")}) {
    std::string msg = ErrorOf(toml);
    EXPECT_NE(msg.find("must not contain '@'"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("s3"), std::string::npos) << msg;
  }
}

TEST(ConfigTest, UnsubscribeUrlMustBeHttps) {
  EXPECT_NE(ErrorOf("[unsubscribe]\nbase_url = \"http://example.com/u/\"\n").find("must start with https://"),
            std::string::npos);
  auto ok = ParseConfig("[unsubscribe]\nbase_url = \"http://127.0.0.1:8025/u/\"\n", "t.toml");
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
}

TEST(ConfigTest, ActiveTokenKeyMustExist) {
  std::string msg = ErrorOf("[unsubscribe]\nactive_key_id = \"k2\"\n[[unsubscribe.keys]]\nid = \"k1\"\nsecret_env = \"K1\"\n");
  EXPECT_NE(msg.find("unsubscribe.active_key_id: 'k2' does not name one of unsubscribe.keys"), std::string::npos)
      << msg;
}

TEST(ConfigTest, ReturnPathPlaceholders) {
  EXPECT_NE(ErrorOf("[envelope]\nreturn_path = \"b+{id}@x.example\"\n").find("unknown placeholder"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[envelope]\nreturn_path = \"b+{mac}@x.example\"\n").find("envelope.mac_key_env: required"),
            std::string::npos);
}

TEST(ConfigTest, LifecycleIntervalHasADefaultAndARange) {
  auto r = ParseConfig("", "empty.toml");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->dkim.lifecycle_interval_s, 300);
  r = ParseConfig("[dkim]\nlifecycle_interval_s = 60\n", "t.toml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->dkim.lifecycle_interval_s, 60);
  EXPECT_NE(ErrorOf("[dkim]\nlifecycle_interval_s = 5\n").find("lifecycle_interval_s"), std::string::npos);
}

TEST(ConfigTest, SelectorsMustBeTwoDistinctLabels) {
  EXPECT_NE(ErrorOf("[dkim]\nselectors = [\"s1\"]\n").find("exactly two"), std::string::npos);
  EXPECT_NE(ErrorOf("[dkim]\nselectors = [\"s1\", \"s_2\"]\n").find("not a DNS label"), std::string::npos);
}

TEST(ConfigTest, DescribeNeverPrintsSecretValues) {
  ::setenv("TAYORI_TEST_SECRET_XYZ", "very-secret-value", 1);
  auto r = ParseConfig("[database]\npassword_env = \"TAYORI_TEST_SECRET_XYZ\"\n", "t.toml");
  ASSERT_TRUE(r.ok());
  std::string text = Describe(*r);
  EXPECT_EQ(text.find("very-secret-value"), std::string::npos);
  EXPECT_NE(text.find("password_env = \"TAYORI_TEST_SECRET_XYZ\"  # set (value redacted)"), std::string::npos);
  // The description is itself a valid configuration equal to the input.
  auto again = ParseConfig(text, "described.toml");
  EXPECT_TRUE(again.ok()) << again.status().ToString();
}

TEST(ConfigTest, ResolveSecretNamesTheKey) {
  ::unsetenv("TAYORI_TEST_UNSET_VAR");
  auto r = ResolveSecret("TAYORI_TEST_UNSET_VAR", "database.password_env");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "environment variable TAYORI_TEST_UNSET_VAR (named by database.password_env) is not set");
}

TEST(ConfigTest, HttpDeadlineAndPerAddressLimit) {
  auto r = ParseConfig("", "empty.toml");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->http.request_deadline_s, 10);
  EXPECT_EQ(r->http.max_connections_per_ip, 16);
  r = ParseConfig("[http]\nrequest_timeout_s = 5\nrequest_deadline_s = 30\nmax_connections_per_ip = 0\n", "t.toml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->http.request_deadline_s, 30);
  EXPECT_EQ(r->http.max_connections_per_ip, 0);
  EXPECT_EQ(ErrorOf("[http]\nrequest_deadline_s = 0\n"),
            "t.toml:2:22: http.request_deadline_s: 0 is out of range 1..3600");
  EXPECT_EQ(ErrorOf("[http]\nmax_connections_per_ip = -1\n"),
            "t.toml:2:26: http.max_connections_per_ip: -1 is out of range 0..100000");
  EXPECT_NE(ErrorOf("[http]\nrequest_timeout_s = 20\nrequest_deadline_s = 10\n")
                .find("http.request_deadline_s: must not be smaller than request_timeout_s"),
            std::string::npos);
}

TEST(ConfigTest, OneKekByDefaultAndFromTheOlderKeys) {
  auto r = ParseConfig("", "empty.toml");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->dkim.keks.size(), 1u);
  EXPECT_EQ(r->dkim.keks[0].id, "kek1");
  EXPECT_EQ(r->dkim.keks[0].secret_env, "TAYORI_KEK");
  EXPECT_EQ(r->dkim.active_kek_id, "kek1");
  r = ParseConfig("[dkim]\nkek_env = \"OLD_KEK\"\nkek_id = \"2024a\"\n", "t.toml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->dkim.keks.size(), 1u);
  EXPECT_EQ(r->dkim.keks[0].id, "2024a");
  EXPECT_EQ(r->dkim.keks[0].secret_env, "OLD_KEK");
  EXPECT_EQ(r->dkim.active_kek_id, "2024a");
}

TEST(ConfigTest, SeveralKeksWithOneActive) {
  auto r = ParseConfig("[dkim]\nactive_kek_id = \"kek2\"\n[[dkim.keks]]\nid = \"kek1\"\nsecret_env = \"K1\"\n"
                       "[[dkim.keks]]\nid = \"kek2\"\nsecret_env = \"K2\"\n",
                       "t.toml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->dkim.keks.size(), 2u);
  EXPECT_EQ(r->dkim.keks[1].id, "kek2");
  EXPECT_EQ(r->dkim.active_kek_id, "kek2");
  auto again = ParseConfig(Describe(*r), "described.toml");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->dkim.keks.size(), 2u);
  EXPECT_EQ(again->dkim.active_kek_id, "kek2");

  EXPECT_NE(ErrorOf("[dkim]\n[[dkim.keks]]\nid = \"kek1\"\nsecret_env = \"K1\"\n")
                .find("dkim.active_kek_id: required with [[dkim.keks]]"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[dkim]\nactive_kek_id = \"kek9\"\n[[dkim.keks]]\nid = \"kek1\"\nsecret_env = \"K1\"\n")
                .find("dkim.active_kek_id: 'kek9' does not name one of dkim.keks"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[dkim]\nactive_kek_id = \"a\"\n[[dkim.keks]]\nid = \"a\"\nsecret_env = \"K1\"\n"
                    "[[dkim.keks]]\nid = \"a\"\nsecret_env = \"K2\"\n")
                .find("duplicate KEK id 'a'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[dkim]\nkek_env = \"K0\"\nactive_kek_id = \"a\"\n[[dkim.keks]]\nid = \"a\"\nsecret_env = \"K1\"\n")
                .find("not both"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[dkim]\nactive_kek_id = \"a\"\n[[dkim.keks]]\nid = \"a\"\n").find("dkim.keks[0].secret_env"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[dkim]\nkek_id = \"has space\"\n").find("dkim.kek_id: 'has space' must be letters"),
            std::string::npos);
}

}  // namespace
}  // namespace tayori::config
