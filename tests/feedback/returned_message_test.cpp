#include "feedback/returned_message.h"

#include <gtest/gtest.h>

namespace tayori::feedback {
namespace {

TEST(ReturnedMessageTest, Candidates) {
  ReturnedMessage r = FromReturnedHeaders({
      {"Return-Path", "<bounces+7.abcdefghij@bounce.example>"},
      {"Message-ID", "<abc123@shop.example>"},
      {"List-Unsubscribe", "<https://u.example/u/k1.AQEqB6sE6QflifInn6fmYAZQVOfFCgbH>, <mailto:u@bounce.example>"},
      {"Feedback-ID", "1001:42:newsletter:tayori01"},
      {"To", "reader@example.com"},
  });
  EXPECT_TRUE(r.present);
  EXPECT_EQ(r.return_path, "bounces+7.abcdefghij@bounce.example");
  EXPECT_EQ(r.message_id, "<abc123@shop.example>");
  EXPECT_EQ(r.unsubscribe_token, "k1.AQEqB6sE6QflifInn6fmYAZQVOfFCgbH");
  EXPECT_EQ(r.feedback_id, "1001:42:newsletter:tayori01");
  EXPECT_EQ(r.to, "reader@example.com");
  EXPECT_FALSE(FromReturnedHeaders({}).present);
}

TEST(ReturnedMessageTest, MessageIdGetsItsBrackets) {
  EXPECT_EQ(FromReturnedHeaders({{"Message-ID", "abc@shop.example"}}).message_id, "<abc@shop.example>");
  EXPECT_EQ(FromReturnedHeaders({{"Message-ID", "junk with spaces"}}).message_id, "");
}

TEST(ReturnedMessageTest, UnsubscribeTokenShapes) {
  EXPECT_EQ(UnsubscribeTokenIn("<https://u.example/unsub?t=k1.AQEqB6sE6QflifInn6fmYAZQVOfFCgbH&x=1>"),
            "k1.AQEqB6sE6QflifInn6fmYAZQVOfFCgbH");
  EXPECT_EQ(UnsubscribeTokenIn("<mailto:u@example.com?subject=k1.AQEqB6sE6QflifInn6fmYAZQVOfFCgbH>"), "");
  EXPECT_EQ(UnsubscribeTokenIn("<https://u.example/u/not-a-token>"), "");
  EXPECT_EQ(UnsubscribeTokenIn("<https://u.example/u/>, <https://other.example/u/k1.AQEqB6sE6QflifInn6fmYAZQVOfFCgbH>"), "");
  EXPECT_EQ(UnsubscribeTokenIn("<https://u.example/u/k1.AQEq B6sE>"), "");
  EXPECT_EQ(UnsubscribeTokenIn(""), "");
}

TEST(ReturnedMessageTest, DeliveryReportsAreLoops) {
  EXPECT_NE(DeliveryReportSignal({}, "multipart/report", "delivery-status"), "");
  EXPECT_NE(DeliveryReportSignal({{"Return-Path", "<>"}}, "text/plain", ""), "");
  EXPECT_NE(DeliveryReportSignal({{"From", "MAILER-DAEMON@mx.example.com"}}, "text/plain", ""), "");
  EXPECT_NE(DeliveryReportSignal({{"X-Failed-Recipients", "a@example.com"}}, "text/plain", ""), "");
  EXPECT_EQ(DeliveryReportSignal({{"Return-Path", "<bounces+1.abc@bounce.example>"}}, "multipart/alternative", ""), "");
  EXPECT_EQ(DeliveryReportSignal({}, "multipart/report", "feedback-report"), "");
}

}  // namespace
}  // namespace tayori::feedback
