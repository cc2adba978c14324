#include "mime/idn.h"

#include <gtest/gtest.h>

namespace tayori::mime {
namespace {

TEST(IdnTest, AsciiDomainIsLowerCased) {
  auto r = DomainToALabel("Shop.Example.COM");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "shop.example.com");
}

TEST(IdnTest, UnicodeDomainBecomesALabel) {
  EXPECT_EQ(*DomainToALabel("日本.example"), "xn--wgv71a.example");
  EXPECT_EQ(*DomainToALabel("ドメイン名例.jp"), "xn--eckwd4c7cu47r2wf.jp");
  EXPECT_EQ(*DomainToALabel("bücher.example."), "xn--bcher-kva.example");
}

TEST(IdnTest, ULabelRoundTrip) { EXPECT_EQ(*DomainToULabel("xn--wgv71a.example"), "日本.example"); }

TEST(IdnTest, InvalidDomainsExplainWhy) {
  EXPECT_NE(DomainToALabel("localhost").status().message().find("at least two labels"), std::string::npos);
  EXPECT_NE(DomainToALabel("a..example").status().message().find("empty label"), std::string::npos);
  EXPECT_NE(DomainToALabel("-a.example").status().message().find("starts or ends with '-'"), std::string::npos);
  EXPECT_NE(DomainToALabel("a_b.example").status().message().find("contains '_'"), std::string::npos);
  EXPECT_NE(DomainToALabel(std::string(64, 'a') + ".example").status().message().find("longer than 63"),
            std::string::npos);
  EXPECT_FALSE(DomainToALabel("xn--zz.example").ok());
  EXPECT_FALSE(DomainToALabel("").ok());
  EXPECT_FALSE(DomainToALabel(std::string("a\0b.example", 11)).ok());
}

}  // namespace
}  // namespace tayori::mime
