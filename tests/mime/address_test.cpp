#include "mime/address.h"

#include <gtest/gtest.h>

#include "header_test_util.h"

namespace tayori::mime {
namespace {

std::string Why(std::string_view text) {
  auto r = ParseMailbox(text);
  EXPECT_FALSE(r.ok()) << text << " was accepted";
  return r.ok() ? "" : r.status().message();
}

TEST(AddressTest, ParsesAddrSpec) {
  auto m = ParseMailbox("taro@example.jp");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->display_name, "");
  EXPECT_EQ(m->local_part, "taro");
  EXPECT_EQ(m->domain, "example.jp");
}

TEST(AddressTest, ParsesNameAddrForms) {
  auto m = ParseMailbox("Taro Yamada <taro@Example.JP>");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->display_name, "Taro Yamada");
  EXPECT_EQ(m->AddrSpec(), "taro@example.jp");

  m = ParseMailbox("\"Yamada, Taro \\\"TY\\\"\" <taro@example.jp>");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->display_name, "Yamada, Taro \"TY\"");

  m = ParseMailbox("山田 太郎 <taro@example.jp>");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->display_name, "山田 太郎");

  m = ParseMailbox("  John Q. Public   (the reader) <jqp@example.com> ");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->display_name, "John Q. Public");

  m = ParseMailbox("jqp@example.com (John)");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->AddrSpec(), "jqp@example.com");

  m = ParseMailbox("\"odd local\"@example.com");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->local_part, "odd local");
  EXPECT_EQ(m->AddrSpec(), "\"odd local\"@example.com");
}

TEST(AddressTest, InternationalizedDomainBecomesALabel) {
  auto m = ParseMailbox("ニュース <news@日本.example>");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->domain, "xn--wgv71a.example");
}

TEST(AddressTest, ListAndExactlyOne) {
  auto l = ParseMailboxList("a@example.com, \"B, b\" <b@example.com>");
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  ASSERT_EQ(l->size(), 2u);
  EXPECT_EQ((*l)[1].display_name, "B, b");
  EXPECT_NE(Why("a@example.com, b@example.com").find("exactly one address, found 2"), std::string::npos);
}

TEST(AddressTest, EachRejectionSaysWhy) {
  EXPECT_NE(Why("").find("empty"), std::string::npos);
  EXPECT_NE(Why("taro.example.jp").find("has no '@'"), std::string::npos);
  EXPECT_NE(Why("a@b@example.jp").find("more than one '@'"), std::string::npos);
  EXPECT_NE(Why("@example.jp").find("empty local part"), std::string::npos);
  EXPECT_NE(Why("taro@").find("empty domain"), std::string::npos);
  EXPECT_NE(Why(".taro@example.jp").find("starts or ends with '.'"), std::string::npos);
  EXPECT_NE(Why("ta..ro@example.jp").find("two dots in a row"), std::string::npos);
  EXPECT_NE(Why("ta ro@example.jp").find("white space"), std::string::npos);
  EXPECT_NE(Why("ta(ro@example.jp").find("unterminated comment"), std::string::npos);
  EXPECT_NE(Why("ta\"ro@example.jp").find("unterminated quoted-string"), std::string::npos);
  EXPECT_NE(Why("ta[ro@example.jp").find("'[' in its local part"), std::string::npos);
  EXPECT_NE(Why("たろう@example.jp").find("SMTPUTF8"), std::string::npos);
  EXPECT_NE(Why(std::string(65, 'a') + "@example.jp").find("longer than 64"), std::string::npos);
  EXPECT_NE(Why("taro@[192.0.2.1]").find("address literal"), std::string::npos);
  EXPECT_NE(Why("taro@localhost").find("at least two labels"), std::string::npos);
  EXPECT_NE(Why("taro@exa_mple.jp").find("contains '_'"), std::string::npos);
  EXPECT_NE(Why("Friends: a@example.jp;").find("group syntax"), std::string::npos);
  EXPECT_NE(Why("Taro <taro@example.jp").find("without a closing '>'"), std::string::npos);
  EXPECT_NE(Why("Taro <taro@example.jp> x").find("text after '>'"), std::string::npos);
  EXPECT_NE(Why("Taro@home <taro@example.jp>").find("display name"), std::string::npos);
  EXPECT_NE(Why("taro@example.jp\r\nBcc: x@evil.example").find("carriage return"), std::string::npos);
  EXPECT_NE(Why("taro@example.jp\nBcc: x@evil.example").find("line feed"), std::string::npos);
  EXPECT_NE(Why(std::string("taro@example.jp\0", 16)).find("NUL"), std::string::npos);
  EXPECT_NE(Why("taro\xff@example.jp").find("invalid UTF-8"), std::string::npos);
  std::string long_domain;
  for (int i = 0; i < 5; ++i) long_domain += std::string(60, 'd') + ".";
  EXPECT_FALSE(ParseMailbox("a@" + long_domain + "jp").ok());
}

TEST(AddressTest, FormatsNameAndAddress) {
  auto m = MakeMailbox("Yamada, Taro", "taro@example.jp");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(FormatMailboxField("From", *m), "From: \"Yamada, Taro\" <taro@example.jp>\r\n");
  m = MakeMailbox("", "taro@example.jp");
  EXPECT_EQ(FormatMailboxField("To", *m), "To: taro@example.jp\r\n");
  m = MakeMailbox("ショップ店長より愛をこめて、いつもありがとうございます。今月のお知らせ", "news@日本.example");
  ASSERT_TRUE(m.ok());
  std::string f = FormatMailboxField("From", *m);
  auto lines = testing::Lines(f);
  for (auto& l : lines) EXPECT_LE(l.size(), 76u) << l;
  EXPECT_NE(f.find("<news@xn--wgv71a.example>"), std::string::npos);
  // The address is never split across lines.
  for (auto& l : lines) {
    if (l.find('<') != std::string::npos) {
      EXPECT_NE(l.find('>'), std::string::npos);
    }
  }
  EXPECT_EQ(testing::DecodeWords(f.substr(5, f.find('<') - 5)), m->display_name);
}

TEST(AddressTest, MakeMailboxRejectsUnsafeNames) {
  auto m = MakeMailbox("Taro\r\nBcc: x@evil.example", "taro@example.jp");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("display name: contains a carriage return"), std::string::npos);
}

}  // namespace
}  // namespace tayori::mime
