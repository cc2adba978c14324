#include "mime/encoded_word.h"

#include <gtest/gtest.h>

#include <regex>

#include "header_test_util.h"
#include "mime/utf8.h"

namespace tayori::mime {
namespace {

using testing::DecodeWords;
using testing::Lines;

std::string Unstructured(std::string_view name, std::string_view text) {
  std::string out;
  HeaderFolder f(&out, name);
  AppendUnstructured(f, text);
  f.Finish();
  return out;
}

std::string ValueOf(const std::string& field) {
  std::string v = field.substr(field.find(':') + 1);
  return v;
}

// Every encoded-word: at most 75 characters, decodes on its own to valid UTF-8.
void ExpectWellFormedWords(const std::string& field) {
  std::regex word(R"(=\?UTF-8\?([BQ])\?([^?]*)\?=)");
  for (auto it = std::sregex_iterator(field.begin(), field.end(), word); it != std::sregex_iterator(); ++it) {
    std::string w = it->str();
    EXPECT_LE(w.size(), 75u) << w;
    std::string decoded = DecodeWords(w);
    EXPECT_NE(decoded, testing::kBad) << w;
    EXPECT_TRUE(IsValidUtf8(decoded)) << "word splits a UTF-8 sequence: " << w;
  }
}

void ExpectLinesWithin(const std::string& field, size_t limit) {
  bool crlf = false;
  auto lines = Lines(field, &crlf);
  EXPECT_TRUE(crlf) << field;
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_LE(lines[i].size(), limit) << "line " << i << ": " << lines[i];
    if (i > 0) {
      EXPECT_EQ(lines[i][0], ' ') << "continuation lines start with white space";
    }
  }
}

TEST(EncodedWordTest, PlainAsciiStaysReadable) {
  EXPECT_EQ(Unstructured("Subject", "Spring sale: 20% off"), "Subject: Spring sale: 20% off\r\n");
}

TEST(EncodedWordTest, LongAsciiFoldsAtSpaces) {
  std::string text;
  for (int i = 0; i < 30; ++i) text += "word" + std::to_string(i) + " ";
  text.pop_back();
  std::string f = Unstructured("Subject", text);
  ExpectLinesWithin(f, 76);
  std::string unfolded = std::regex_replace(ValueOf(f), std::regex("\r\n"), "");
  EXPECT_EQ(unfolded, " " + text);
}

TEST(EncodedWordTest, JapaneseUsesBase64AndRoundTrips) {
  std::string text = "【春の新作】山田太郎さまへ、限定セールのお知らせです";
  std::string f = Unstructured("Subject", text);
  EXPECT_NE(f.find("=?UTF-8?B?"), std::string::npos);
  ExpectWellFormedWords(f);
  ExpectLinesWithin(f, 76);
  EXPECT_EQ(DecodeWords(ValueOf(f)), text);
}

TEST(EncodedWordTest, MostlyLatinUsesQ) {
  std::string text = "Café crème brûlée for everyone this weekend";
  std::string f = Unstructured("Subject", text);
  EXPECT_NE(f.find("=?UTF-8?Q?"), std::string::npos);
  ExpectWellFormedWords(f);
  EXPECT_EQ(DecodeWords(ValueOf(f)), text);
}

TEST(EncodedWordTest, ThreeHundredCharacterSubjectNeverSplitsSequences) {
  std::string text;
  const char* pieces[] = {"日本語", "😀", "é", "a", " ", "カ", "🎉🎉"};
  for (int i = 0; text.size() < 900; ++i) text += pieces[i % 7];
  std::string f = Unstructured("Subject", text);
  ExpectWellFormedWords(f);
  ExpectLinesWithin(f, 76);
  EXPECT_EQ(DecodeWords(ValueOf(f)), text);
}

TEST(EncodedWordTest, EveryCutPositionStaysOnSequenceBoundaries) {
  // Shift a 4-byte emoji through every offset relative to the 45-byte cut.
  for (int pad = 0; pad < 50; ++pad) {
    std::string text = std::string(pad, 'x') + "\xC3\xA9" + "😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀";
    std::string f = Unstructured("Subject", text);
    ExpectWellFormedWords(f);
    EXPECT_EQ(DecodeWords(ValueOf(f)), text) << pad;
  }
}

TEST(EncodedWordTest, LongUnbrokenAsciiWordIsEncodedSoItCanFold) {
  std::string text(300, 'a');
  std::string f = Unstructured("Subject", text);
  ExpectLinesWithin(f, 76);
  ExpectWellFormedWords(f);
  EXPECT_EQ(DecodeWords(ValueOf(f)), text);
}

TEST(EncodedWordTest, TextThatLooksEncodedIsEncoded) {
  std::string text = "=?UTF-8?B?SGk=?= is not a greeting";
  std::string f = Unstructured("Subject", text);
  EXPECT_EQ(f.find("SGk=?= is"), std::string::npos);
  EXPECT_EQ(DecodeWords(ValueOf(f)), text);
}

TEST(EncodedWordTest, DoubleSpacesAndEdgesSurvive) {
  for (std::string text : {"a  b", " lead", "trail ", "tab\there"}) {
    std::string f = Unstructured("Subject", text);
    EXPECT_EQ(DecodeWords(ValueOf(f)), text) << f;
  }
}

TEST(EncodedWordTest, EmptySubject) { EXPECT_EQ(Unstructured("Subject", ""), "Subject:\r\n"); }

std::string Phrase(std::string_view name) {
  std::string out;
  HeaderFolder f(&out, "To");
  AppendPhrase(f, name);
  f.Finish();
  return out;
}

TEST(PhraseTest, AtomsQuotedOrEncoded) {
  EXPECT_EQ(Phrase("Taro Yamada"), "To: Taro Yamada\r\n");
  EXPECT_EQ(Phrase("Yamada, Taro"), "To: \"Yamada, Taro\"\r\n");
  EXPECT_EQ(Phrase("Taro \"The Boss\" Y."), "To: \"Taro \\\"The Boss\\\" Y.\"\r\n");
  EXPECT_EQ(Phrase("C:\\Users\\taro"), "To: \"C:\\\\Users\\\\taro\"\r\n");
  std::string jp = Phrase("山田 太郎");
  EXPECT_EQ(jp.rfind("To: =?UTF-8?B?", 0), 0u) << jp;
  EXPECT_EQ(DecodeWords(ValueOf(jp)), "山田 太郎");
}

TEST(PhraseTest, QuotedStringTooLongForTheFirstLineIsEncoded) {
  // Found by header_encode_fuzz: a 73-character quoted-string fits a fresh
  // line but not the one that starts with "To:".
  for (size_t n = 60; n < 90; ++n) {
    std::string name = "a, " + std::string(n, 'b');
    std::string f = Phrase(name);
    ExpectLinesWithin(f, 76);
    if (f.find("=?") != std::string::npos) {
      EXPECT_EQ(DecodeWords(ValueOf(f)), name);
    }
  }
}

TEST(PhraseTest, QWordsInPhrasesUseOnlyTheRestrictedSet) {
  std::string f = Phrase("René (café) \"x\"");
  // RFC 2047 §5(3): only letters, digits, !*+-/=_ inside a Q word in a phrase.
  std::regex word(R"(=\?UTF-8\?Q\?([^?]*)\?=)");
  for (auto it = std::sregex_iterator(f.begin(), f.end(), word); it != std::sregex_iterator(); ++it) {
    for (char c : (*it)[1].str()) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || std::string("!*+-/=_").find(c) != std::string::npos) << c;
  }
  EXPECT_EQ(DecodeWords(ValueOf(f)), "René (café) \"x\"");
}

}  // namespace
}  // namespace tayori::mime
