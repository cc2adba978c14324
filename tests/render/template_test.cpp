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
