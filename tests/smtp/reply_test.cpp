#include "smtp/reply.h"

#include <gtest/gtest.h>

namespace tayori::smtp {
namespace {

TEST(ReplyTest, ParsesCodeEnhancedTextAndPostfixQueueId) {
  Reply r = ParseReply({"250 2.0.0 Ok: queued as 4XyZ1B2c3\r\n"});
  EXPECT_EQ(r.code, 250);
  EXPECT_EQ(r.enhanced, "2.0.0");
  EXPECT_EQ(r.text, "Ok: queued as 4XyZ1B2c3");
  EXPECT_EQ(r.queue_id, "4XyZ1B2c3");
  EXPECT_EQ(r.ToString(), "250 2.0.0 Ok: queued as 4XyZ1B2c3");
}

TEST(ReplyTest, MultiLineRepliesAreJoined) {
  Reply r = ParseReply({"550-5.7.26 This mail is unauthenticated, which poses a security risk",
                        "550-5.7.26 to the sender and Gmail users, and has been blocked.",
                        "550 5.7.26 https://support.google.com/mail/answer/81126"});
  EXPECT_EQ(r.code, 550);
  EXPECT_EQ(r.enhanced, "5.7.26");
  EXPECT_EQ(r.text,
            "This mail is unauthenticated, which poses a security risk to the sender and Gmail users, and has been "
            "blocked. https://support.google.com/mail/answer/81126");
  EXPECT_TRUE(r.queue_id.empty());
}

TEST(ReplyTest, ReplyWithoutEnhancedCode) {
  Reply r = ParseReply({"421 Service not available"});
  EXPECT_EQ(r.code, 421);
  EXPECT_EQ(r.enhanced, "");
  EXPECT_EQ(r.text, "Service not available");
}

TEST(ReplyTest, EnhancedCodeShapes) {
  EXPECT_EQ(EnhancedCodePrefix("5.1.10 no such user"), "5.1.10");
  EXPECT_EQ(EnhancedCodePrefix("4.7.28 slow down"), "4.7.28");
  EXPECT_EQ(EnhancedCodePrefix("3.1.1 x"), "");
  EXPECT_EQ(EnhancedCodePrefix("5.1 x"), "");
  EXPECT_EQ(EnhancedCodePrefix("5.1.1x"), "");
}

TEST(ReplyTest, GarbageNeverCrashes) {
  EXPECT_EQ(ParseReply({}).code, 0);
  EXPECT_EQ(ParseReply({"", "\r\n", "xx"}).code, 0);
  Reply r = ParseReply({"25"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(ParseReply({std::string(5000, 'a')}).text.size(), 500u);
}

}  // namespace
}  // namespace tayori::smtp
