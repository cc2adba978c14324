#include "readiness/text.h"

#include <gtest/gtest.h>

#include <set>

namespace tayori::readiness {
namespace {

std::set<std::string> Placeholders(std::string_view t) {
  std::set<std::string> out;
  for (size_t i = t.find('{'); i != std::string_view::npos; i = t.find('{', i + 1)) {
    size_t close = t.find('}', i);
    if (close == std::string_view::npos) break;
    out.emplace(t.substr(i + 1, close - i - 1));
  }
  return out;
}

TEST(MessagesTest, EveryMessageHasBothLanguagesWithTheSamePlaceholders) {
  for (MessageId id : AllMessageIds()) {
    std::string_view en = MessageTemplate(id, false);
    std::string_view ja = MessageTemplate(id, true);
    EXPECT_FALSE(en.empty()) << static_cast<int>(id);
    EXPECT_FALSE(ja.empty()) << static_cast<int>(id);
    EXPECT_EQ(Placeholders(en), Placeholders(ja)) << en << " / " << ja;
    EXPECT_NE(en, ja) << en;
  }
  EXPECT_TRUE(MessageTemplate(MessageId::kNone, false).empty());
}

TEST(TextTest, RendersArgumentsAndNestedMessagesInTheChosenLanguage) {
  Text t = Text(MessageId::kDkimKeyMatches)
               .Arg("selector", "s1")
               .Arg("role", Text(MessageId::kWordRoleActive))
               .Arg("bits", 2048)
               .Arg("algorithm", "RSA");
  EXPECT_EQ(t.Render(Lang::kEn), "Selector s1 (in use) publishes the key Tayori signs with (2048-bit RSA).");
  EXPECT_EQ(t.Render(Lang::kJa), "セレクタ s1（使用中）に、Tayori が署名に使う鍵（RSA 2048 ビット）が公開されています。");
  EXPECT_TRUE(Text().empty());
  EXPECT_EQ(Text().Render(Lang::kEn), "");
}

TEST(TextTest, ArgumentsFromDnsCannotCarryControlCharactersOrRunOn) {
  Text t = Text(MessageId::kDkimKeyMissing).Arg("name", "evil\x1b[2J\r\nname");
  EXPECT_EQ(t.Render(Lang::kEn).find('\x1b'), std::string::npos);
  EXPECT_NE(t.Render(Lang::kEn).find("evil?[2J??name"), std::string::npos);
  std::string long_value(1000, 'x');
  std::string rendered = Text(MessageId::kDkimKeyMissing).Arg("name", long_value).Render(Lang::kEn);
  EXPECT_LT(rendered.size(), 450u);
  EXPECT_NE(rendered.find("…"), std::string::npos);
  // A cut never splits a UTF-8 character.
  std::string kana;
  for (int i = 0; i < 200; ++i) kana += "あ";
  std::string cut = Text(MessageId::kDkimKeyMissing).Arg("name", kana).Render(Lang::kEn);
  EXPECT_NE(cut.find("あ…"), std::string::npos);
}

TEST(TextTest, LanguageFromLocale) {
  EXPECT_EQ(LangFromLocale("ja"), Lang::kJa);
  EXPECT_EQ(LangFromLocale("ja_JP.UTF-8"), Lang::kJa);
  EXPECT_EQ(LangFromLocale("ja-JP"), Lang::kJa);
  EXPECT_EQ(LangFromLocale("JA"), Lang::kJa);
  EXPECT_EQ(LangFromLocale("jam"), Lang::kEn);
  EXPECT_EQ(LangFromLocale("en_US"), Lang::kEn);
  EXPECT_EQ(LangFromLocale(""), Lang::kEn);
  EXPECT_EQ(LangCode(Lang::kJa), "ja");
}

}  // namespace
}  // namespace tayori::readiness
