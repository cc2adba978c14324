#include "http/language.h"

#include <array>

#include <gtest/gtest.h>

namespace tayori::http {
namespace {

constexpr std::array<std::string_view, 2> kJaEn = {"ja", "en"};

std::string_view Choose(std::string_view header) { return ChooseLanguage(header, kJaEn, "ja"); }

TEST(ChooseLanguageTest, FallsBackWhenNothingIsSaid) {
  EXPECT_EQ(Choose(""), "ja");
  EXPECT_EQ(Choose("fr-FR, de;q=0.8"), "ja");
  EXPECT_EQ(ChooseLanguage("", kJaEn, "en"), "en");
}

TEST(ChooseLanguageTest, MatchesPrimarySubtagsCaseInsensitively) {
  EXPECT_EQ(Choose("en-US"), "en");
  EXPECT_EQ(Choose("EN-gb"), "en");
  EXPECT_EQ(Choose("ja-JP"), "ja");
  EXPECT_EQ(Choose("fr, en;q=0.5"), "en");
}

TEST(ChooseLanguageTest, HighestQualityWinsThenFirstListed) {
  EXPECT_EQ(Choose("ja;q=0.4, en;q=0.9"), "en");
  EXPECT_EQ(Choose("en-US,en;q=0.9,ja;q=0.8"), "en");
  EXPECT_EQ(Choose("ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7"), "ja");
  EXPECT_EQ(Choose("en, ja"), "en");
  EXPECT_EQ(Choose("ja-JP;q=0.5, ja;q=0.9, en;q=0.8"), "ja");  // the best specific range counts
}

TEST(ChooseLanguageTest, ZeroExcludesAndWildcardFillsIn) {
  EXPECT_EQ(Choose("ja;q=0, *"), "en");
  EXPECT_EQ(Choose("*;q=0.5, en;q=0.1"), "ja");
  EXPECT_EQ(Choose("ja;q=0, en;q=0"), "ja");  // nothing acceptable: fallback
}

TEST(ChooseLanguageTest, IgnoresMalformedItems) {
  EXPECT_EQ(Choose("en;q=2, ja;q=0.1"), "ja");
  EXPECT_EQ(Choose("en;level=1, ja;q=0.1"), "ja");
  EXPECT_EQ(Choose(",,,en;q=0.5,,"), "en");
  EXPECT_EQ(Choose("en;q=0.12345"), "ja");
}

}  // namespace
}  // namespace tayori::http
