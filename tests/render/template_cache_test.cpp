// render::TemplateCache: one parse per name and text, bound to each
// campaign's variables; bounded by entries and bytes.
#include "render/template_cache.h"

#include <gtest/gtest.h>

namespace tayori::render {
namespace {

TemplateVariables Vars() {
  TemplateVariables v;
  v.AddConstant("shop.name", "Tom & Jerry's <Shop>");
  v.AddSlot("subscriber.name", 0);
  return v;
}

// The engine parses a template once per text for all campaigns (shops share
// the platform's templates) and binds it to each campaign's variables: the
// same output as compiling from the text, each shop with its own constants.
TEST(TemplateCacheTest, OneParseServesCampaignsWithTheirOwnConstants) {
  TemplateCache cache;
  TemplateSource src{"html.mustache",
                     "{{#shop.note}}<p>{{shop.note}}</p>\n{{/shop.note}}<b>{{shop.name}}</b> {{subscriber.name}}\n"};
  for (std::string shop : {"A & B", "Cafe <C>", ""}) {
    TemplateVariables vars;
    vars.AddConstant("shop.name", shop);
    vars.AddConstant("shop.note", shop.empty() ? "" : "note of " + shop);
    vars.AddSlot("subscriber.name", 0);
    auto parsed = cache.Parse(src);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    auto bound = CompiledTemplate::Compile(**parsed, vars, Escaping::kHtml);
    auto direct = CompiledTemplate::Compile(src, vars, Escaping::kHtml);
    ASSERT_TRUE(bound.ok() && direct.ok());
    std::vector<std::string_view> slots = {"<Ann>"};
    std::string a, b;
    bound->Render(slots, a);
    direct->Render(slots, b);
    EXPECT_EQ(a, b);
    EXPECT_NE(a.find(shop.empty() ? "<b></b>" : "<b>" + std::string(shop == "A & B" ? "A &amp; B" : "Cafe &lt;C&gt;")),
              std::string::npos)
        << a;
  }
  auto stats = cache.stats();
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.hits, 2u);
  EXPECT_EQ(stats.size, 1u);
}

// Binding still checks names against each campaign's variables, with the
// template's name and line; a template that does not parse is never kept.
TEST(TemplateCacheTest, ErrorsComeBackEachTimeWithNameAndLine) {
  TemplateCache cache;
  auto parsed = cache.Parse({"text.mustache", "Hello\n{{shop.nope}}\n"});
  ASSERT_TRUE(parsed.ok());
  auto bound = CompiledTemplate::Compile(**parsed, Vars(), Escaping::kNone);
  ASSERT_FALSE(bound.ok());
  EXPECT_NE(bound.status().message().find("text.mustache:2: unknown variable 'shop.nope'"), std::string::npos)
      << bound.status().message();
  for (int i = 0; i < 2; ++i) {
    auto broken = cache.Parse({"html.mustache", "a\n{{#x}}\nb"});
    ASSERT_FALSE(broken.ok());
    EXPECT_EQ(broken.status().error_class(), ErrorClass::kInvalidInput);
    EXPECT_NE(broken.status().message().find("html.mustache:"), std::string::npos) << broken.status().message();
  }
  EXPECT_EQ(cache.stats().size, 1u);
  EXPECT_EQ(cache.stats().misses, 3u);  // failed parses count
  // The same text under another name is another entry: its errors name it.
  ASSERT_TRUE(cache.Parse({"subject", "Hello\n{{shop.nope}}\n"}).ok());
  EXPECT_EQ(cache.stats().size, 2u);
}

TEST(TemplateCacheTest, KeepsTheMostRecentlyUsedWithinItsCapacity) {
  TemplateCache cache(2);
  auto a = cache.Parse({"t", "a"});
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(cache.Parse({"t", "b"}).ok());
  ASSERT_TRUE(cache.Parse({"t", "a"}).ok());  // a used again: b is the oldest
  ASSERT_TRUE(cache.Parse({"t", "c"}).ok());  // b goes
  EXPECT_EQ(cache.stats().size, 2u);
  auto again = cache.Parse({"t", "a"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->get(), a->get());  // still the one parsed first
  uint64_t misses = cache.stats().misses;
  ASSERT_TRUE(cache.Parse({"t", "b"}).ok());
  EXPECT_EQ(cache.stats().misses, misses + 1);
}

// Bounded by bytes too: templates may be up to 256 KiB each.
TEST(TemplateCacheTest, KeepsWithinItsBytes) {
  const std::string big(10000, 'x');
  // Room for two such entries (each counted three times its name and text).
  TemplateCache cache(100, 2 * 3 * (2 + big.size()) + 10);
  ASSERT_TRUE(cache.Parse({"a", big}).ok());
  ASSERT_TRUE(cache.Parse({"b", big}).ok());
  EXPECT_EQ(cache.stats().size, 2u);
  ASSERT_TRUE(cache.Parse({"c", big}).ok());  // a goes
  EXPECT_EQ(cache.stats().size, 2u);
  EXPECT_LE(cache.stats().bytes, 2 * 3 * (2 + big.size()) + 10);
  uint64_t misses = cache.stats().misses;
  ASSERT_TRUE(cache.Parse({"c", big}).ok());
  ASSERT_TRUE(cache.Parse({"b", big}).ok());
  EXPECT_EQ(cache.stats().misses, misses);
  ASSERT_TRUE(cache.Parse({"a", big}).ok());
  EXPECT_EQ(cache.stats().misses, misses + 1);
  // One heavier than the whole budget is parsed, not kept.
  TemplateCache small(100, 1000);
  auto parsed = small.Parse({"big", big});
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(small.stats().size, 0u);
  EXPECT_EQ(small.stats().bytes, 0u);
}

}  // namespace
}  // namespace tayori::render
