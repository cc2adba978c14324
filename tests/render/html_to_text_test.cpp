#include "render/html_to_text.h"

#include <gtest/gtest.h>

namespace tayori::render {
namespace {

TEST(HtmlToTextTest, ParagraphsBreaksAndHeadDropped) {
  EXPECT_EQ(HtmlToText("<html><head><title>T</title><style>p{color:red}</style></head><body>"
                       "<p>Hello   <b>world</b></p><p>line<br>break</p></body></html>"),
            "Hello world\n\nline\nbreak\n");
}

TEST(HtmlToTextTest, LinksListsImagesEntities) {
  EXPECT_EQ(HtmlToText("<p>Visit <a href=\"https://shop.example/new?a=1&amp;b=2\">our shop</a>.</p>"),
            "Visit our shop <https://shop.example/new?a=1&b=2>.\n");
  EXPECT_EQ(HtmlToText("<a href=\"https://x.example\">https://x.example</a>"), "https://x.example\n");
  EXPECT_EQ(HtmlToText("<a href=\"mailto:a@x.example\">a@x.example</a>"), "a@x.example\n");
  EXPECT_EQ(HtmlToText("<ul><li>one</li><li>two</li></ul>"), "- one\n- two\n");
  EXPECT_EQ(HtmlToText("<img src=x alt=\"Logo &amp; name\"> &lt;tag&gt; &#26085;&#x672C; &copy; &bogus; a&b"),
            "Logo & name <tag> 日本 © &bogus; a&b\n");
}

TEST(HtmlToTextTest, JapaneseTextKept) {
  EXPECT_EQ(HtmlToText("<p>山田 太郎 様</p>\n<p>いつもありがとうございます。<br>春の新作です。</p>"),
            "山田 太郎 様\n\nいつもありがとうございます。\n春の新作です。\n");
}

TEST(HtmlToTextTest, NeverLosesTextOnBrokenHtml) {
  EXPECT_EQ(HtmlToText("a < b and c"), "a < b and c\n");
  EXPECT_EQ(HtmlToText("<p>unclosed <!-- comment"), "unclosed\n");
  EXPECT_EQ(HtmlToText(""), "");
}

TEST(HtmlToTextTest, EveryNamedReferenceDecoded) {
  EXPECT_EQ(HtmlToText("<p>&hearts; caf&eacute; &ldquo;new&rdquo; &NotEqualTilde; &copy 2024 &#150; &#x1F389;</p>"),
            "♥ café “new” \u2242\u0338 © 2024 \u2013 🎉\n");
  // A no-break space collapses like a space in the text part.
  EXPECT_EQ(HtmlToText("<td>&nbsp;</td><p>a&nbsp;&nbsp; b</p>"), "a b\n");
  // Links keep query strings with legacy-looking names.
  EXPECT_EQ(HtmlToText("<a href=\"https://x.example/?a=1&copy=2&amp;b=3\">go</a>"),
            "go <https://x.example/?a=1&copy=2&b=3>\n");
}

// Issue 12, item 8: runs of '&' took 0.19 s per recipient for 200 KB.
TEST(HtmlToTextTest, AmpersandRunsAreLinear) {
  std::string amps(200000, '&');
  EXPECT_EQ(HtmlToText(amps), amps + "\n");
  std::string names;
  for (int i = 0; i < 50000; ++i) names += "&amp";
  EXPECT_EQ(HtmlToText("<p>" + names + "</p>"), std::string(50000, '&') + "\n");
  std::string attr = "<img alt=\"" + amps + "\">";
  EXPECT_EQ(HtmlToText(attr), amps + "\n");
}

TEST(HtmlToTextTest, LongLinksAndBreakRunsAreLinear) {
  // A target that nearly matches the label everywhere.
  std::string label(100000, 'a');
  std::string href = std::string(50000, 'a') + "b";
  EXPECT_EQ(HtmlToText("<a href=\"" + href + "\">" + label + "</a>"), label + " <" + href + ">\n");
  EXPECT_EQ(HtmlToText("<a href=\"" + label + "\">x" + label + "x</a>"), "x" + label + "x\n");
  // A <br> after many newlines inside <pre> does not recount them.
  std::string br;
  for (int i = 0; i < 50000; ++i) br += "<br>";
  EXPECT_EQ(HtmlToText("<pre>x" + std::string(100000, '\n') + br + "</pre>end"),
            "x" + std::string(100000, '\n') + "end\n");
}

}  // namespace
}  // namespace tayori::render
