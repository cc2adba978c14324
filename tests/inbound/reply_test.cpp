#include "inbound/reply.h"

#include <gtest/gtest.h>

namespace tayori::inbound {
namespace {

TEST(ReplyTest, Lines) {
  EXPECT_EQ(Reply::Accepted().Line(), "250 2.0.0 message accepted\r\n");
  EXPECT_EQ(Reply::TryLater("database unavailable").Line(), "451 4.3.0 database unavailable\r\n");
  EXPECT_EQ(Reply::Refused().Line(), "554 5.6.0 message refused\r\n");
  EXPECT_TRUE(Reply::Accepted().positive());
  EXPECT_TRUE(Reply::TryLater().transient());
  EXPECT_TRUE(Reply::Refused().permanent());
}

TEST(ReplyTest, TextFromOutsideCannotEndTheReplyEarly) {
  Reply r{550, "5.1.1 <a\r\n250 ok>: no"};
  EXPECT_EQ(r.Line(), "550 5.1.1 <a  250 ok>: no\r\n");
  std::string long_text(2000, 'x');
  EXPECT_EQ((Reply{250, long_text}.Line().size()), 512u);
}

TEST(ReplyTest, InvalidCodeBecomesTryLater) {
  EXPECT_EQ((Reply{0, "x"}.Line()), "451 4.3.0 internal error, try again later\r\n");
  EXPECT_EQ((Reply{700, "x"}.Line()), "451 4.3.0 internal error, try again later\r\n");
}

TEST(ReplyTest, SmtpCombination) {
  Reply ok = Reply::Accepted("queued as 7"), later = Reply::TryLater("db"), no = Reply::Refused("junk");
  EXPECT_EQ(CombineForSmtp({ok}).text, "2.0.0 queued as 7");
  EXPECT_EQ(CombineForSmtp({ok, later}).code, 451);  // any 4xx: the sender retries
  EXPECT_EQ(CombineForSmtp({no, later}).code, 451);
  EXPECT_EQ(CombineForSmtp({no, ok}).code, 250);     // refused for good stays refused
  EXPECT_EQ(CombineForSmtp({no, no}).text, "5.6.0 junk");
  EXPECT_EQ(CombineForSmtp({}).code, 451);
  EXPECT_EQ(CombineForSmtp({ok, Reply{354, "?"}}).code, 451);
}

}  // namespace
}  // namespace tayori::inbound
