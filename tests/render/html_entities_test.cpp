#include "render/html_entities.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace tayori::render {
namespace {

std::string Text(std::string_view s, ReferenceContext context = ReferenceContext::kText) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    size_t used = s[i] == '&' ? DecodeCharacterReference(s, i, context, out) : 0;
    if (used == 0) out += s[i++];
    else i += used;
  }
  return out;
}

TEST(HtmlEntitiesTest, TableIsTheWholeWhatwgSetSorted) {
  auto table = NamedReferences();
  size_t legacy = static_cast<size_t>(std::count_if(table.begin(), table.end(), [](auto& r) { return r.legacy; }));
  EXPECT_EQ(table.size(), 2125u);
  EXPECT_EQ(legacy, 106u);
  EXPECT_EQ(table.size() + legacy, 2231u);  // the standard's count, ';' and legacy forms apart
  EXPECT_TRUE(std::is_sorted(table.begin(), table.end(), [](auto& a, auto& b) { return a.name < b.name; }));
  for (const auto& r : table) {
    EXPECT_LE(r.name.size(), kMaxReferenceNameLength) << r.name;
    if (r.legacy) {
      EXPECT_LE(r.name.size(), kMaxLegacyNameLength) << r.name;
    }
    EXPECT_EQ(FindNamedReference(r.name), &r);
  }
  EXPECT_EQ(FindNamedReference("bogus"), nullptr);
  EXPECT_EQ(FindNamedReference(""), nullptr);
}

TEST(HtmlEntitiesTest, NamedReferences) {
  EXPECT_EQ(Text("&amp;&lt;&gt;&quot;&apos;"), "&<>\"'");
  EXPECT_EQ(Text("&hearts; &Aacute; &rdquo; &CounterClockwiseContourIntegral;"), "♥ Á ” ∳");
  EXPECT_EQ(Text("&NotEqualTilde; &acE;"), "\u2242\u0338 \u223E\u0333");  // two code points each
  EXPECT_EQ(Text("&nbsp;"), "\u00A0");
  EXPECT_EQ(Text("&bogus; &AMP; &Amp;"), "&bogus; & &Amp;");  // case matters
}

TEST(HtmlEntitiesTest, LegacyNamesWithoutSemicolonTakeTheLongestMatch) {
  EXPECT_EQ(Text("&copy 2024 &amp &lt;"), "© 2024 & <");
  EXPECT_EQ(Text("&copy2024"), "©2024");
  EXPECT_EQ(Text("&notit; &notin;"), "¬it; ∉");  // HTML's own example
  EXPECT_EQ(Text("&frac12 &frac12x &hearts"), "½ ½x &hearts");  // "hearts" has no legacy form
  // In an attribute a legacy name before '=' or an alphanumeric stays.
  EXPECT_EQ(Text("?a=1&copy=2&amp;b=3&lang=ja&not", ReferenceContext::kAttribute), "?a=1&copy=2&b=3&lang=ja¬");
}

TEST(HtmlEntitiesTest, NumericReferences) {
  EXPECT_EQ(Text("&#26085;&#x672C;&#X41;&#65"), "日本AA");
  EXPECT_EQ(Text("&#150; &#x80; &#x92; &#x81;"), "\u2013 € \u2019 \u0081");  // windows-1252 for 0x80-0x9F
  EXPECT_EQ(Text("&#0; &#xD800; &#x110000; &#99999999999999999999;"), "\uFFFD \uFFFD \uFFFD \uFFFD");
  EXPECT_EQ(Text("&#; &#x; &#xg; &# 1"), "&#; &#x; &#xg; &# 1");
  EXPECT_EQ(Text("&#x41g"), "Ag");
}

TEST(HtmlEntitiesTest, LongRunsCostTheirLength) {
  // Each '&' looks a bounded distance ahead; these would be quadratic
  // with an unbounded search for ';'.
  std::string amps(200000, '&');
  EXPECT_EQ(Text(amps), amps);
  std::string names;
  for (int i = 0; i < 50000; ++i) names += "&amp";
  EXPECT_EQ(Text(names), std::string(50000, '&'));
  std::string letters = "&" + std::string(200000, 'a');
  EXPECT_EQ(Text(letters), letters);
  std::string digits = "&#" + std::string(200000, '9') + ";";
  EXPECT_EQ(Text(digits), "\uFFFD");
}

}  // namespace
}  // namespace tayori::render
