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

}  // namespace
}  // namespace tayori::render
