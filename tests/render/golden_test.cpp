// Golden messages: each template directory in templates/ rendered with its
// preview.json (fixed date and random seed) must equal
// tests/render/golden/<name>.eml byte for byte. After an intended change,
// regenerate with TAYORI_UPDATE_GOLDEN=1 build/tests/render_test and review
// the diff.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "render/preview.h"
#include "render/template.h"

namespace tayori::render {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, MatchesGoldenMessage) {
  const std::string name = GetParam();
  const std::string dir = "templates/" + name;
  auto in = LoadPreviewInput(dir, dir + "/preview.json");
  ASSERT_TRUE(in.ok()) << in.status().ToString() << " (tests run from the source root)";
  ASSERT_TRUE(in->date.has_value() && in->random_seed.has_value()) << "golden input must fix date and random_seed";
  auto msg = RenderPreview(*in, dir + "/preview.json");
  ASSERT_TRUE(msg.ok()) << msg.status().ToString();
  const std::string golden_path = "tests/render/golden/" + name + ".eml";
  // TAYORI_UPDATE_GOLDEN=1 rewrites the golden file first (review the diff).
  if (std::getenv("TAYORI_UPDATE_GOLDEN")) std::ofstream(golden_path, std::ios::binary) << msg->data;
  std::string golden = Slurp(golden_path);
  ASSERT_FALSE(golden.empty()) << golden_path << " is missing";
  EXPECT_EQ(msg->data, golden) << "rendered output differs from " << golden_path;
}

INSTANTIATE_TEST_SUITE_P(Templates, GoldenTest, ::testing::Values("newsletter-ja", "newsletter-en"));

// The unsubscribe confirmation pages are templates for the HTTP endpoint;
// they must compile with the variables it will provide.
TEST(UnsubscribePageTest, ConfirmPagesCompileAndPostOneClick) {
  TemplateVariables vars;
  vars.AddSlot("shop.name", 0);
  vars.AddSlot("list.name", 1);
  vars.AddSlot("scope_shop", 2);
  for (const char* lang : {"ja", "en"}) {
    std::string path = std::string("templates/unsubscribe/confirm.") + lang + ".html";
    std::string text = Slurp(path);
    ASSERT_FALSE(text.empty()) << path;
    auto t = CompiledTemplate::Compile({path, text}, vars, Escaping::kHtml);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    std::vector<std::string_view> slots = {"<Shop>", "News", ""};
    std::string page;
    t->Render(slots, page);
    EXPECT_NE(page.find("&lt;Shop&gt;"), std::string::npos);
    EXPECT_NE(page.find("<form method=\"post\">"), std::string::npos);
    EXPECT_NE(page.find("name=\"List-Unsubscribe\" value=\"One-Click\""), std::string::npos);
  }
}

}  // namespace
}  // namespace tayori::render
