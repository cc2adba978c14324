// The listener and the parser agree on the largest message: what the
// listener takes, the parser reads.
#include "inbound/limits.h"

#include <gtest/gtest.h>

#include "config/config.h"
#include "feedback/limits.h"

namespace tayori::inbound {
namespace {

TEST(LimitsTest, ListenerAndParserAgreeOnTheMessageSize) {
  EXPECT_EQ(kDefaultMaxMessageBytes, feedback::kMaxMessageBytes);
  EXPECT_EQ(static_cast<size_t>(config::Inbound{}.max_message_bytes), feedback::kMaxMessageBytes);
  // The configuration cannot raise it past the parser's limit.
  std::string over = "[inbound]\nmax_message_bytes = " + std::to_string(feedback::kMaxMessageBytes + 1) + "\n";
  EXPECT_FALSE(config::ParseConfig(over, "t.toml").ok());
}

TEST(LimitsTest, RfcMinimums) {
  EXPECT_GE(kMaxRecipients, 100u);         // RFC 5321 §4.5.3.1.8
  EXPECT_EQ(kMaxCommandLineBytes, 512u);   // §4.5.3.1.4
  EXPECT_EQ(kMaxTextLineBytes, 1000u);     // §4.5.3.1.6
  EXPECT_EQ(kMaxPathBytes, 256u);          // §4.5.3.1.3
}

}  // namespace
}  // namespace tayori::inbound
