#include "feedback/fields.h"

#include <gtest/gtest.h>

namespace tayori::feedback {
namespace {

std::vector<Fields> Groups(std::string_view text) {
  std::vector<Fields> out;
  ForEachFieldGroup(text, [&](Fields& g) {
    out.push_back(g);
    return true;
  });
  return out;
}

TEST(FieldsTest, GroupsAreSeparatedByBlankLines) {
  auto g = Groups("Reporting-MTA: dns; mx.example.com\r\n\r\nFinal-Recipient: rfc822; a@example.com\r\n"
                  "Action: failed\r\n \r\nFinal-Recipient: rfc822; b@example.com\r\n");
  ASSERT_EQ(g.size(), 3u);
  EXPECT_EQ(g[0][0].name, "Reporting-MTA");
  EXPECT_EQ(g[0][0].value, "dns; mx.example.com");
  EXPECT_EQ(*FindField(g[1], "action"), "failed");
  EXPECT_EQ(*FindField(g[2], "FINAL-RECIPIENT"), "rfc822; b@example.com");
}

TEST(FieldsTest, FoldedValuesAreJoinedWithOneSpace) {
  auto g = Groups("Diagnostic-Code: smtp; 550 5.1.1 <a@example.com>:\n    Recipient address rejected\n\tUser unknown\n");
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0][0].value, "smtp; 550 5.1.1 <a@example.com>: Recipient address rejected User unknown");
}

TEST(FieldsTest, ProseAndContinuationsWithoutAFieldAreSkipped) {
  auto g = Groups("  orphan continuation\nThis is prose: not a field\nStatus: 5.1.1\n");
  ASSERT_EQ(g.size(), 1u);
  ASSERT_EQ(g[0].size(), 1u);
  EXPECT_EQ(g[0][0].name, "Status");
}

TEST(FieldsTest, ValuesAreValidUtf8AndBounded) {
  std::string long_value(100000, 'x');
  auto g = Groups("Diagnostic-Code: \xff\xfe " + long_value + "\n");
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0][0].value.substr(0, 6), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_LE(g[0][0].value.size(), 2000u * 4);
}

TEST(FieldsTest, StopsWhenTheCallbackSaysSo) {
  int n = 0;
  ForEachFieldGroup("A: 1\n\nB: 2\n\nC: 3\n", [&](Fields&) { return ++n < 2; });
  EXPECT_EQ(n, 2);
}

TEST(FieldsTest, CaseInsensitiveHelpers) {
  EXPECT_TRUE(EqualsIgnoreCase("Final-Recipient", "final-recipient"));
  EXPECT_FALSE(EqualsIgnoreCase("Final", "Final-"));
  EXPECT_TRUE(ContainsIgnoreCase("Mail Delivery Subsystem", "DELIVERY"));
  EXPECT_TRUE(StartsWithIgnoreCase("Auto: away", "auto:"));
  EXPECT_EQ(TrimSpace(" \t x \r\n"), "x");
  Fields f = {{"To", "a"}, {"to", "b"}};
  EXPECT_EQ(FindAll(f, "TO"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(FindField(f, "From"), nullptr);
}

}  // namespace
}  // namespace tayori::feedback
