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
  EXPECT_NE(Why("=?utf-8?q?=00?=").find("NUL"), std::string::npos);
}

TEST(HeaderSafetyTest, AcceptsCleanUtf8AndAsciiWords) {
  EXPECT_TRUE(CheckHeaderText("Subject", "=?UTF-8?B?5pel5pys?= and =?utf-8?q?caf=C3=A9_au_lait?=").ok());
  EXPECT_TRUE(CheckHeaderText("Subject", "=?US-ASCII?Q?plain_text?=").ok());
  EXPECT_TRUE(CheckHeaderText("Subject", "=?utf-8*en?q?Hello?=").ok());  // RFC 2231 language suffix
  EXPECT_TRUE(CheckHeaderText("Subject", "=?UTF-8?Q?\?=").ok());  // empty text
  // Not an encoded-word to any reader: no B or Q, or no closing "?=".
  EXPECT_TRUE(CheckHeaderText("Subject", "=?ISO-8859-1?X?=85?= and 1+1=?").ok());
  EXPECT_TRUE(CheckHeaderText("Subject", "=?ISO-8859-1?Q?=85 without an end").ok());
}

// Issue 12, item 9: each of these passed the old check, though common
// decoders turn them into line breaks.
TEST(HeaderSafetyTest, RefusesWordsInOtherCharsets) {
  // UTF-7: "+AA0ACg-" is CR LF.
  EXPECT_EQ(Why("=?UTF-7?Q?+AA0ACg-Bcc:_victim@example.com?="),
            "Subject: contains an encoded-word in charset \"UTF-7\" (only UTF-8 and US-ASCII words are accepted) at "
            "byte 0");
  // ISO-8859-1 0x85 is NEL (U+0085).
  EXPECT_NE(Why("Name =?ISO-8859-1?Q?Name=85Bcc:_x?=").find("charset \"ISO-8859-1\""), std::string::npos);
  EXPECT_NE(Why("=?iso-8859-1?q?=00?=").find("charset"), std::string::npos);
  EXPECT_NE(Why("=?windows-1252?B?hQ==?=").find("charset"), std::string::npos);
  // Aliases and near misses are not UTF-8 to every reader.
  EXPECT_NE(Why("=?utf8?Q?a?=").find("charset"), std::string::npos);
  EXPECT_NE(Why("=? utf-8?Q?a?=").find("charset"), std::string::npos);
  EXPECT_NE(Why("=?\?Q?a?=").find("charset"), std::string::npos);
  EXPECT_NE(Why("=?" + std::string(100, 'x') + "?Q?a?=").find("a charset other than UTF-8 or US-ASCII"),
            std::string::npos);
}

TEST(HeaderSafetyTest, RefusesWordsThatDoNotDecodeStrictly) {
  // "\r\nBcc: x" in base64 is "DQpCY2M6IHg="; lenient decoders read it unpadded.
  EXPECT_EQ(Why("=?UTF-8?B?DQpCY2M6IHg?="),
            "Subject: contains an encoded-word that does not decode (malformed base64) at byte 0");
  EXPECT_NE(Why("=?UTF-8?B?DQ pCY2M6IHg=?=").find("malformed base64"), std::string::npos);
  EXPECT_NE(Why("=?UTF-8?B?DQ=pCY2M6IHg?=").find("malformed base64"), std::string::npos);
  EXPECT_NE(Why("x =?UTF-8?Q?a=0?=").find("malformed Q encoding"), std::string::npos);
  EXPECT_NE(Why("=?UTF-8?Q?a=ZZ?=").find("malformed Q encoding"), std::string::npos);
  EXPECT_NE(Why("=?UTF-8?Q?=85?=").find("decodes to invalid UTF-8"), std::string::npos);
  EXPECT_NE(Why("=?US-ASCII?Q?Name=85?=").find("US-ASCII that decodes to 8-bit"), std::string::npos);
}

TEST(HeaderSafetyTest, RefusesC1ControlsInDecodedWords) {
  EXPECT_EQ(Why("=?UTF-8?Q?Name=C2=85Bcc:_x?="),
            "Subject: contains an encoded-word that decodes to the line break U+0085 (NEL) at byte 0");
  EXPECT_EQ(Why("x =?UTF-8?B?wp8=?="), "Subject: contains an encoded-word that decodes to the control character "
                                        "U+009F at byte 2");
  EXPECT_NE(Why("=?UTF-8?Q?=C2=80?=").find("U+0080"), std::string::npos);
  EXPECT_TRUE(CheckHeaderText("Subject", "=?UTF-8?Q?=C2=A0no-break_space?=").ok());  // U+00A0 is text
  // Plain text keeps NEL out but lets other C1 controls through: mojibake
  // names carry them ("â€\u009d" is a UTF-8 '”' read as windows-1252).
  EXPECT_NE(Why("a\xC2\x85").find("U+0085"), std::string::npos);
  EXPECT_TRUE(CheckHeaderText("name", "Ren\xC3\xA9 \xC3\xA2\xE2\x82\xAC\xC2\x9D").ok());
}

TEST(HeaderSafetyTest, RefusesOverlappingAndNestedWords) {
  // A reader that will not decode the first word (it touches other text)
  // may find the second, which starts inside the first one's "?=".
  EXPECT_NE(Why("x=?UTF-8?Q?a?=?UTF-8?Q?=0D=0A?=").find("carriage return"), std::string::npos);
  // "=?UTF-8?Q?=0D=0A?=" in base64: decoding twice gives CR LF.
  EXPECT_NE(Why("=?UTF-8?B?PT9VVEYtOD9RPz0wRD0wQT89?=").find("decodes to another encoded-word"),
            std::string::npos);
}

TEST(HeaderSafetyTest, LongLookalikeRunsAreCheckedInOnePass) {
  // Many starts, no end; many starts, one end far away.
  std::string starts;
  for (int i = 0; i < 50000; ++i) starts += "=?UTF-8?Q?a ";
  EXPECT_TRUE(CheckHeaderText("Subject", starts).ok());
  EXPECT_NE(Why(starts + "?=").find("malformed Q encoding"), std::string::npos);
  std::string words;
  for (int i = 0; i < 50000; ++i) words += "=?UTF-8?Q?ok?= ";
  EXPECT_TRUE(CheckHeaderText("Subject", words).ok());
  EXPECT_TRUE(CheckHeaderText("Subject", std::string(200000, '?') + "=").ok());
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
