// The SMTP session (RFC 5321) as a pure state machine: every command, the
// reply codes, pipelining, DATA and its limits. LMTP is in
// session_lmtp_test.cpp.
#include "inbound/session.h"

#include <gtest/gtest.h>

#include "inbound/session_testing.h"

namespace tayori::inbound {
namespace {

using testing::Driver;
using Next = Session::Next;
using Codes = std::vector<int>;

constexpr const char* kEnvelope =
    "EHLO mta.example\r\nMAIL FROM:<>\r\nRCPT TO:<b+1.abcdefghij@bounce.example>\r\nDATA\r\n";

SessionOptions Small() {
  SessionOptions o;
  o.hostname = "mx.test";
  o.max_message_bytes = 1000;
  return o;
}

TEST(SessionTest, GreetingAndEhloAdvertiseWhatIsOffered) {
  Driver d(Small());
  EXPECT_EQ(d.session.Greeting(), "220 mx.test ESMTP Tayori\r\n");
  EXPECT_EQ(d.Feed("EHLO mta.example\r\n"), Next::kRead);
  EXPECT_EQ(d.out,
            "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n"
            "250 ENHANCEDSTATUSCODES\r\n");
  EXPECT_EQ(d.out.find("AUTH"), std::string::npos);
  EXPECT_EQ(d.out.find("STARTTLS"), std::string::npos);
  EXPECT_EQ(d.session.helo(), "mta.example");
  d.Feed("HELO other.example\r\n");
  EXPECT_EQ(d.out, "250 mx.test\r\n");
  d.Feed("EHLO\r\n");
  EXPECT_EQ(d.out, "501 5.5.4 syntax: EHLO hostname\r\n");
  d.Feed("LHLO x\r\n");
  EXPECT_EQ(d.Codes(), Codes{500});
}

TEST(SessionTest, WholeTransactionHandsOverTheMessage) {
  Driver d(Small());
  EXPECT_EQ(d.Feed("EHLO mta.example\r\n"), Next::kRead);
  EXPECT_EQ(d.Feed("MAIL FROM:<>\r\n"), Next::kRead);
  EXPECT_EQ(d.out, "250 2.1.0 Ok\r\n");
  EXPECT_EQ(d.Feed("RCPT TO:<b+1.abcdefghij@bounce.example>\r\n"), Next::kRead);
  EXPECT_EQ(d.out, "250 2.1.5 Ok\r\n");
  EXPECT_EQ(d.Feed("RCPT TO:<fbl@platform.example>\r\n"), Next::kRead);
  EXPECT_EQ(d.Feed("DATA\r\n"), Next::kRead);
  EXPECT_EQ(d.out, "354 end data with <CR><LF>.<CR><LF>\r\n");
  EXPECT_EQ(d.Feed("Subject: report\r\n\r\nbody\r\n"), Next::kRead);
  EXPECT_EQ(d.out, "");
  EXPECT_EQ(d.Feed(".\r\n"), Next::kDeliver);
  EXPECT_EQ(d.out, "");  // no reply before the caller has committed
  Message m = d.session.TakeMessage();
  EXPECT_EQ(m.sender, "");
  ASSERT_EQ(m.recipients.size(), 2u);
  EXPECT_EQ(m.recipients[0].address, "b+1.abcdefghij@bounce.example");
  EXPECT_EQ(m.recipients[0].kind, RecipientKind::kBounce);
  EXPECT_EQ(m.recipients[1].kind, RecipientKind::kComplaint);
  EXPECT_EQ(m.data, "Subject: report\r\n\r\nbody\r\n");
  EXPECT_EQ(m.helo, "mta.example");
  EXPECT_EQ(d.Feed("NOOP\r\n"), Next::kWait);  // kept until the reply
  EXPECT_EQ(d.out, "");
  EXPECT_EQ(d.Delivered({Reply::Accepted(), Reply::Accepted()}), Next::kRead);
  EXPECT_EQ(d.out, "250 2.0.0 message accepted\r\n250 2.0.0 Ok\r\n");
  EXPECT_TRUE(d.session.idle());
}

TEST(SessionTest, PipelinedCommandsAreAnsweredInOrder) {
  Driver d(Small());
  EXPECT_EQ(d.Feed("EHLO a\r\nMAIL FROM:<x@y> SIZE=10\r\nRCPT TO:<b+1.abcdefghij@bounce.example>\r\n"
                   "RCPT TO:<someone@else.example>\r\nDATA\r\n"),
            Next::kRead);
  EXPECT_EQ(d.Codes(), (Codes{250, 250, 250, 550, 354}));
  EXPECT_NE(d.out.find("550 5.1.1 <someone@else.example>: recipient address rejected: not a bounce or complaint "
                       "address\r\n"),
            std::string::npos)
      << d.out;
}

// A pipelining client may send the next transaction right behind the
// message (against RFC 2920, but it happens): nothing of it is answered
// before the message's own reply.
TEST(SessionTest, InputAfterTheMessageWaitsForItsReply) {
  Driver d(Small());
  d.Feed(kEnvelope);
  EXPECT_EQ(d.Feed("one\r\n.\r\nMAIL FROM:<>\r\nRCPT TO:<b+2.abcdefghij@bounce.example>\r\nDATA\r\ntwo\r\n.\r\nQU"),
            Next::kDeliver);
  EXPECT_EQ(d.out, "");
  EXPECT_EQ(d.session.TakeMessage().data, "one\r\n");
  EXPECT_EQ(d.Feed("IT\r\n"), Next::kWait);
  EXPECT_EQ(d.Delivered({Reply::Accepted()}), Next::kDeliver);
  EXPECT_EQ(d.Codes(), (Codes{250, 250, 250, 354}));
  EXPECT_EQ(d.session.TakeMessage().data, "two\r\n");
  EXPECT_EQ(d.Delivered({Reply::TryLater("database unavailable")}), Next::kClose);
  EXPECT_EQ(d.out, "451 4.3.0 database unavailable\r\n221 2.0.0 mx.test closing connection\r\n");
}

TEST(SessionTest, OneByteAtATimeGivesTheSameReplies) {
  const std::string wire = std::string(kEnvelope) + "a\r\n..b\r\n.\r\n";
  Driver whole(Small()), bytewise(Small());
  EXPECT_EQ(whole.Feed(wire), Next::kDeliver);
  std::string all;
  Next last = Next::kRead;
  for (char c : wire) {
    last = bytewise.Feed(std::string_view(&c, 1));
    all += bytewise.out;
  }
  EXPECT_EQ(last, Next::kDeliver);
  EXPECT_EQ(all, whole.out);
  EXPECT_EQ(bytewise.session.TakeMessage().data, "a\r\n.b\r\n");
}

TEST(SessionTest, ProgressCountsCompleteCommandsNotBytes) {
  Driver d(Small());
  EXPECT_EQ(d.session.progress(), 0u);
  d.Feed("NO");
  EXPECT_EQ(d.session.progress(), 0u);
  d.Feed("OP\r\n");
  EXPECT_EQ(d.session.progress(), 1u);
  d.Feed("NOOP\r\nNOOP\r\n");
  EXPECT_EQ(d.session.progress(), 3u);
}

TEST(SessionTest, AClientThatSendsNothingGetsNothing) {
  Driver d(Small());
  EXPECT_EQ(d.Feed(""), Next::kRead);
  EXPECT_EQ(d.out, "");
  EXPECT_TRUE(d.session.idle());
  EXPECT_EQ(d.session.progress(), 0u);
}

TEST(SessionTest, SizeOverTheLimitIsRefusedAtMail) {
  Driver d(Small());
  d.Feed("EHLO a\r\nMAIL FROM:<> SIZE=1001\r\n");
  EXPECT_EQ(d.Lines().back(), "552 5.3.4 message size exceeds fixed maximum message size (1000 bytes)");
  d.Feed("MAIL FROM:<> SIZE=99999999999999999999999\r\n");
  EXPECT_EQ(d.Codes(), Codes{552});
  d.Feed("MAIL FROM:<> SIZE=12x\r\n");
  EXPECT_EQ(d.Codes(), Codes{501});
  d.Feed("MAIL FROM:<> SIZE=1000\r\n");
  EXPECT_EQ(d.Codes(), Codes{250});
}

TEST(SessionTest, MessageOverTheLimitIsReadToItsEndAndRefused) {
  Driver d(Small());
  d.Feed(kEnvelope);
  std::string line(78, 'z');
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(d.Feed(line + "\r\n"), Next::kRead);
    EXPECT_LE(d.session.buffered_bytes(), 4000u);
  }
  EXPECT_EQ(d.Feed(".\r\n"), Next::kRead);
  EXPECT_EQ(d.out, "552 5.3.4 message too large (8000 bytes; the limit is 1000)\r\n");
  // The session is sane afterwards: the next transaction goes through.
  EXPECT_EQ(d.Feed("MAIL FROM:<>\r\nRCPT TO:<b+1.abcdefghij@bounce.example>\r\nDATA\r\nsmall\r\n.\r\n"),
            Next::kDeliver);
  EXPECT_EQ(d.session.TakeMessage().data, "small\r\n");
}

TEST(SessionTest, DeclaredSizeWithinTheLimitDoesNotLetMoreIn) {
  Driver d(Small());
  d.Feed("EHLO a\r\nMAIL FROM:<> SIZE=10\r\nRCPT TO:<b+1.abcdefghij@bounce.example>\r\nDATA\r\n");
  EXPECT_EQ(d.Feed(std::string(1200, 'y') + "\r\n.\r\n"), Next::kRead);
  EXPECT_EQ(d.Codes(), Codes{552});
}

TEST(SessionTest, OverlongTextLineRefusesTheMessageAndTheSessionGoesOn) {
  SessionOptions o = Small();
  o.max_message_bytes = 1 << 20;
  Driver d(o);
  d.Feed(kEnvelope);
  EXPECT_EQ(d.Feed(std::string(999, 'l') + "\r\n.\r\n"), Next::kRead);
  EXPECT_EQ(d.out, "554 5.6.0 message refused: a line is longer than 1000 octets (RFC 5321 section 4.5.3.1.6)\r\n");
  EXPECT_EQ(d.Feed("NOOP\r\n"), Next::kRead);
  EXPECT_EQ(d.Codes(), Codes{250});
}

TEST(SessionTest, OverlongCommandLineIs500AndTheSessionGoesOn) {
  Driver d(Small());
  std::string longline = "NOOP " + std::string(600, 'n') + "\r\n";
  d.Feed(longline.substr(0, 300));
  EXPECT_LE(d.session.buffered_bytes(), 1024u);
  d.Feed(longline.substr(300));
  EXPECT_EQ(d.out, "500 5.5.2 line too long (limit 512 octets)\r\n");
  d.Feed("NOOP " + std::string(505, 'n') + "\r\n");  // 512 with the CRLF: allowed
  EXPECT_EQ(d.Codes(), Codes{250});
  d.Feed("NOOP\r\n");
  EXPECT_EQ(d.Codes(), Codes{250});
}

TEST(SessionTest, RsetNoopVrfyHelpQuit) {
  Driver d(Small());
  d.Feed("EHLO a\r\nMAIL FROM:<>\r\nRCPT TO:<b+1.abcdefghij@bounce.example>\r\nRSET\r\nDATA\r\n");
  EXPECT_EQ(d.Codes(), (Codes{250, 250, 250, 250, 503}));
  d.Feed("NOOP\r\nVRFY postmaster\r\nHELP\r\n");
  EXPECT_EQ(d.Codes(), (Codes{250, 252, 214}));
  EXPECT_EQ(d.Feed("QUIT\r\nNOOP\r\n"), Next::kClose);
  EXPECT_EQ(d.out, "221 2.0.0 mx.test closing connection\r\n");
  EXPECT_EQ(d.Feed("NOOP\r\n"), Next::kClose);
  EXPECT_EQ(d.out, "");
}

TEST(SessionTest, UnknownAndWithheldCommands) {
  Driver d(Small());
  d.Feed("FOO\r\nSTARTTLS\r\nAUTH PLAIN AGEAYg==\r\nEXPN list\r\nBDAT 10 LAST\r\n\r\n");
  EXPECT_EQ(d.Codes(), (Codes{500, 502, 502, 502, 502, 500}));
  d.Feed(std::string("NO\0OP\r\n", 7));
  EXPECT_EQ(d.Codes(), Codes{500});
}

TEST(SessionTest, CommandsOutOfSequence) {
  Driver d(Small());
  d.Feed("MAIL FROM:<>\r\n");
  EXPECT_EQ(d.out, "503 5.5.1 send EHLO first\r\n");
  d.Feed("EHLO a\r\nRCPT TO:<b+1.abcdefghij@bounce.example>\r\nDATA\r\n");
  EXPECT_EQ(d.Codes(), (Codes{250, 503, 503}));
  d.Feed("MAIL FROM:<>\r\nMAIL FROM:<>\r\nDATA\r\n");
  EXPECT_EQ(d.Codes(), (Codes{250, 503, 554}));  // no valid recipients
  d.Feed("DATA now\r\n");
  EXPECT_EQ(d.Codes(), Codes{501});
}

// EHLO in the middle of a transaction ends it (RFC 5321 §4.1.4).
TEST(SessionTest, HelloResetsTheTransaction) {
  Driver d(Small());
  d.Feed("EHLO a\r\nMAIL FROM:<>\r\nEHLO b\r\nRCPT TO:<b+1.abcdefghij@bounce.example>\r\n");
  EXPECT_EQ(d.Codes(), (Codes{250, 250, 250, 503}));
}

TEST(SessionTest, AddressAndParameterErrors) {
  Driver d(Small());
  d.Feed("EHLO a\r\nMAIL FROM:a@b\r\nMAIL FROM:<a b@c>\r\nMAIL FROM:<> AUTH=<>\r\nMAIL FROM:<> BODY=BINARYMIME\r\n");
  EXPECT_EQ(d.Lines(), (std::vector<std::string>{
                           "250-mx.test", "250-PIPELINING", "250-SIZE 1000", "250-8BITMIME", "250-SMTPUTF8",
                           "250 ENHANCEDSTATUSCODES", "501 5.5.4 syntax: MAIL FROM:<address>",
                           "501 5.1.7 bad sender address syntax", "555 5.5.4 unsupported parameter AUTH",
                           "555 5.5.4 unsupported BODY type"}));
  d.Feed("MAIL FROM:<a@b> BODY=8bitmime SMTPUTF8\r\nRCPT TO:<>\r\nRCPT TO:b+1@bounce.example\r\n"
         "RCPT TO:<b+1.abcdefghij@bounce.example> NOTIFY=NEVER\r\n");
  EXPECT_EQ(d.Lines(), (std::vector<std::string>{"250 2.1.0 Ok", "501 5.1.3 bad recipient address syntax",
                                                 "501 5.5.4 syntax: RCPT TO:<address>",
                                                 "555 5.5.4 unsupported parameter NOTIFY"}));
}

TEST(SessionTest, RecipientLimit) {
  SessionOptions o = Small();
  o.max_recipients = 2;
  Driver d(o);
  d.Feed("EHLO a\r\nMAIL FROM:<>\r\n");
  d.Feed("RCPT TO:<b+1.abcdefghij@bounce.example>\r\nRCPT TO:<b+2.abcdefghij@bounce.example>\r\n"
         "RCPT TO:<b+3.abcdefghij@bounce.example>\r\n");
  EXPECT_EQ(d.Codes(), (Codes{250, 250, 452}));
  EXPECT_EQ(d.Lines().back(), "452 4.5.3 too many recipients");
}

TEST(SessionTest, TooManyErrorsCloseTheSession) {
  Driver d(Small());
  std::string junk;
  for (int i = 0; i < kMaxErrors + 5; ++i) junk += "GET / HTTP/1.1\r\n";
  EXPECT_EQ(d.Feed(junk), Next::kClose);
  Codes codes = d.Codes();
  ASSERT_EQ(codes.size(), static_cast<size_t>(kMaxErrors + 1));
  EXPECT_EQ(d.Lines().back(), "421 4.7.0 mx.test too many errors, closing connection");
}

TEST(SessionTest, RefusedRecipientsCountAsErrors) {
  Driver d(Small());
  d.Feed("EHLO a\r\nMAIL FROM:<>\r\n");
  std::string guesses;
  for (int i = 0; i < kMaxErrors; ++i) guesses += "RCPT TO:<user" + std::to_string(i) + "@bounce.example>\r\n";
  EXPECT_EQ(d.Feed(guesses), Next::kClose);
}

TEST(SessionTest, StorageFullDefersData) {
  Driver d(Small());
  d.session.set_storage_available(false);
  d.Feed(kEnvelope);
  EXPECT_EQ(d.Lines().back(), "452 4.3.1 insufficient system storage, try again later");
  d.session.set_storage_available(true);
  d.Feed("DATA\r\n");
  EXPECT_EQ(d.Codes(), Codes{354});
}

TEST(SessionTest, MailLoopIsRefused) {
  SessionOptions o = Small();
  o.max_message_bytes = 1 << 20;
  Driver d(o);
  d.Feed(kEnvelope);
  std::string header;
  for (int i = 0; i <= kMaxReceivedFields; ++i) header += "Received: from hop" + std::to_string(i) + "\r\n";
  EXPECT_EQ(d.Feed(header + "\r\nbody\r\n.\r\n"), Next::kRead);
  EXPECT_EQ(d.out, "554 5.4.6 mail loop: more than 100 Received header fields\r\n");
  // Received fields of a returned message (after the header) do not count.
  d.Feed("MAIL FROM:<>\r\nRCPT TO:<b+1.abcdefghij@bounce.example>\r\nDATA\r\n");
  EXPECT_EQ(d.Feed("Subject: bounce\r\n\r\n" + header + ".\r\n"), Next::kDeliver);
}

TEST(SessionTest, SmtpGivesOneReplyForAllRecipients) {
  Driver d(Small());
  d.Feed("EHLO a\r\nMAIL FROM:<>\r\nRCPT TO:<b+1.abcdefghij@bounce.example>\r\nRCPT TO:<fbl@platform.example>\r\n"
         "DATA\r\nx\r\n.\r\n");
  d.session.TakeMessage();
  EXPECT_EQ(d.Delivered({Reply::Accepted(), Reply::TryLater("database unavailable")}), Next::kRead);
  EXPECT_EQ(d.out, "451 4.3.0 database unavailable\r\n");
  d.Feed("MAIL FROM:<>\r\nRCPT TO:<b+1.abcdefghij@bounce.example>\r\nDATA\r\nx\r\n.\r\n");
  d.session.TakeMessage();
  d.Delivered({});  // the caller's bug: no replies at all
  EXPECT_EQ(d.Codes(), Codes{451});
}

TEST(SessionTest, DeliveredWithoutAPendingMessageChangesNothing) {
  Driver d(Small());
  EXPECT_EQ(d.Delivered({Reply::Accepted()}), Next::kRead);
  EXPECT_EQ(d.out, "");
}

}  // namespace
}  // namespace tayori::inbound
