#include "render/template.h"

#include <gtest/gtest.h>

namespace tayori::render {
namespace {

TemplateVariables Vars() {
  TemplateVariables v;
  v.AddConstant("shop.name", "Tom & Jerry's <Shop>");
  v.AddConstant("shop.empty", "");
  v.AddSlot("subscriber.name", 0);
  v.AddSlot("subscriber.vip", 1);
  return v;
}

std::string Render(const std::string& text, Escaping e, std::vector<std::string_view> slots) {
  auto t = CompiledTemplate::Compile({"t.mustache", text}, Vars(), e);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  std::string out;
  if (t.ok()) t->Render(slots, out);
  return out;
}

std::string Error(const std::string& text) {
  auto t = CompiledTemplate::Compile({"html.mustache", text}, Vars(), Escaping::kHtml);
  EXPECT_FALSE(t.ok());
  return t.ok() ? "" : t.status().message();
}

TEST(TemplateTest, HtmlEscapingOnlyInHtml) {
  EXPECT_EQ(Render("<b>{{subscriber.name}}</b> {{shop.name}}", Escaping::kHtml, {"<i>\"A\" & 'B'</i>"}),
            "<b>&lt;i&gt;&quot;A&quot; &amp; &#39;B&#39;&lt;/i&gt;</b> Tom &amp; Jerry&#39;s &lt;Shop&gt;");
  EXPECT_EQ(Render("{{{subscriber.name}}} {{&shop.name}}", Escaping::kHtml, {"<i>"}), "<i> Tom & Jerry's <Shop>");
  EXPECT_EQ(Render("{{subscriber.name}} {{shop.name}}", Escaping::kNone, {"<i>"}), "<i> Tom & Jerry's <Shop>");
}

TEST(TemplateTest, SectionsOnNonEmpty) {
  std::string t = "{{#subscriber.vip}}VIP {{subscriber.name}}{{/subscriber.vip}}{{^subscriber.vip}}guest{{/subscriber.vip}}";
  EXPECT_EQ(Render(t, Escaping::kNone, {"Ann", "yes"}), "VIP Ann");
  EXPECT_EQ(Render(t, Escaping::kNone, {"Ann", ""}), "guest");
  EXPECT_EQ(Render(t, Escaping::kNone, {"Ann"}), "guest");  // missing slot = empty
  EXPECT_EQ(Render("{{#shop.empty}}x{{/shop.empty}}{{^shop.empty}}y{{/shop.empty}}{{#shop.name}}z{{/shop.name}}",
                   Escaping::kNone, {}),
            "yz");
}

TEST(TemplateTest, StandaloneTagLinesDisappear) {
  std::string t = "Hello\n{{#subscriber.vip}}\n  Gold member\n{{/subscriber.vip}}\n{{! note }}\nBye\n";
  EXPECT_EQ(Render(t, Escaping::kNone, {"", "1"}), "Hello\n  Gold member\nBye\n");
  EXPECT_EQ(Render(t, Escaping::kNone, {"", ""}), "Hello\nBye\n");
  EXPECT_EQ(Render("a\r\n  {{#shop.name}}  \r\nb\r\n{{/shop.name}}\r\n", Escaping::kNone, {}), "a\r\nb\r\n");
}

TEST(TemplateTest, DelimiterChange) {
  EXPECT_EQ(Render("{{=<% %>=}}<% subscriber.name %> {{literal}}", Escaping::kNone, {"Ann"}), "Ann {{literal}}");
}

TEST(TemplateTest, ErrorsNameTemplateAndLine) {
  EXPECT_EQ(Error("line 1\nline 2 {{subscriber.nmae}}\n").substr(0, 70),
            "html.mustache:2: unknown variable 'subscriber.nmae' (known: shop.empty");
  EXPECT_EQ(Error("a\nb\n{{#subscriber.vip}}\nno end\n"),
            "html.mustache:3: mustache syntax error: unclosed section \"subscriber.vip\"");
  EXPECT_EQ(Error("a\n\n\n{{/shop.name}}"), "html.mustache:4: mustache syntax error: unopened section \"shop.name\"");
  EXPECT_EQ(Error("ok\n{{shop.name"), "html.mustache:2: mustache syntax error: unclosed tag");
  EXPECT_EQ(Error("{{> footer}}"), "html.mustache:1: partials ({{> footer}}) are not supported");
  EXPECT_NE(Error("{{.}}").find("unknown variable '.'"), std::string::npos);
  EXPECT_NE(Error("{{#shop.name}}{{nope}}{{/shop.name}}").find("unknown variable 'nope'"), std::string::npos);
  EXPECT_NE(Error("{{=<% =}}").find("syntax error"), std::string::npos);
}

std::string Repeat(std::string_view s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

// Issue 12, item 8: 16,000 nested sections made the parser take 3.4 GB and
// 12 s. The limits are checked by a scan before the parser runs.
TEST(TemplateTest, DeepNestingRefusedBeforeParsing) {
  std::string hostile = Repeat("{{#a}}", 16000) + "x" + Repeat("{{/a}}", 16000);
  ASSERT_LT(hostile.size(), kMaxTemplateBytes);
  EXPECT_EQ(Error(hostile), "html.mustache:1: sections nested 33 deep; the limit is 32");
  // Inverted sections count too, and the line is the one of the section
  // that goes too deep.
  std::string lines = Repeat("{{#subscriber.vip}}\n", 20) + Repeat("{{^subscriber.name}}\n", 13) + "x\n" +
                      Repeat("{{/subscriber.name}}\n", 13) + Repeat("{{/subscriber.vip}}\n", 20);
  EXPECT_EQ(Error(lines), "html.mustache:33: sections nested 33 deep; the limit is 32");
}

TEST(TemplateTest, NestingUpToTheLimitCompiles) {
  std::string t =
      Repeat("{{#subscriber.vip}}", kMaxSectionDepth) + "VIP" + Repeat("{{/subscriber.vip}}", kMaxSectionDepth);
  EXPECT_EQ(Render(t, Escaping::kNone, {"", "1"}), "VIP");
  EXPECT_EQ(Render(t, Escaping::kNone, {"", ""}), "");
  // Closed sections free their level: siblings never add up.
  EXPECT_EQ(Render(Repeat("{{#subscriber.vip}}v{{/subscriber.vip}}", 1000), Escaping::kNone, {"", "1"}),
            std::string(1000, 'v'));
}

TEST(TemplateTest, NestingHiddenBehindDelimiterChangesIsCounted) {
  EXPECT_EQ(Error("{{=<% %>=}}\n" + Repeat("<%#a%>", 33)), "html.mustache:2: sections nested 33 deep; the limit is 32");
  EXPECT_EQ(Error("{{=[[ ]]=}}" + Repeat("[[#a]]", 20) + "[[={{ }}=]]" + Repeat("{{ ^a }}", 13)),
            "html.mustache:1: sections nested 33 deep; the limit is 32");
  // "{{{#a}}}" is an unescaped variable named "#a", not a section.
  EXPECT_NE(Error(Repeat("{{{#a}}}", 40)).find("unknown variable '#a'"), std::string::npos);
  // Text after a tag the parser refuses is never parsed, so it is not counted.
  EXPECT_NE(Error("{{/a}}" + Repeat("{{#a}}", 40)).find("unopened section"), std::string::npos);
}

TEST(TemplateTest, LongDelimitersRefused) {
  EXPECT_EQ(Error("x\n{{=<%%%%%%%% %>=}}"), "html.mustache:2: a delimiter is longer than 8 bytes");
  EXPECT_EQ(Render("{{=<%%%%%%% %%%%%%%>=}}<%%%%%%% subscriber.name %%%%%%%>", Escaping::kNone, {"Ann"}), "Ann");
}

TEST(TemplateTest, OversizedTemplateRefusedBeforeParsing) {
  std::string big(kMaxTemplateBytes + 1, 'x');
  auto t = CompiledTemplate::Compile({"text", big}, Vars(), Escaping::kNone);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "text: template is 262145 bytes; the limit is 262144 bytes");
  EXPECT_EQ(CheckTemplateLimits({"subject", big}).message(),
            "subject: template is 262145 bytes; the limit is 262144 bytes");
  // CR bytes do not count: the CRLF form of a file weighs what the file does.
  std::string lines = Repeat("abcdefg\n", kMaxTemplateBytes / 8);
  std::string crlf = Repeat("abcdefg\r\n", kMaxTemplateBytes / 8);
  EXPECT_TRUE(CheckTemplateLimits({"text", lines}).ok());
  EXPECT_TRUE(CheckTemplateLimits({"text", crlf}).ok());
  EXPECT_TRUE(CompiledTemplate::Compile({"text", crlf}, Vars(), Escaping::kNone).ok());
  EXPECT_FALSE(CheckTemplateLimits({"text", crlf + "x"}).ok());
}

TEST(TemplateTest, ConstantDetection) {
  auto c = CompiledTemplate::Compile({"s", "Hi {{shop.name}}"}, Vars(), Escaping::kNone);
  EXPECT_TRUE(c->IsConstant());
  auto v = CompiledTemplate::Compile({"s", "Hi {{subscriber.name}}"}, Vars(), Escaping::kNone);
  EXPECT_FALSE(v->IsConstant());
  EXPECT_TRUE(v->UsesSlot(0));
  EXPECT_FALSE(v->UsesSlot(1));
}

}  // namespace
}  // namespace tayori::render
