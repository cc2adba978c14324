#include "dkim/canonicalization.h"

#include <gtest/gtest.h>

#include "dkim/message.h"

namespace tayori::dkim {
namespace {

constexpr auto kSimple = Canonicalization::kSimple;
constexpr auto kRelaxed = Canonicalization::kRelaxed;

std::string Headers(std::string_view message, Canonicalization c) {
  auto view = SplitMessage(message);
  EXPECT_TRUE(view.ok());
  std::string out;
  for (const HeaderField& f : view->fields) {
    AppendCanonicalHeader(f.field, c, &out);
    out += "\r\n";
  }
  return out;
}

// RFC 6376 §3.4.5, both examples.
constexpr char kRfcExample[] = "A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n";

TEST(CanonicalizationTest, Rfc6376Section345RelaxedExample) {
  EXPECT_EQ(Headers(kRfcExample, kRelaxed), "a:X\r\nb:Y Z\r\n");
  auto view = SplitMessage(kRfcExample);
  EXPECT_EQ(CanonicalizeBody(view->body, kRelaxed), " C\r\nD E\r\n");
}

TEST(CanonicalizationTest, Rfc6376Section345SimpleExample) {
  EXPECT_EQ(Headers(kRfcExample, kSimple), "A: X\r\nB : Y\t\r\n\tZ  \r\n");
  auto view = SplitMessage(kRfcExample);
  EXPECT_EQ(CanonicalizeBody(view->body, kSimple), " C \r\nD \t E\r\n");
}

TEST(CanonicalizationTest, EmptyBodyIsCrlfInSimpleAndEmptyInRelaxed) {
  EXPECT_EQ(CanonicalizeBody("", kSimple), "\r\n");
  EXPECT_EQ(CanonicalizeBody("", kRelaxed), "");
}

TEST(CanonicalizationTest, BodyOfOnlyCrlfsReducesToTheEmptyForm) {
  EXPECT_EQ(CanonicalizeBody("\r\n\r\n\r\n", kSimple), "\r\n");
  EXPECT_EQ(CanonicalizeBody("\r\n\r\n\r\n", kRelaxed), "");
  // Lines of only WSP are empty lines in relaxed, ordinary ones in simple.
  EXPECT_EQ(CanonicalizeBody(" \t\r\n  \r\n", kRelaxed), "");
  EXPECT_EQ(CanonicalizeBody(" \t\r\n  \r\n", kSimple), " \t\r\n  \r\n");
}

TEST(CanonicalizationTest, MissingFinalCrlfIsAdded) {
  EXPECT_EQ(CanonicalizeBody("abc", kSimple), "abc\r\n");
  EXPECT_EQ(CanonicalizeBody("abc  \t", kRelaxed), "abc\r\n");
  EXPECT_EQ(CanonicalizeBody("a\r\n\r\nb", kRelaxed), "a\r\n\r\nb\r\n");
}

TEST(CanonicalizationTest, InnerEmptyLinesAreKept) {
  EXPECT_EQ(CanonicalizeBody("a\r\n\r\n\r\nb\r\n\r\n", kSimple), "a\r\n\r\n\r\nb\r\n");
  EXPECT_EQ(CanonicalizeBody("a\r\n  \r\n\r\nb\r\n \r\n", kRelaxed), "a\r\n\r\n\r\nb\r\n");
}

TEST(CanonicalizationTest, RelaxedKeepsOneSpaceForLeadingWhitespace) {
  EXPECT_EQ(CanonicalizeBody("\t\t x  y\t\r\n", kRelaxed), " x y\r\n");
}

TEST(CanonicalizationTest, BareCrAndLfAreOrdinaryCharacters) {
  EXPECT_EQ(CanonicalizeBody("a\nb\rc\r\n", kSimple), "a\nb\rc\r\n");
  EXPECT_EQ(CanonicalizeBody("a \n b\r\r\n", kRelaxed), "a \n b\r\r\n");
}

TEST(CanonicalizationTest, SplittingTheBodyNeverChangesTheOutput) {
  const std::string body = "  Hello \t world \r\n\r\n\tline\r\r\n \r\n\r\nlast  \r\n\r\n \r\n";
  for (auto c : {kSimple, kRelaxed}) {
    const std::string whole = CanonicalizeBody(body, c);
    for (size_t cut1 = 0; cut1 <= body.size(); ++cut1) {
      for (size_t cut2 = cut1; cut2 <= body.size(); cut2 += 3) {
        StringSink sink;
        BodyCanonicalizer canon(c, &sink);
        canon.Update(std::string_view(body).substr(0, cut1));
        canon.Update(std::string_view(body).substr(cut1, cut2 - cut1));
        canon.Update(std::string_view(body).substr(cut2));
        canon.Finish();
        ASSERT_EQ(sink.data(), whole) << "cuts " << cut1 << "," << cut2;
        EXPECT_EQ(canon.output_size(), whole.size());
      }
    }
  }
}

TEST(CanonicalizationTest, LargeBodiesPassThroughTheBuffer) {
  std::string line(100, 'x');
  std::string body;
  for (int i = 0; i < 200; ++i) body += line + "  \r\n";
  std::string relaxed = CanonicalizeBody(body, kRelaxed);
  EXPECT_EQ(relaxed.size(), 200u * 102u);
  std::string big(10000, 'y');
  EXPECT_EQ(CanonicalizeBody(big, kSimple), big + "\r\n");
}

TEST(CanonicalizationTest, RelaxedHeaderUnfoldsAndLowercases) {
  std::string out;
  AppendCanonicalHeader("List-Unsubscribe: <https://a.example/u/1>,\r\n <mailto:u@a.example> ", kRelaxed, &out);
  EXPECT_EQ(out, "list-unsubscribe:<https://a.example/u/1>, <mailto:u@a.example>");
  out.clear();
  AppendCanonicalHeader("Subject:\t \t", kRelaxed, &out);
  EXPECT_EQ(out, "subject:");
  out.clear();
  AppendCanonicalHeader("X-Tab\t:\tA\t\tB", kRelaxed, &out);
  EXPECT_EQ(out, "x-tab:A B");
}

TEST(CanonicalizationTest, NamesParseBack) {
  EXPECT_EQ(ParseCanonicalization("simple"), kSimple);
  EXPECT_EQ(ParseCanonicalization("relaxed"), kRelaxed);
  EXPECT_EQ(ParseCanonicalization("nowsp"), std::nullopt);
  EXPECT_EQ(CanonicalizationName(kRelaxed), "relaxed");
}

}  // namespace
}  // namespace tayori::dkim
