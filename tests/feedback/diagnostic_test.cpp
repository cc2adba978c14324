#include "feedback/diagnostic.h"

#include <gtest/gtest.h>

namespace tayori::feedback {
namespace {

TEST(DiagnosticTest, FindsTheReplyCodeNotAnIpAddress) {
  EXPECT_EQ(FindReplyCode("host mx.example.com[192.0.2.1] said: 550 5.1.1 <a@b.example>"), "550");
  EXPECT_EQ(FindReplyCode("550-5.7.26 This mail has been blocked"), "550");
  EXPECT_EQ(FindReplyCode("554: delivery error: dd This user doesn't have an account"), "554");
  EXPECT_EQ(FindReplyCode("192.0.2.53 does not like recipient. Remote host said: 452 4.2.2 full"), "452");
  EXPECT_EQ(FindReplyCode("Sorry, no mailbox here by that name. (#5.1.1)"), "");
  EXPECT_EQ(FindReplyCode("1550 is not a code, 650 neither, 5600 neither"), "");
  EXPECT_EQ(FindReplyCode("580 is out of range"), "");
  EXPECT_EQ(FindReplyCode(""), "");
}

TEST(DiagnosticTest, FindsTheStatusStandingAlone) {
  EXPECT_EQ(FindStatus("550 5.1.1 <a@b.example>... User unknown"), "5.1.1");
  EXPECT_EQ(FindStatus("Sorry, no mailbox here by that name. (#5.1.1)"), "5.1.1");
  EXPECT_EQ(FindStatus("#550 5.1.10 RESOLVER.ADR.RecipientNotFound"), "5.1.10");
  EXPECT_EQ(FindStatus("host [192.0.2.1] and version 5.1.1.4 and 4.2.1.0"), "");
  EXPECT_EQ(FindStatus("at 2.4.5"), "2.4.5");
  EXPECT_EQ(FindStatus("5.1234.1 and 3.1.1"), "");
}

TEST(DiagnosticTest, PrefersTheStatusOfTheAskedClass) {
  EXPECT_EQ(FindStatus("2.0.0 queued, then 5.2.2 full", '5'), "5.2.2");
  EXPECT_EQ(FindStatus("2.0.0 queued", '5'), "2.0.0");
}

TEST(DiagnosticTest, StatusTokenIsTheFirstWordWhenItIsACode) {
  EXPECT_EQ(StatusToken("5.1.1 (user unknown)"), "5.1.1");
  EXPECT_EQ(StatusToken(" 4.4.7"), "4.4.7");
  EXPECT_EQ(StatusToken("5.1"), "");
  EXPECT_EQ(StatusToken("failed"), "");
  EXPECT_EQ(StatusToken("9.1.1"), "");
}

TEST(DiagnosticTest, FindsAddresses) {
  EXPECT_EQ(FindAddress("<reader@example.com>: host said"), "reader@example.com");
  EXPECT_EQ(FindAddress("Reader <reader@example.com>"), "reader@example.com");
  EXPECT_EQ(FindAddress("  reader@example.co.uk: forced freeze"), "reader@example.co.uk");
  EXPECT_EQ(FindAddress("(reader@example.com)."), "reader@example.com");
  EXPECT_EQ(FindAddress("<mailto:reader@example.com>"), "reader@example.com");
  EXPECT_EQ(FindAddress("読者@例え.example に届きません"), "読者@例え.example");
  EXPECT_EQ(FindAddress("no address @ here"), "");
  EXPECT_EQ(FindAddress("<redacted>"), "");
  EXPECT_EQ(FindAddress("user@localhost"), "");
}

TEST(DiagnosticTest, DsnAddressesLoseTheirTypeAndEncodings) {
  EXPECT_EQ(DsnAddress("rfc822; reader@example.com"), "reader@example.com");
  EXPECT_EQ(DsnAddress("RFC822;<reader@example.com>"), "reader@example.com");
  EXPECT_EQ(DsnAddress("rfc822; first+2Blast@example.com"), "first+last@example.com");
  EXPECT_EQ(DsnAddress("rfc822; reader+12@example.com"), "reader+12@example.com");
  EXPECT_EQ(DsnAddress("utf-8; \\x{8AAD}\\x{8005}@example.jp"), "読者@example.jp");
  EXPECT_EQ(DsnAddress("utf-8; \\x{D800}@example.jp"), "\\x{D800}@example.jp");  // a surrogate stays escaped
  EXPECT_EQ(DsnAddress("utf-8; \\x{110000}@example.jp"), "\\x{110000}@example.jp");
  EXPECT_EQ(AfterType("smtp; 550 5.1.1 gone"), "550 5.1.1 gone");
  EXPECT_EQ(AfterType("no type"), "no type");
}

TEST(DiagnosticTest, OneLineCollapsesWhiteSpaceAndBounds) {
  EXPECT_EQ(OneLine("  550 5.1.1\r\n    user\tunknown  ", 100), "550 5.1.1 user unknown");
  EXPECT_EQ(OneLine("ab\xff", 100), "ab\xEF\xBF\xBD");
  EXPECT_EQ(OneLine("日本語のテキスト", 3), "日本語");
}

}  // namespace
}  // namespace tayori::feedback
