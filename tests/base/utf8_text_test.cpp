#include "base/utf8_text.h"

#include <gtest/gtest.h>

namespace tayori {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

TEST(ScrubUtf8, ValidTextIsUnchanged) {
  EXPECT_EQ(ScrubUtf8("550 5.1.1 ユーザー不明 🙂", 1000), "550 5.1.1 ユーザー不明 🙂");
}

TEST(ScrubUtf8, InvalidBytesBecomeReplacementCharacters) {
  EXPECT_EQ(ScrubUtf8("550 5.1.1 caf\xE9", 100), "550 5.1.1 caf" + kFffd);
  EXPECT_EQ(ScrubUtf8("a\xC0\xAF" "b", 100), "a" + kFffd + kFffd + "b");        // overlong
  EXPECT_EQ(ScrubUtf8("\xED\xA0\x80", 100), kFffd + kFffd + kFffd);            // surrogate
  EXPECT_EQ(ScrubUtf8("\xF4\x90\x80\x80", 100), kFffd + kFffd + kFffd + kFffd);  // > U+10FFFF
  EXPECT_EQ(ScrubUtf8(std::string("a\0b", 3), 100), "a" + kFffd + "b");
}

TEST(ScrubUtf8, ASequenceCutAtTheEndIsReplacedNotKept) {
  std::string cut = "あい";
  cut.resize(cut.size() - 1);
  EXPECT_EQ(ScrubUtf8(cut, 100), "あ" + kFffd + kFffd);
}

TEST(ScrubUtf8, CutsAtCodePointsNeverInsideOne) {
  std::string jp;
  for (int i = 0; i < 600; ++i) jp += "あ";
  std::string out = ScrubUtf8(jp, 512);
  EXPECT_EQ(out.size(), 512u * 3);
  out = ScrubUtf8(jp, 1000, 500);  // 500 bytes: 166 characters, never half of one
  EXPECT_EQ(out.size(), 498u);
  EXPECT_EQ(ScrubUtf8(out, 1000), out);
}

TEST(ScrubUtf8, EmptyAndZeroLimits) {
  EXPECT_EQ(ScrubUtf8("", 10), "");
  EXPECT_EQ(ScrubUtf8("abc", 0), "");
  EXPECT_EQ(ScrubUtf8("abc", 2), "ab");
}

}  // namespace
}  // namespace tayori
