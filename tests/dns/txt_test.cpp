#include "dns/txt.h"

#include <gtest/gtest.h>

namespace tayori::dns {
namespace {

TEST(TxtTest, ShortValueIsOneQuotedString) {
  EXPECT_EQ(QuoteTxt("v=DKIM1; p=abc"), "\"v=DKIM1; p=abc\"");
  EXPECT_EQ(SplitTxt("abc"), std::vector<std::string>{"abc"});
}

TEST(TxtTest, EmptyValueIsOneEmptyString) {
  EXPECT_EQ(SplitTxt(""), std::vector<std::string>{""});
  EXPECT_EQ(QuoteTxt(""), "\"\"");
}

TEST(TxtTest, RsaKeyRecordSplitsAt255Bytes) {
  std::string value = "v=DKIM1; k=rsa; p=" + std::string(392, 'A');  // 410 bytes, a 2048-bit key
  auto parts = SplitTxt(value);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].size(), 255u);
  EXPECT_EQ(parts[1].size(), 155u);
  EXPECT_EQ(parts[0] + parts[1], value);
  EXPECT_EQ(QuoteTxt(value), "\"" + parts[0] + "\" \"" + parts[1] + "\"");
}

TEST(TxtTest, ExactMultipleOf255HasNoEmptyTail) {
  auto parts = SplitTxt(std::string(510, 'x'));
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[1].size(), 255u);
  EXPECT_EQ(SplitTxt(std::string(256, 'x')).size(), 2u);
}

TEST(TxtTest, QuotesAndBackslashesAreEscapedButCountOnceForTheLimit) {
  EXPECT_EQ(QuoteTxt("a\"b\\c"), "\"a\\\"b\\\\c\"");
  std::string value(255, '"');
  EXPECT_EQ(SplitTxt(value).size(), 1u);
  std::string back;
  ASSERT_TRUE(UnquoteTxt(QuoteTxt(value), &back));
  EXPECT_EQ(back, value);
}

TEST(TxtTest, UnquoteJoinsStringsAndRefusesMalformedInput) {
  std::string v;
  ASSERT_TRUE(UnquoteTxt("\"ab\" \"cd\"", &v));
  EXPECT_EQ(v, "abcd");
  EXPECT_FALSE(UnquoteTxt("ab", &v));
  EXPECT_FALSE(UnquoteTxt("\"ab", &v));
  EXPECT_FALSE(UnquoteTxt("", &v));
  std::string long_value = "v=DKIM1; k=rsa; p=" + std::string(736, 'Q');  // 4096-bit size: 3 strings
  ASSERT_TRUE(UnquoteTxt(QuoteTxt(long_value), &v));
  EXPECT_EQ(v, long_value);
}

TEST(TxtTest, FqdnAddsOneFinalDot) {
  EXPECT_EQ(Fqdn("a.example"), "a.example.");
  EXPECT_EQ(Fqdn("a.example."), "a.example.");
}

}  // namespace
}  // namespace tayori::dns
