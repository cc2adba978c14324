#include "feedback/text_bounce.h"

#include <gtest/gtest.h>

namespace tayori::feedback {
namespace {

const Fields kDaemon = {{"From", "MAILER-DAEMON@mx.example.com"}, {"Subject", "Undelivered Mail"}};

TEST(TextBounceTest, TheGateNeedsABounceSenderSubjectOrHeader) {
  EXPECT_TRUE(LooksLikeBounce({{"From", "Mail Delivery System <Mailer-Daemon@mx.example.com>"}}));
  EXPECT_TRUE(LooksLikeBounce({{"From", "postmaster@example.com"}}));
  EXPECT_TRUE(LooksLikeBounce({{"Subject", "Undeliverable: hello"}}));
  EXPECT_TRUE(LooksLikeBounce({{"Subject", "failure notice"}}));
  EXPECT_TRUE(LooksLikeBounce({{"X-Failed-Recipients", "a@example.com"}}));
  EXPECT_FALSE(LooksLikeBounce({{"From", "reader@example.com"}, {"Subject", "Re: newsletter"}}));
}

TEST(TextBounceTest, QmailRecipientsAndDiagnostics) {
  auto t = ReadTextBounce(kDaemon,
                          "Hi. This is the qmail-send program at q.example.net.\n\n"
                          "<a@example.net>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n"
                          "<b@example.net>:\n192.0.2.1 does not like recipient.\nRemote host said: 552 mailbox full\n\n"
                          "--- Below this line is a copy of the message.\n\nReturn-Path: <x@example.com>\n",
                          10);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->format, "qmail");
  ASSERT_EQ(t->recipients.size(), 2u);
  EXPECT_EQ(t->recipients[0].recipient, "a@example.net");
  EXPECT_EQ(t->recipients[0].diagnostic, "Sorry, no mailbox here by that name. (#5.1.1)");
  EXPECT_EQ(t->recipients[1].diagnostic, "192.0.2.1 does not like recipient. Remote host said: 552 mailbox full");
  ASSERT_NE(t->returned_at, std::string_view::npos);
}

TEST(TextBounceTest, ReturnedMessageLinesAreNeverRecipients) {
  // An address line after the separator belongs to the returned message.
  auto t = ReadTextBounce(kDaemon,
                          "Hi. This is the qmail-send program at q.example.net.\n\n<a@example.net>:\nno mailbox\n\n"
                          "--- Below this line is a copy of the message.\n\n<c@example.net>: quoted\n",
                          10);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->recipients.size(), 1u);
}

TEST(TextBounceTest, PostfixContinuationLinesJoinTheDiagnostic) {
  auto t = ReadTextBounce(kDaemon,
                          "This is the mail system at host mx.example.com.\n\n"
                          "<a@example.com> (expanded from <list@example.com>): host mx[192.0.2.1] said: 550 5.1.1\n"
                          "    <a@example.com>: Recipient address rejected: User unknown (in reply to RCPT TO\n"
                          "    command)\n",
                          10);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->format, "postfix");
  ASSERT_EQ(t->recipients.size(), 1u);
  EXPECT_EQ(t->recipients[0].recipient, "a@example.com");
  EXPECT_EQ(t->recipients[0].diagnostic,
            "host mx[192.0.2.1] said: 550 5.1.1 <a@example.com>: Recipient address rejected: User unknown (in reply "
            "to RCPT TO command)");
}

TEST(TextBounceTest, AngleLinesNeedTheGateOrTheirSentences) {
  EXPECT_FALSE(ReadTextBounce({{"From", "friend@example.com"}}, "<a@example.com>: said hello\n", 10));
  EXPECT_TRUE(ReadTextBounce(kDaemon, "<a@example.com>: 550 no such user\n", 10));
}

TEST(TextBounceTest, EximListsAtTwoSpacesAndSkipsTheSender) {
  auto t = ReadTextBounce(kDaemon,
                          "This message was created automatically by mail delivery software.\n\n"
                          "A message sent by\n\n  <sender@example.com>\n\n"
                          "could not be delivered to one or more of its recipients. The following\naddress(es) failed:\n\n"
                          "  a@example.co.uk\n    Unrouteable address\n  b@example.co.uk: forced freeze\n",
                          10);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->format, "exim");
  ASSERT_EQ(t->recipients.size(), 2u);
  EXPECT_EQ(t->recipients[0].diagnostic, "Unrouteable address");
  EXPECT_EQ(t->recipients[1].recipient, "b@example.co.uk");
  EXPECT_EQ(t->recipients[1].diagnostic, "forced freeze");
  EXPECT_FALSE(t->recipients[0].delayed);
}

TEST(TextBounceTest, EximDelayWarning) {
  auto t = ReadTextBounce({{"Subject", "Warning: message 1abc delayed 24 hours"}},
                          "This message was created automatically by mail delivery software.\n"
                          "A message that you sent has not yet been delivered to one or more of its\n"
                          "recipients after more than 24 hours on the queue on mx.example.com.\n\n"
                          "  a@example.com\n    Delay reason: 451 4.3.0 try later\n",
                          10);
  ASSERT_TRUE(t);
  ASSERT_EQ(t->recipients.size(), 1u);
  EXPECT_TRUE(t->recipients[0].delayed);
}

TEST(TextBounceTest, SendmailSummaryWithTheRemoteReply) {
  auto t = ReadTextBounce(kDaemon,
                          "   ----- The following addresses had permanent fatal errors -----\n<a@example.com>\n"
                          "    (reason: 550 5.1.1 User unknown)\n    (expanded from: <list@example.com>)\n\n"
                          "   ----- Transcript of session follows -----\n>>> RCPT To:<a@example.com>\n"
                          "<<< 550 5.1.1 <a@example.com>... User unknown at the remote\n"
                          "550 5.1.1 <a@example.com>... User unknown\n",
                          10);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->format, "sendmail");
  ASSERT_EQ(t->recipients.size(), 1u);
  EXPECT_EQ(t->recipients[0].diagnostic, "550 5.1.1 <a@example.com>... User unknown at the remote 550 5.1.1 User unknown");
}

TEST(TextBounceTest, ExchangeAndGmailAndOpenSmtpdAndAu) {
  auto ex = ReadTextBounce(kDaemon,
                           "Diagnostic information for administrators:\n\nGenerating server: ex.example.com\n\n"
                           "a@example.com\n#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##\n",
                           10);
  ASSERT_TRUE(ex);
  EXPECT_EQ(ex->format, "exchange");
  EXPECT_EQ(ex->recipients[0].diagnostic, "#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##");

  auto gm = ReadTextBounce(kDaemon,
                           "Delivery to the following recipient has been delayed:\n\n     a@example.jp\n\n"
                           "Message will be retried for 2 more day(s)\n",
                           10);
  ASSERT_TRUE(gm);
  EXPECT_EQ(gm->format, "gmail");
  EXPECT_TRUE(gm->recipients[0].delayed);

  auto os = ReadTextBounce(kDaemon,
                           "    This is the MAILER-DAEMON, please DO NOT REPLY to this e-mail.\n\n"
                           "a@example.net: 550 5.2.2 Mailbox Full\n",
                           10);
  ASSERT_TRUE(os);
  EXPECT_EQ(os->format, "opensmtpd");
  EXPECT_EQ(os->recipients[0].diagnostic, "550 5.2.2 Mailbox Full");

  auto au = ReadTextBounce({{"From", "no-reply@.au.example.ne.jp"}},
                           "Your mail sent on: Tue, 14 May 2024 10:00:00 +0900\n"
                           "    Could not be delivered to: <a@au.example.ne.jp>\n    As their mailbox is full.\n",
                           10);
  ASSERT_TRUE(au);
  EXPECT_EQ(au->format, "au");
  EXPECT_EQ(au->recipients[0].diagnostic, "As their mailbox is full.");
}

TEST(TextBounceTest, XFailedRecipientsIsTheLastResort) {
  auto t = ReadTextBounce({{"X-Failed-Recipients", "a@example.com, b@example.com"}},
                          "Some relay wrote this.\nThe error was: 550 5.1.1 gone\n", 10);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->format, "x-failed-recipients");
  ASSERT_EQ(t->recipients.size(), 2u);
  EXPECT_EQ(t->recipients[1].recipient, "b@example.com");
  EXPECT_EQ(t->recipients[1].diagnostic, "The error was: 550 5.1.1 gone");
}

TEST(TextBounceTest, RecipientsBeyondTheCapAreCountedOnce) {
  std::string body = "Hi. This is the qmail-send program at q.example.net.\n\n";
  for (int i = 0; i < 50; ++i) body += "<r" + std::to_string(i) + "@example.net>:\nno mailbox\n\n";
  body += "<r0@example.net>:\nnamed twice\n\n";
  auto t = ReadTextBounce(kDaemon, body, 10);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->recipients.size(), 10u);
  EXPECT_EQ(t->omitted, 40u);
}

TEST(TextBounceTest, NothingFoundInOrdinaryText) {
  EXPECT_FALSE(ReadTextBounce(kDaemon, "Hello,\nthanks for the newsletter.\n", 10));
  EXPECT_FALSE(ReadTextBounce({}, "", 10));
}

}  // namespace
}  // namespace tayori::feedback
