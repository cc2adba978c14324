#include "dkim/message.h"

#include <gtest/gtest.h>

namespace tayori::dkim {
namespace {

TEST(MessageTest, SplitsFoldedFieldsAndBody) {
  auto view = SplitMessage("Subject: a\r\n b\r\nFrom : x@y.example\r\n\r\nbody\r\n");
  ASSERT_TRUE(view.ok());
  ASSERT_EQ(view->fields.size(), 2u);
  EXPECT_EQ(view->fields[0].name, "Subject");
  EXPECT_EQ(view->fields[0].field, "Subject: a\r\n b");
  EXPECT_EQ(view->fields[1].name, "From");
  EXPECT_EQ(view->body, "body\r\n");
}

TEST(MessageTest, MessageWithoutEmptyLineIsAllHeader) {
  auto view = SplitMessage("From: a@b.example\r\n");
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->fields.size(), 1u);
  EXPECT_EQ(view->body, "");
}

TEST(MessageTest, RejectsMalformedHeaders) {
  EXPECT_FALSE(SplitMessage(" folded first\r\n\r\n").ok());
  auto no_colon = SplitMessage("From: a\r\nnot a field\r\n\r\n");
  ASSERT_FALSE(no_colon.ok());
  EXPECT_EQ(no_colon.status().message(), "line 2: header line without a colon");
  auto lf = SplitMessage("From: a\nTo: b\r\n\r\n");
  ASSERT_FALSE(lf.ok());
  EXPECT_NE(lf.status().message().find("bare LF"), std::string::npos);
}

TEST(MessageTest, CrlfCheckNamesTheLine) {
  EXPECT_TRUE(CheckCrlfLineEnds("a\r\nb\r\n\r\nc").ok());
  auto lf = CheckCrlfLineEnds("a\r\nb\r\n\r\nc\nd\r\n");
  ASSERT_FALSE(lf.ok());
  EXPECT_EQ(lf.error_class(), ErrorClass::kInvalidInput);
  EXPECT_NE(lf.message().find("line 4: bare LF"), std::string::npos);
  auto cr = CheckCrlfLineEnds("a\rb\r\n");
  ASSERT_FALSE(cr.ok());
  EXPECT_NE(cr.message().find("bare CR"), std::string::npos);
  EXPECT_FALSE(CheckCrlfLineEnds("\n").ok());
}

TEST(MessageTest, CrlfCheckHoldsAcrossBlockBoundaries) {
  // The check works 16 bytes at a time: put the line end at every offset.
  for (size_t len = 0; len < 50; ++len) {
    std::string ok = std::string(len, 'a') + "\r\n" + std::string(len % 7, 'b') + "\r\n";
    EXPECT_TRUE(CheckCrlfLineEnds(ok).ok()) << len;
    EXPECT_FALSE(CheckCrlfLineEnds(std::string(len, 'a') + "\n").ok()) << len;
    EXPECT_FALSE(CheckCrlfLineEnds(std::string(len, 'a') + "\r").ok()) << len;
    EXPECT_FALSE(CheckCrlfLineEnds(std::string(len, 'a') + "\rx\r\n").ok()) << len;
    EXPECT_FALSE(CheckCrlfLineEnds(std::string(len, 'a') + "\r\r\n").ok()) << len;
    EXPECT_FALSE(CheckCrlfLineEnds(std::string(len, 'a') + "\r\n\n").ok()) << len;
  }
}

TEST(MessageTest, EqualsIgnoreCase) {
  EXPECT_TRUE(EqualsIgnoreCase("DKIM-Signature", "dkim-signature"));
  EXPECT_FALSE(EqualsIgnoreCase("From", "Fro"));
}

}  // namespace
}  // namespace tayori::dkim
