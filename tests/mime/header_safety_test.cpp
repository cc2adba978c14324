#include "mime/header_safety.h"

#include <gtest/gtest.h>

namespace tayori::mime {
namespace {

std::string Why(std::string_view v) {
  Status s = CheckHeaderText("Subject", v);
  EXPECT_FALSE(s.ok()) << v;
  return s.message();
}

TEST(HeaderSafetyTest, AcceptsOrdinaryText) {
  EXPECT_TRUE(CheckHeaderText("Subject", "【セール】20% off — 今だけ 🎉").ok());
  EXPECT_TRUE(CheckHeaderText("Subject", "tab\tis white space").ok());
  EXPECT_TRUE(CheckHeaderText("Subject", "literal %0D%0A and &#13;&#10; are just text").ok());
  EXPECT_TRUE(CheckHeaderText("Subject", "=?UTF-8?B?SGk=?= harmless word").ok());
}

TEST(HeaderSafetyTest, RejectsLineBreaksAndControlsNamingFieldAndPlace) {
  EXPECT_EQ(Why("a\rb"), "Subject: contains a carriage return (CR) at byte 1");
  EXPECT_EQ(Why("ab\nc"), "Subject: contains a line feed (LF) at byte 2");
  EXPECT_EQ(Why("a\r\nBcc: x"), "Subject: contains a carriage return (CR) at byte 1");
  EXPECT_EQ(Why(std::string("a\0b", 3)), "Subject: contains a NUL byte at byte 1");
  EXPECT_EQ(Why("a\x0b"), "Subject: contains the control character U+000B at byte 1");
  EXPECT_EQ(Why("a\x7f"), "Subject: contains the control character U+007F at byte 1");
  EXPECT_NE(Why("a\xC2\x85").find("U+0085"), std::string::npos);
  EXPECT_NE(Why("a\xE2\x80\xA8").find("U+2028"), std::string::npos);
  EXPECT_NE(Why("a\xE2\x80\xA9").find("U+2029"), std::string::npos);
}

TEST(HeaderSafetyTest, RejectsEncodedLineBreaks) {
  EXPECT_NE(Why("x =?UTF-8?Q?a=0D=0ABcc:_x?=").find("encoded-word that decodes to a carriage return"),
            std::string::npos);
  EXPECT_NE(Why("=?utf-8?b?DQpCY2M6IHg=?=").find("encoded-word"), std::string::npos);
  EXPECT_NE(Why("=?iso-8859-1?q?=00?=").find("NUL"), std::string::npos);
}

TEST(HeaderSafetyTest, RejectsInvalidUtf8) {
  EXPECT_EQ(Why("ok\xC3"), "Subject: contains invalid UTF-8 at byte 2");
  EXPECT_NE(Why("\xED\xA0\x80").find("invalid UTF-8"), std::string::npos);   // surrogate
  EXPECT_NE(Why("\xC0\xAF").find("invalid UTF-8"), std::string::npos);       // overlong
  EXPECT_NE(Why("\xF4\x90\x80\x80").find("invalid UTF-8"), std::string::npos);  // > U+10FFFF
}

TEST(HeaderSafetyTest, BodyTextAllowsBreaksButNotNul) {
  EXPECT_TRUE(CheckBodyText("text", "line 1\r\nline 2\n").ok());
  EXPECT_FALSE(CheckBodyText("text", std::string("a\0", 2)).ok());
  EXPECT_FALSE(CheckBodyText("text", "\xff").ok());
}

}  // namespace
}  // namespace tayori::mime
