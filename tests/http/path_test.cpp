#include "http/path.h"

#include <gtest/gtest.h>

namespace tayori::http {
namespace {

TEST(DecodePathTest, KeepsPlainPathsAndDecodesEscapes) {
  EXPECT_EQ(DecodePath("/u/k1.AQEqB6sE").value(), "/u/k1.AQEqB6sE");
  EXPECT_EQ(DecodePath("/u/k1%2EAQ").value(), "/u/k1.AQ");
  EXPECT_EQ(DecodePath("/a+b").value(), "/a+b");  // '+' is a space only in form bodies
  EXPECT_EQ(DecodePath("/%E9%85%8D").value(), "/\xE9\x85\x8D");
}

TEST(DecodePathTest, RejectsBadEscapesControlsAndNonUtf8) {
  EXPECT_FALSE(DecodePath("/u/%ZZ").ok());
  EXPECT_FALSE(DecodePath("/u/%4").ok());
  EXPECT_FALSE(DecodePath("/u/%").ok());
  EXPECT_FALSE(DecodePath("/u/%00abc").ok());
  EXPECT_FALSE(DecodePath("/u/%0D%0A").ok());
  EXPECT_FALSE(DecodePath("/u/%FF").ok());
  EXPECT_FALSE(DecodePath("/u/\xC0\xAF").ok());      // overlong '/'
  EXPECT_FALSE(DecodePath("/u/%ED%A0%80").ok());     // a surrogate
  EXPECT_FALSE(DecodePath("/u/\xE9\x85").ok());      // cut short
  EXPECT_FALSE(DecodePath("u/abc").ok());
  EXPECT_FALSE(DecodePath("").ok());
}

TEST(PathParameterTest, TakesOneSegmentAfterThePrefix) {
  EXPECT_EQ(PathParameter("/u/abc", "/u/"), "abc");
  EXPECT_EQ(PathParameter("/u/", "/u/"), "");
  EXPECT_EQ(PathParameter("/u/a/b", "/u/"), "");
  EXPECT_EQ(PathParameter("/x/abc", "/u/"), "");
  EXPECT_EQ(PathParameter("/u", "/u/"), "");
}

}  // namespace
}  // namespace tayori::http
