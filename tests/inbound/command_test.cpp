#include "inbound/command.h"

#include <gtest/gtest.h>

#include "inbound/limits.h"

namespace tayori::inbound {
namespace {

TEST(CommandTest, VerbsCompareWithoutCaseAndArgumentsAreTrimmed) {
  Command c = ParseCommand("mail FROM:<a@b>  ");
  EXPECT_EQ(c.verb, Verb::kMail);
  EXPECT_EQ(c.args, "FROM:<a@b>");
  EXPECT_EQ(ParseCommand("EhLo   client.example").args, "client.example");
  EXPECT_EQ(ParseCommand("QUIT").verb, Verb::kQuit);
  EXPECT_EQ(ParseCommand("QUIT").args, "");
  EXPECT_EQ(ParseCommand("LHLO x").verb, Verb::kLhlo);
  EXPECT_EQ(ParseCommand("STARTTLS").verb, Verb::kNotImplemented);
  EXPECT_EQ(ParseCommand("AUTH PLAIN AAAA").verb, Verb::kNotImplemented);
  EXPECT_EQ(ParseCommand("BDAT 100 LAST").verb, Verb::kNotImplemented);
  EXPECT_EQ(ParseCommand("GET / HTTP/1.1").verb, Verb::kUnknown);
  EXPECT_EQ(ParseCommand("").verb, Verb::kUnknown);
  EXPECT_EQ(ParseCommand("MAILFROM:<a@b>").verb, Verb::kUnknown);
}

TEST(CommandTest, PathWithParameters) {
  PathArgs p;
  ASSERT_EQ(ParsePathArgs("FROM:<bounce@mx.example> size=1234 BODY=8BITMIME SMTPUTF8", "FROM:", &p), PathError::kNone);
  EXPECT_EQ(p.address, "bounce@mx.example");
  ASSERT_EQ(p.params.size(), 3u);
  EXPECT_EQ(p.params[0].keyword, "SIZE");
  EXPECT_EQ(p.params[0].value, "1234");
  EXPECT_EQ(p.params[1].keyword, "BODY");
  EXPECT_EQ(p.params[2].keyword, "SMTPUTF8");
  EXPECT_EQ(p.params[2].value, "");
}

TEST(CommandTest, NullPathSpacesAfterColonAndKeywordCase) {
  PathArgs p;
  ASSERT_EQ(ParsePathArgs("from:<>", "FROM:", &p), PathError::kNone);
  EXPECT_EQ(p.address, "");
  ASSERT_EQ(ParsePathArgs("TO: <b+1.abcdefghij@Bounce.Example>", "TO:", &p), PathError::kNone);
  EXPECT_EQ(p.address, "b+1.abcdefghij@Bounce.Example");
}

TEST(CommandTest, SourceRouteIsDropped) {
  PathArgs p;
  ASSERT_EQ(ParsePathArgs("TO:<@relay1.example,@relay2.example:user@example.com>", "TO:", &p), PathError::kNone);
  EXPECT_EQ(p.address, "user@example.com");
  EXPECT_EQ(ParsePathArgs("TO:<@relay1.example>", "TO:", &p), PathError::kAddress);
}

TEST(CommandTest, QuotedLocalPartMayHoldSpacesAndBrackets) {
  PathArgs p;
  ASSERT_EQ(ParsePathArgs(R"(TO:<"odd > local"@example.com>)", "TO:", &p), PathError::kNone);
  EXPECT_EQ(p.address, R"("odd > local"@example.com)");
}

TEST(CommandTest, PostmasterAloneIsAMailbox) {
  PathArgs p;
  ASSERT_EQ(ParsePathArgs("TO:<Postmaster>", "TO:", &p), PathError::kNone);
  EXPECT_EQ(p.address, "Postmaster");
}

TEST(CommandTest, Malformed) {
  PathArgs p;
  EXPECT_EQ(ParsePathArgs("FROM:a@b", "FROM:", &p), PathError::kSyntax);       // no brackets
  EXPECT_EQ(ParsePathArgs("FROM <a@b>", "FROM:", &p), PathError::kSyntax);     // no colon
  EXPECT_EQ(ParsePathArgs("FROM:<a@b", "FROM:", &p), PathError::kSyntax);      // unclosed
  EXPECT_EQ(ParsePathArgs("FROM:<a@b>X=1", "FROM:", &p), PathError::kSyntax);  // no space before a parameter
  EXPECT_EQ(ParsePathArgs("FROM:<a@b> =1", "FROM:", &p), PathError::kSyntax);
  EXPECT_EQ(ParsePathArgs("FROM:<a@b> SIZE=", "FROM:", &p), PathError::kSyntax);
  EXPECT_EQ(ParsePathArgs("FROM:<a@b> SI_ZE=1", "FROM:", &p), PathError::kSyntax);
  EXPECT_EQ(ParsePathArgs("TO:<a b@c>", "TO:", &p), PathError::kAddress);
  EXPECT_EQ(ParsePathArgs("TO:<ab>", "TO:", &p), PathError::kAddress);
  EXPECT_EQ(ParsePathArgs("TO:<@c>", "TO:", &p), PathError::kAddress);
  EXPECT_EQ(ParsePathArgs("TO:<a@>", "TO:", &p), PathError::kAddress);
  EXPECT_EQ(ParsePathArgs(std::string("TO:<a\x01@c>"), "TO:", &p), PathError::kAddress);
  EXPECT_EQ(ParsePathArgs("TO:<\"unclosed@c>", "TO:", &p), PathError::kSyntax);
}

TEST(CommandTest, PathLengthLimit) {
  PathArgs p;
  std::string local(kMaxPathBytes - 2 - 2, 'a');  // brackets and "@b" make exactly the limit
  EXPECT_EQ(ParsePathArgs("TO:<" + local + "@b>", "TO:", &p), PathError::kNone);
  EXPECT_EQ(ParsePathArgs("TO:<" + local + "a@b>", "TO:", &p), PathError::kTooLong);
}

TEST(CommandTest, Utf8AddressesPass) {
  PathArgs p;
  ASSERT_EQ(ParsePathArgs("TO:<\xE3\x81\x82@example.jp> ", "TO:", &p), PathError::kNone);
  EXPECT_EQ(p.address, "\xE3\x81\x82@example.jp");
}

}  // namespace
}  // namespace tayori::inbound
