#include "feedback/records.h"

#include <gtest/gtest.h>

namespace tayori::feedback {
namespace {

TEST(RecordsTest, OneRecordPerRecipient) {
  Report r;
  r.delivery_id = 9;
  RecipientReport hard;
  hard.type = FeedbackType::kBounce;
  hard.recipient = "a@example.com";
  hard.status = "5.1.1";
  hard.reply_code = "550";
  hard.action = "failed";
  hard.diagnostic = "550 5.1.1 gone";
  hard.classification = smtp::ClassifyBounce("5.1.1", 550, "gone");
  RecipientReport delay = hard;
  delay.type = FeedbackType::kDelay;
  delay.status = "4.2.2";
  delay.classification = smtp::ClassifyBounce("4.2.2", 452, "full");
  r.recipients = {hard, delay};
  auto records = ToRecords(r, "x.eml");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].file, "x.eml");
  EXPECT_EQ(records[0].type, "bounce");
  EXPECT_TRUE(records[0].hard);
  EXPECT_EQ(records[0].category, "unknown_user");
  EXPECT_EQ(records[0].delivery_id, 9u);
  EXPECT_EQ(records[0].effect, "bounce_and_suppress");
  EXPECT_EQ(records[1].type, "delay");
  EXPECT_FALSE(records[1].hard);
  EXPECT_EQ(records[1].category, "mailbox_full");
  EXPECT_EQ(records[1].effect, "record");
}

TEST(RecordsTest, NoRecipientGivesOneNotFeedbackLine) {
  Report r;
  r.disposition = Disposition::kRefused;
  r.reason = "too big";
  auto records = ToRecords(r, "big.eml");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].type, "not-feedback");
  EXPECT_EQ(records[0].reason, "too big");
  EXPECT_FALSE(records[0].delivery_id);
  EXPECT_EQ(records[0].effect, "none");
}

TEST(RecordsTest, ComplaintsAndAuthenticationFailures) {
  Report r;
  r.feedback_type = "abuse";
  RecipientReport c;
  c.type = FeedbackType::kComplaint;
  RecipientReport auth;
  auth.type = FeedbackType::kBounce;
  auth.classification = smtp::ClassifyBounce("5.7.26", 550, "unauthenticated");
  r.recipients = {c, auth};
  auto records = ToRecords(r, "c.eml");
  EXPECT_EQ(records[0].category, "complaint");
  EXPECT_EQ(records[0].feedback_type, "abuse");
  EXPECT_EQ(records[0].effect, "suppress_for_shop");
  EXPECT_EQ(records[1].category, "authentication");
  EXPECT_EQ(records[1].effect, "pause_sender_domain");
}

TEST(RecordsTest, TypeNames) {
  EXPECT_EQ(FeedbackTypeName(FeedbackType::kAutoReply), "auto-reply");
  EXPECT_EQ(FeedbackTypeName(FeedbackType::kDelivered), "delivered");
  RecipientReport d;
  d.type = FeedbackType::kDelay;
  d.classification = smtp::ClassifyBounce("4.7.26", 450, "unauthenticated");
  EXPECT_EQ(EffectOf(d), Effect::kRecord);  // a delay is recorded only, whatever it says
}

}  // namespace
}  // namespace tayori::feedback
