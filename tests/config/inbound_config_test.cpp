// [inbound]: the listener's keys, their defaults (some follow [envelope]),
// and the limits that keep it consistent with the feedback parser.
#include <gtest/gtest.h>

#include "config/config.h"
#include "testing/test_env.h"

namespace tayori::config {
namespace {

std::string ErrorOf(const std::string& toml) {
  auto r = ParseConfig(toml, "t.toml");
  EXPECT_FALSE(r.ok()) << "expected an error for:\n" << toml;
  return r.ok() ? "" : r.status().message();
}

TEST(InboundConfigTest, DefaultsFollowTheEnvelope) {
  auto r = ParseConfig(
      "[envelope]\nreturn_path = \"b+{delivery_id}@bounce.shop.example\"\nhelo_name = \"mx.shop.example\"\n", "t.toml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Inbound& in = r->inbound;
  EXPECT_EQ(in.listen_address, "127.0.0.1");
  EXPECT_EQ(in.port, 2525);
  EXPECT_EQ(in.protocol, InboundProtocol::kSmtp);
  EXPECT_EQ(in.hostname, "mx.shop.example");
  EXPECT_EQ(in.max_message_bytes, 10485760);
  EXPECT_EQ(in.max_connections, 100);
  EXPECT_EQ(in.command_timeout_s, 60);
  EXPECT_EQ(in.session_deadline_s, 600);
  EXPECT_EQ(in.bounce_domains, (std::vector<std::string>{"bounce.shop.example"}));
  EXPECT_TRUE(in.complaint_addresses.empty());
  EXPECT_EQ(in.retain_days, 30);
  EXPECT_FALSE(in.start_in_run);
}

TEST(InboundConfigTest, EveryKeyIsRead) {
  auto r = ParseConfig(R"([inbound]
listen_address = "::"
port = 0
protocol = "lmtp"
hostname = "mx.platform.example"
max_message_bytes = 1048576
max_connections = 7
command_timeout_s = 5
session_deadline_s = 30
bounce_domains = ["bounce.a.example", "Bounce.B.example"]
complaint_addresses = ["fbl@platform.example"]
retain_days = 90
start_in_run = true
)",
                       "t.toml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Inbound& in = r->inbound;
  EXPECT_EQ(in.listen_address, "::");
  EXPECT_EQ(in.port, 0);
  EXPECT_EQ(in.protocol, InboundProtocol::kLmtp);
  EXPECT_EQ(in.hostname, "mx.platform.example");
  EXPECT_EQ(in.max_message_bytes, 1048576);
  EXPECT_EQ(in.max_connections, 7);
  EXPECT_EQ(in.command_timeout_s, 5);
  EXPECT_EQ(in.session_deadline_s, 30);
  EXPECT_EQ(in.bounce_domains, (std::vector<std::string>{"bounce.a.example", "Bounce.B.example"}));
  EXPECT_EQ(in.complaint_addresses, (std::vector<std::string>{"fbl@platform.example"}));
  EXPECT_EQ(in.retain_days, 90);
  EXPECT_TRUE(in.start_in_run);
  EXPECT_NE(Describe(*r).find("[inbound]\nlisten_address = \"::\"\nport = 0\nprotocol = \"lmtp\""), std::string::npos)
      << Describe(*r);
}

TEST(InboundConfigTest, ExampleFileHasTheSection) {
  auto r = LoadConfigFile(testing::SourcePath("config/tayori.example.toml"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->inbound.bounce_domains, (std::vector<std::string>{"bounce.platform.example"}));
  EXPECT_EQ(r->inbound.complaint_addresses, (std::vector<std::string>{"fbl@platform.example"}));
}

// The parser refuses anything over 10 MiB unread (feedback/limits.h); the
// listener may not take more (tests/inbound checks the two constants agree).
TEST(InboundConfigTest, MessageSizeIsAtMostTheParsersLimit) {
  EXPECT_TRUE(ParseConfig("[inbound]\nmax_message_bytes = 10485760\n", "t.toml").ok());
  EXPECT_EQ(ErrorOf("[inbound]\nmax_message_bytes = 10485761\n"),
            "t.toml:2:21: inbound.max_message_bytes: 10485761 is out of range 1024..10485760");
}

TEST(InboundConfigTest, BadValuesAreErrors) {
  EXPECT_EQ(ErrorOf("[inbound]\nprotocol = \"esmtp\"\n"),
            "t.toml:2:12: inbound.protocol: 'esmtp' is not one of: smtp, lmtp");
  EXPECT_EQ(ErrorOf("[inbound]\nmax_connections = 0\n"),
            "t.toml:2:19: inbound.max_connections: 0 is out of range 1..100000");
  EXPECT_NE(ErrorOf("[inbound]\ncomplaint_addresses = [\"fbl\"]\n").find("'fbl' is not local@domain"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[inbound]\nbounce_domains = [\"a b\"]\n").find("inbound.bounce_domains: 'a b' is not a host name"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[inbound]\ncommand_timeout_s = 60\nsession_deadline_s = 30\n")
                .find("inbound.session_deadline_s: must not be smaller than command_timeout_s"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[inbound]\nmax_size = 1\n").find("inbound.max_size: unknown key"), std::string::npos);
}

}  // namespace
}  // namespace tayori::config
