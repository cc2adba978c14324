#include "dkim/tag_list.h"

#include <gtest/gtest.h>

namespace tayori::dkim {
namespace {

TEST(TagListTest, ParsesTagsWithFoldingWhitespace) {
  auto tags = ParseTagList(" v=1;\r\n a = rsa-sha256 ;h=from : to;b=ab\r\n cd; ");
  ASSERT_TRUE(tags.ok()) << tags.status().ToString();
  ASSERT_EQ(tags->size(), 4u);
  EXPECT_EQ((*tags)[0].name, "v");
  EXPECT_EQ((*tags)[1].value, "rsa-sha256");
  EXPECT_EQ((*tags)[2].value, "from : to");
  EXPECT_EQ((*tags)[3].value, "ab\r\n cd");
  EXPECT_EQ(StripFws((*tags)[3].value), "abcd");
  EXPECT_EQ(FindTag(*tags, "h"), "from : to");
  EXPECT_EQ(FindTag(*tags, "x"), std::nullopt);
}

TEST(TagListTest, EmptyValuesAndTrailingSemicolonAreAllowed) {
  auto tags = ParseTagList("p=; t=y;");
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ(FindTag(*tags, "p"), "");
  EXPECT_TRUE(ParseTagList("").ok());
}

TEST(TagListTest, RejectsDuplicateTags) {
  auto tags = ParseTagList("s=a; d=x; s=b");
  ASSERT_FALSE(tags.ok());
  EXPECT_NE(tags.status().message().find("duplicate tag 's'"), std::string::npos);
}

TEST(TagListTest, RejectsGrammarViolationsWithPreciseErrors) {
  auto empty_spec = ParseTagList("a=1;;b=2");
  ASSERT_FALSE(empty_spec.ok());
  EXPECT_NE(empty_spec.status().message().find("empty tag-spec"), std::string::npos);
  auto no_equals = ParseTagList("a=1; bogus");
  ASSERT_FALSE(no_equals.ok());
  EXPECT_NE(no_equals.status().message().find("'bogus' has no '='"), std::string::npos);
  auto digit_name = ParseTagList("1a=x");
  ASSERT_FALSE(digit_name.ok());
  EXPECT_NE(digit_name.status().message().find("must start with a letter"), std::string::npos);
  auto bad_char = ParseTagList("a=caf\xc3\xa9");
  ASSERT_FALSE(bad_char.ok());
  EXPECT_NE(bad_char.status().message().find("invalid character (0xc3)"), std::string::npos);
}

TEST(TagListTest, ValueOffsetsPointIntoTheText) {
  std::string text = "a=1; b= XYZ ; c=2";
  auto tags = ParseTagList(text);
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ(text.substr((*tags)[1].value_begin, 3), "XYZ");
}

}  // namespace
}  // namespace tayori::dkim
