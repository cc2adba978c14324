#include "feedback/feedback_report.h"

#include <gtest/gtest.h>

namespace tayori::feedback {
namespace {

TEST(FeedbackReportTest, ReadsTheRfc5965Fields) {
  // RFC 5965 §B.1's example, with its addresses.
  FeedbackFields f = ReadFeedbackReport(
      "Feedback-Type: Abuse\r\nUser-Agent: SomeGenerator/1.0\r\nVersion: 1\r\n"
      "Original-Mail-From: <somespammer@example.net>\r\nOriginal-Rcpt-To: <user@example.com>\r\n"
      "Arrival-Date: Thu, 8 Mar 2005 14:00:00 EDT\r\nReporting-MTA: dns; mail.example.com\r\n"
      "Source-IP: 192.0.2.1\r\nRemoval-Recipient: user@example.com\r\n");
  EXPECT_EQ(f.feedback_type, "abuse");
  EXPECT_EQ(f.original_mail_from, "somespammer@example.net");
  EXPECT_EQ(f.original_rcpt_to, (std::vector<std::string>{"user@example.com"}));
  EXPECT_EQ(f.removal_recipient, (std::vector<std::string>{"user@example.com"}));
  EXPECT_EQ(f.reporting_mta, "mail.example.com");
  EXPECT_EQ(f.user_agent, "SomeGenerator/1.0");
}

TEST(FeedbackReportTest, RedactedRecipientsAreNoAddresses) {
  FeedbackFields f = ReadFeedbackReport("Feedback-Type: abuse\nOriginal-Rcpt-To: <redacted>\n");
  EXPECT_TRUE(f.original_rcpt_to.empty());
}

TEST(FeedbackReportTest, SeveralRecipientsAndGroups) {
  FeedbackFields f = ReadFeedbackReport("Feedback-Type: fraud\nOriginal-Rcpt-To: a@example.com\n\nOriginal-Rcpt-To: b@example.com\n");
  EXPECT_EQ(f.original_rcpt_to.size(), 2u);
}

TEST(FeedbackReportTest, ComplaintTypes) {
  for (const char* t : {"abuse", "fraud", "virus", "other", "opt-out", ""}) EXPECT_TRUE(IsComplaintType(t)) << t;
  EXPECT_FALSE(IsComplaintType("not-spam"));
  EXPECT_FALSE(IsComplaintType("auth-failure"));
}

}  // namespace
}  // namespace tayori::feedback
