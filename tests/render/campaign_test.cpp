#include "render/campaign.h"

#include <gtest/gtest.h>

#include "render/template_cache.h"
#include "unsubscribe/token.h"

namespace tayori::render {
namespace {

const SysTime kDate = SysTime(std::chrono::seconds(1739406600));  // 2025-02-13 00:30:00 UTC

CampaignSpec Spec() {
  CampaignSpec s;
  s.tenant_id = 42;
  s.list_id = 7;
  s.campaign_id = 1001;
  s.from = "ショップ <news@日本.example>";
  s.list_slug = "news";
  s.list_name = "News";
  s.sender_id = "shop42";
  s.unsubscribe.base_url = "https://u.example/u/";
  s.unsubscribe.mailto = "mailto:unsub@u.example";
  s.unsubscribe.key = *unsubscribe::SigningKey::Make("k1", std::string(32, 's'));
  s.shop_fields = {{"name", "Shop"}};
  s.campaign_fields = {{"title", "Spring"}};
  s.subscriber_fields = {"plan"};
  s.subject = {"subject.mustache", "{{campaign.title}} for {{subscriber.name}}\n"};
  s.text = TemplateSource{"text.mustache", "Hi {{subscriber.name}} ({{subscriber.plan}})\nBye: {{unsubscribe_url}}\n"};
  s.html = TemplateSource{"html.mustache", "<p>Hi {{subscriber.name}}</p><a href=\"{{unsubscribe_url}}\">x</a>"};
  return s;
}

Result<RenderedMessage> RenderOne(const CompiledCampaign& c, std::string_view email, std::string_view name,
                                  std::vector<std::string_view> fields = {"gold"}) {
  SeededRandom random(1);
  return c.Render(Recipient{555, email, name, fields}, kDate, random);
}

std::string HeaderBlock(const std::string& msg) { return msg.substr(0, msg.find("\r\n\r\n") + 2); }

TEST(CampaignTest, RendersAllHeadersInOrder) {
  auto c = CompiledCampaign::Compile(Spec());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->author_domain(), "xn--wgv71a.example");
  auto m = RenderOne(*c, "taro@example.jp", "Taro");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  std::string h = HeaderBlock(m->data);
  std::vector<std::string> order = {"From:", "To:", "Subject:", "Date:", "Message-ID:", "List-Id:",
                                    "List-Unsubscribe:", "List-Unsubscribe-Post:", "Feedback-ID:",
                                    "MIME-Version:", "Content-Type:"};
  size_t at = 0;
  for (const auto& name : order) {
    size_t p = h.find("\r\n" + name);
    if (name == "From:") p = h.rfind(name, 0) == 0 ? 0 : std::string::npos;
    ASSERT_NE(p, std::string::npos) << name << " missing in\n" << h;
    EXPECT_GE(p, at) << name << " out of order";
    at = p;
  }
  EXPECT_NE(h.find("\r\nTo: Taro <taro@example.jp>\r\n"), std::string::npos);
  EXPECT_NE(h.find("\r\nSubject: Spring for Taro\r\n"), std::string::npos);
  EXPECT_NE(h.find("\r\nDate: Thu, 13 Feb 2025 00:30:00 +0000\r\n"), std::string::npos);
  EXPECT_NE(h.find("@xn--wgv71a.example>\r\n"), std::string::npos);
  EXPECT_NE(h.find("\r\nList-Id: News <news.xn--wgv71a.example>\r\n"), std::string::npos);
  EXPECT_NE(h.find("\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"), std::string::npos);
  EXPECT_NE(h.find("\r\nFeedback-ID: 1001:42:newsletter:shop42\r\n"), std::string::npos);
  EXPECT_EQ(m->envelope_to, "taro@example.jp");
  EXPECT_EQ(m->message_id.front(), '<');
  EXPECT_NE(h.find("Message-ID: " + m->message_id + "\r\n"), std::string::npos);
}

TEST(CampaignTest, UnsubscribeUrlCarriesAVerifiableToken) {
  auto c = CompiledCampaign::Compile(Spec());
  auto m = RenderOne(*c, "taro@example.jp", "Taro");
  ASSERT_TRUE(m.ok());
  size_t p = m->data.find("List-Unsubscribe: <https://u.example/u/");
  ASSERT_NE(p, std::string::npos);
  size_t start = p + std::string("List-Unsubscribe: <https://u.example/u/").size();
  std::string token = m->data.substr(start, m->data.find('>', start) - start);
  unsubscribe::KeySet keys;
  ASSERT_TRUE(keys.Add(*unsubscribe::SigningKey::Make("k1", std::string(32, 's'))).ok());
  auto f = unsubscribe::Verify(token, keys);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->tenant_id, 42u);
  EXPECT_EQ(f->list_id, 7u);
  EXPECT_EQ(f->subscriber_id, 555u);
  EXPECT_EQ(f->campaign_id, 1001u);
  // Folded only between the URIs.
  EXPECT_NE(m->data.find(">,\r\n <mailto:unsub@u.example>\r\n"), std::string::npos);
}

TEST(CampaignTest, MessageIdsAndBoundariesDifferPerMessage) {
  auto c = CompiledCampaign::Compile(Spec());
  SeededRandom random(7);
  std::vector<std::string_view> fields = {"gold"};
  auto a = c->Render(Recipient{1, "a@example.jp", "", fields}, kDate, random);
  auto b = c->Render(Recipient{1, "a@example.jp", "", fields}, kDate, random);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->message_id, b->message_id);
}

TEST(CampaignTest, HtmlOnlyCampaignGetsATextPart) {
  CampaignSpec s = Spec();
  s.text.reset();
  auto c = CompiledCampaign::Compile(s);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto m = RenderOne(*c, "taro@example.jp", "Taro");
  ASSERT_TRUE(m.ok());
  EXPECT_NE(m->data.find("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nHi Taro\r\n\r\nx <https://u.example/u/k1."),
            std::string::npos)
      << m->data;
}

TEST(CampaignTest, TextOnlyCampaignIsSinglePart) {
  CampaignSpec s = Spec();
  s.html.reset();
  auto c = CompiledCampaign::Compile(s);
  auto m = RenderOne(*c, "taro@example.jp", "Taro");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->data.find("multipart"), std::string::npos);
  EXPECT_NE(m->data.find("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"), std::string::npos);
  EXPECT_EQ(m->data.substr(m->data.size() - 2), "\r\n");
}

TEST(CampaignTest, CompileErrorsSayWhat) {
  auto err = [](CampaignSpec s) {
    auto c = CompiledCampaign::Compile(s);
    EXPECT_FALSE(c.ok());
    return c.ok() ? "" : c.status().message();
  };
  CampaignSpec s = Spec();
  s.from = "a@example.jp, b@example.jp";
  EXPECT_NE(err(s).find("From: expected exactly one address, found 2"), std::string::npos);
  s = Spec();
  s.from = "news@localhost";
  EXPECT_NE(err(s).find("From: address 'news@localhost' has an invalid domain"), std::string::npos);
  s = Spec();
  s.unsubscribe.base_url = "http://u.example/u/";
  EXPECT_NE(err(s).find("must start with https://"), std::string::npos);
  s = Spec();
  s.unsubscribe.key.reset();
  EXPECT_NE(err(s).find("no signing key"), std::string::npos);
  s = Spec();
  s.sender_id = "abc";
  EXPECT_NE(err(s).find("sender id 'abc' must be 5 to 15"), std::string::npos);
  s = Spec();
  s.html = TemplateSource{"html.mustache", "<p>\n{{#subscriber.plan}}\n"};
  EXPECT_EQ(err(s), "html.mustache:2: mustache syntax error: unclosed section \"subscriber.plan\"");
  s = Spec();
  s.subject = {"subject.mustache", "Hello\nBcc: x@evil.example"};
  EXPECT_NE(err(s).find("subject.mustache: contains a line feed (LF)"), std::string::npos);
  s = Spec();
  s.text.reset();
  s.html.reset();
  EXPECT_NE(err(s).find("neither a text nor an HTML template"), std::string::npos);
  s = Spec();
  s.subscriber_fields = {"email"};
  EXPECT_NE(err(s).find("built in"), std::string::npos);
}

// Every variable that can reach a header, with every way of smuggling a line
// break: the recipient (or campaign) is rejected and the error names the
// variable and the header; nothing is ever rendered.
TEST(CampaignTest, HeaderInjectionIsRejectedNamingTheField) {
  const std::vector<std::string> payloads = {
      "x\ry", "x\ny", "x\r\nBcc: evil@attacker.example", std::string("x\0y", 3), "x\r\n\r\nbody",
      "=?UTF-8?Q?x=0D=0ABcc:_evil@attacker.example?=", "=?utf-8?b?eA0KQmNjOiBldmls?=", "x\xE2\x80\xA8y",
      "x\xC2\x85y", "bad \xC3 utf8", "x\x0by",
  };
  CampaignSpec s = Spec();
  s.subject = {"subject.mustache",
               "{{subscriber.name}} {{subscriber.plan}} {{subscriber.email}} {{shop.name}} {{campaign.title}}"};
  auto c = CompiledCampaign::Compile(s);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  for (const auto& p : payloads) {
    auto by_name = RenderOne(*c, "taro@example.jp", p);
    ASSERT_FALSE(by_name.ok()) << p;
    EXPECT_EQ(by_name.status().error_class(), ErrorClass::kInvalidInput);
    EXPECT_EQ(by_name.status().message().rfind("subscriber.name (in To): contains", 0), 0u)
        << by_name.status().message();

    auto by_field = RenderOne(*c, "taro@example.jp", "Taro", {p});
    ASSERT_FALSE(by_field.ok()) << p;
    EXPECT_EQ(by_field.status().message().rfind("subscriber.plan (in Subject): contains", 0), 0u)
        << by_field.status().message();

    auto by_email = RenderOne(*c, "taro" + p + "@example.jp", "Taro");
    ASSERT_FALSE(by_email.ok()) << p;
    EXPECT_EQ(by_email.status().message().rfind("subscriber.email (in To): ", 0), 0u) << by_email.status().message();

    for (const char* group : {"shop", "campaign"}) {
      CampaignSpec bad = s;
      (std::string(group) == "shop" ? bad.shop_fields : bad.campaign_fields)[0].second = p;
      auto cc = CompiledCampaign::Compile(bad);
      ASSERT_FALSE(cc.ok()) << group << " " << p;
      std::string field = std::string(group) + (std::string(group) == "shop" ? ".name" : ".title");
      EXPECT_EQ(cc.status().message().rfind(field, 0), 0u) << cc.status().message();
    }

    CampaignSpec bad_from = Spec();
    bad_from.from = "Shop" + p + " <news@example.jp>";
    auto cf = CompiledCampaign::Compile(bad_from);
    ASSERT_FALSE(cf.ok()) << p;
    EXPECT_EQ(cf.status().message().rfind("From: ", 0), 0u) << cf.status().message();
  }
}

TEST(CampaignTest, LineBreaksInBodyOnlyVariablesAreFine) {
  CampaignSpec s = Spec();  // subscriber.plan is only in the body
  auto c = CompiledCampaign::Compile(s);
  auto m = RenderOne(*c, "taro@example.jp", "Taro", {"line 1\r\nBcc: not-a-header@example"});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(HeaderBlock(m->data).find("Bcc:"), std::string::npos);
  auto nul = RenderOne(*c, "taro@example.jp", "Taro", {std::string("a\0b", 3)});
  ASSERT_FALSE(nul.ok());
  EXPECT_EQ(nul.status().message(), "subscriber.plan: contains a NUL byte at byte 1");
}

TEST(CampaignTest, ConstantSubjectIsPrecomputedAndIdentical) {
  CampaignSpec s = Spec();
  s.subject = {"subject.mustache", "【{{shop.name}}】春の新作のお知らせ\n"};
  auto c = CompiledCampaign::Compile(s);
  ASSERT_TRUE(c.ok());
  auto m = RenderOne(*c, "taro@example.jp", "Taro");
  ASSERT_TRUE(m.ok());
  EXPECT_NE(m->data.find("\r\nSubject: =?UTF-8?B?"), std::string::npos);
}

// Campaigns compiled through one template cache (as the engine does) give
// the very bytes of campaigns compiled alone, each with its own constants.
TEST(CampaignTest, CompiledThroughATemplateCacheTheMessageIsTheSame) {
  TemplateCache cache;
  for (std::string shop : {"Shop", "Other & Co"}) {
    CampaignSpec spec = Spec();
    spec.shop_fields = {{"name", shop}};
    spec.html = TemplateSource{"html.mustache", "<p>{{shop.name}}: Hi {{subscriber.name}}</p>"};
    auto alone = CompiledCampaign::Compile(spec);
    auto cached = CompiledCampaign::Compile(spec, &cache);
    ASSERT_TRUE(alone.ok() && cached.ok()) << cached.status().ToString();
    auto a = RenderOne(*alone, "ann@example.com", "Ann");
    auto b = RenderOne(*cached, "ann@example.com", "Ann");
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->data, b->data);
  }
  EXPECT_EQ(cache.stats().misses, 3u);  // subject, text and html, parsed once each
  EXPECT_EQ(cache.stats().hits, 3u);
}

}  // namespace
}  // namespace tayori::render
