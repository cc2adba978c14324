#include "feedback/delivery_status.h"

#include <gtest/gtest.h>

namespace tayori::feedback {
namespace {

TEST(DeliveryStatusTest, ReadsPerMessageAndPerRecipientFields) {
  DeliveryStatus d = ReadDeliveryStatus(
      "Reporting-MTA: dns; mx.example.com\n"
      "X-Postfix-Sender: rfc822; bounces+7.abcdefghij@bounce.example\n\n"
      "Final-Recipient: rfc822; final@example.com\n"
      "Original-Recipient: rfc822;original@example.com\n"
      "Action: Failed\n"
      "Status: 5.1.1 (unknown user)\n"
      "Diagnostic-Code: smtp; 550 5.1.1 <final@example.com>:\n    User unknown\n",
      10);
  EXPECT_EQ(d.reporting_mta, "mx.example.com");
  EXPECT_EQ(d.sender, "bounces+7.abcdefghij@bounce.example");
  ASSERT_EQ(d.recipients.size(), 1u);
  EXPECT_EQ(d.recipients[0].recipient, "original@example.com");  // what Tayori sent to
  EXPECT_EQ(d.recipients[0].action, "failed");
  EXPECT_EQ(d.recipients[0].status, "5.1.1");
  EXPECT_EQ(d.recipients[0].diagnostic, "550 5.1.1 <final@example.com>: User unknown");
}

TEST(DeliveryStatusTest, FinalRecipientWhenThereIsNoOriginal) {
  DeliveryStatus d = ReadDeliveryStatus("Reporting-MTA: dns; x\n\nFinal-Recipient: rfc822; a@example.com\nAction: delayed\n", 10);
  ASSERT_EQ(d.recipients.size(), 1u);
  EXPECT_EQ(d.recipients[0].recipient, "a@example.com");
  EXPECT_EQ(d.recipients[0].status, "");
}

TEST(DeliveryStatusTest, MissingBlankLinesStillSeparateRecipients) {
  // Amazon SES-like: no blank line after the per-message group; another
  // MTA runs two recipients together.
  DeliveryStatus d = ReadDeliveryStatus(
      "Reporting-MTA: dns; x\nFinal-Recipient: rfc822; a@example.com\nAction: failed\nStatus: 5.1.1\n"
      "Final-Recipient: rfc822; b@example.com\nAction: delayed\nStatus: 4.2.2\n",
      10);
  ASSERT_EQ(d.recipients.size(), 2u);
  EXPECT_EQ(d.recipients[0].recipient, "a@example.com");
  EXPECT_EQ(d.recipients[0].action, "failed");
  EXPECT_EQ(d.recipients[1].recipient, "b@example.com");
  EXPECT_EQ(d.recipients[1].status, "4.2.2");
}

TEST(DeliveryStatusTest, GroupsWithoutARecipientAreNotRecipients) {
  DeliveryStatus d = ReadDeliveryStatus("Reporting-MTA: dns; x\n\nAction: failed\nStatus: 5.1.1\n\n", 10);
  EXPECT_TRUE(d.recipients.empty());
  EXPECT_EQ(d.omitted, 0u);
}

TEST(DeliveryStatusTest, RecipientsBeyondTheCapAreCounted) {
  std::string text = "Reporting-MTA: dns; x\n";
  for (int i = 0; i < 10000; ++i)
    text += "\nFinal-Recipient: rfc822; r" + std::to_string(i) + "@example.com\nAction: failed\nStatus: 5.1.1\n";
  DeliveryStatus d = ReadDeliveryStatus(text, 100);
  EXPECT_EQ(d.recipients.size(), 100u);
  EXPECT_EQ(d.omitted, 9900u);
  EXPECT_EQ(d.recipients[99].recipient, "r99@example.com");
}

TEST(DeliveryStatusTest, GlobalDsnAddresses) {
  DeliveryStatus d = ReadDeliveryStatus(
      "Reporting-MTA: dns; mx.例え.example\n\nFinal-Recipient: utf-8; 読者@例え.example\nAction: failed\nStatus: 5.1.1\n", 10);
  ASSERT_EQ(d.recipients.size(), 1u);
  EXPECT_EQ(d.recipients[0].recipient, "読者@例え.example");
  EXPECT_EQ(d.reporting_mta, "mx.例え.example");
}

}  // namespace
}  // namespace tayori::feedback
