// The session in LMTP mode (RFC 2033): LHLO, and after DATA one reply per
// accepted recipient, in RCPT order.
#include <gtest/gtest.h>

#include "inbound/session.h"
#include "inbound/session_testing.h"

namespace tayori::inbound {
namespace {

using testing::Driver;
using Next = Session::Next;
using Codes = std::vector<int>;

SessionOptions Lmtp() {
  SessionOptions o;
  o.protocol = Protocol::kLmtp;
  o.hostname = "lmtp.test";
  o.max_message_bytes = 1000;
  return o;
}

TEST(LmtpSessionTest, GreetingAndLhlo) {
  Driver d(Lmtp());
  EXPECT_EQ(d.session.Greeting(), "220 lmtp.test LMTP Tayori\r\n");
  d.Feed("LHLO relay.example\r\n");
  // RFC 2033 §5: PIPELINING and ENHANCEDSTATUSCODES are required.
  EXPECT_NE(d.out.find("250-PIPELINING\r\n"), std::string::npos);
  EXPECT_NE(d.out.find("250 ENHANCEDSTATUSCODES\r\n"), std::string::npos);
  d.Feed("EHLO relay.example\r\nHELO relay.example\r\n");
  EXPECT_EQ(d.Lines(), (std::vector<std::string>{"500 5.5.1 this is an LMTP server: use LHLO",
                                                 "500 5.5.1 this is an LMTP server: use LHLO"}));
}

TEST(LmtpSessionTest, MailBeforeLhlo) {
  Driver d(Lmtp());
  d.Feed("MAIL FROM:<>\r\n");
  EXPECT_EQ(d.out, "503 5.5.1 send LHLO first\r\n");
}

TEST(LmtpSessionTest, OneReplyPerRecipientInOrder) {
  Driver d(Lmtp());
  d.Feed("LHLO r\r\nMAIL FROM:<>\r\nRCPT TO:<b+1.abcdefghij@bounce.example>\r\nRCPT TO:<fbl@platform.example>\r\n"
         "RCPT TO:<b+3.abcdefghij@bounce.example>\r\nDATA\r\n");
  EXPECT_EQ(d.Codes(), (Codes{250, 250, 250, 250, 250, 354}));
  EXPECT_EQ(d.Feed("x\r\n.\r\n"), Next::kDeliver);
  EXPECT_EQ(d.session.TakeMessage().recipients.size(), 3u);
  EXPECT_EQ(d.Delivered({Reply::Accepted(), Reply{550, "5.7.1 complaint from an unknown feedback loop"},
                         Reply::TryLater("database unavailable")}),
            Next::kRead);
  EXPECT_EQ(d.out,
            "250 2.0.0 message accepted\r\n550 5.7.1 complaint from an unknown feedback loop\r\n"
            "451 4.3.0 database unavailable\r\n");
}

// A recipient refused at RCPT gets no reply after DATA.
TEST(LmtpSessionTest, RefusedAtRcptIsNotAnsweredAgain) {
  Driver d(Lmtp());
  d.Feed("LHLO r\r\nMAIL FROM:<>\r\nRCPT TO:<b+1.abcdefghij@bounce.example>\r\nRCPT TO:<nobody@bounce.example>\r\n"
         "RCPT TO:<fbl@platform.example>\r\nDATA\r\nx\r\n.\r\n");
  EXPECT_EQ(d.Codes(), (Codes{250, 250, 250, 550, 250, 354}));
  EXPECT_EQ(d.session.TakeMessage().recipients.size(), 2u);
  d.Delivered({Reply::Accepted(), Reply::Accepted()});
  EXPECT_EQ(d.Codes(), (Codes{250, 250}));
}

TEST(LmtpSessionTest, MissingRepliesAre451) {
  Driver d(Lmtp());
  d.Feed("LHLO r\r\nMAIL FROM:<>\r\nRCPT TO:<b+1.abcdefghij@bounce.example>\r\nRCPT TO:<fbl@platform.example>\r\n"
         "DATA\r\nx\r\n.\r\n");
  d.session.TakeMessage();
  d.Delivered({Reply::Accepted()});
  EXPECT_EQ(d.Codes(), (Codes{250, 451}));
}

TEST(LmtpSessionTest, RefusedMessageIsAnsweredOncePerRecipient) {
  Driver d(Lmtp());
  d.Feed("LHLO r\r\nMAIL FROM:<>\r\nRCPT TO:<b+1.abcdefghij@bounce.example>\r\nRCPT TO:<fbl@platform.example>\r\n"
         "DATA\r\n");
  EXPECT_EQ(d.Feed(std::string(3000, 'q') + "\r\n.\r\n"), Next::kRead);
  EXPECT_EQ(d.Codes(), (Codes{552, 552}));
}

TEST(LmtpSessionTest, DataWithoutRecipientsIs503) {
  Driver d(Lmtp());
  d.Feed("LHLO r\r\nMAIL FROM:<>\r\nRCPT TO:<x@y.example>\r\nDATA\r\n");
  EXPECT_EQ(d.Lines().back(), "503 5.5.1 no valid recipients");
}

}  // namespace
}  // namespace tayori::inbound
