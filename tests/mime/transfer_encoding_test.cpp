#include "mime/transfer_encoding.h"

#include <gtest/gtest.h>

#include "header_test_util.h"
#include "mime/base64.h"
#include "mime/multipart.h"

namespace tayori::mime {
namespace {

using testing::Lines;

// Independent quoted-printable decoder (RFC 2045 §6.7), CRLF line breaks.
std::string DecodeQp(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '=') {
      if (in.compare(i + 1, 2, "\r\n") == 0) {
        i += 2;
        continue;
      }
      out += static_cast<char>(testing::Hex(in[i + 1]) * 16 + testing::Hex(in[i + 2]));
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

std::string Crlf(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' || s[i] == '\n') {
      out += "\r\n";
      if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

void ExpectEncodedLines(const std::string& enc) {
  for (auto& l : Lines(enc + "\r\n")) {
    EXPECT_LE(l.size(), 76u) << l;
    for (unsigned char c : l) EXPECT_TRUE(c == 9 || (c >= 0x20 && c < 0x7F)) << "not 7-bit printable: " << int(c);
    EXPECT_TRUE(l.empty() || (l.back() != ' ' && l.back() != '\t')) << "trailing white space: " << l;
  }
}

TEST(QuotedPrintableTest, RoundTripsAndKeepsLinesShort) {
  std::vector<std::string> cases = {
      "Hello, world",
      "a = b\nsecond line \n\tthird\t\r\nlast",
      std::string(2000, 'x'),
      std::string(300, '=') + "end",
      "From the shop\nFrom here\n",
      "日本語のテキスト、長い行です。" + std::string(100, 'y') + "😀😀😀",
      "trailing space \r\n",
      "",
  };
  for (const auto& text : cases) {
    std::string enc;
    AppendQuotedPrintable(enc, text);
    ExpectEncodedLines(enc);
    EXPECT_EQ(DecodeQp(enc), Crlf(text)) << text;
    EXPECT_EQ(enc.find("\nFrom "), std::string::npos);
    EXPECT_NE(enc.rfind("From ", 0), 0u);
  }
}

TEST(QuotedPrintableTest, SoftBreaksNeverSplitEscapes) {
  for (int pad = 0; pad < 80; ++pad) {
    std::string text = std::string(pad, 'a') + "ééééééééééééééééééééééééééé=====";
    std::string enc;
    AppendQuotedPrintable(enc, text);
    for (auto& l : Lines(enc + "\r\n")) {
      size_t eq = l.rfind('=');
      if (eq != std::string::npos) {
        EXPECT_TRUE(eq + 1 == l.size() || eq + 3 <= l.size()) << l;
      }
    }
    EXPECT_EQ(DecodeQp(enc), text);
  }
}

TEST(Base64LinesTest, SeventySixColumnsAndCanonicalBreaks) {
  std::string text = "line\nline\rline\r\n" + std::string(500, 'z');
  std::string enc;
  AppendBase64Lines(enc, text);
  ExpectEncodedLines(enc);
  std::string joined;
  for (auto& l : Lines(enc + "\r\n")) joined += l;
  EXPECT_EQ(*DecodeBase64(joined), Crlf(text));
}

TEST(Base64LinesTest, MixedBreaksAreMadeCanonical) {
  // Equal numbers of CR and LF that are not pairs, long enough for the
  // eight-byte scan, and texts that are already canonical.
  for (std::string text : {std::string("abcdefgh\rijklmnop\nqrstuvwx"), std::string("x\n\r") + std::string(40, 'y'),
                           std::string(30, 'z') + "\r\n" + std::string(30, 'z') + "\r\n", std::string("\r\n\r\n\n\r")}) {
    std::string enc;
    AppendBase64Lines(enc, text);
    std::string joined;
    for (auto& l : Lines(enc + "\r\n")) joined += l;
    EXPECT_EQ(*DecodeBase64(joined), Crlf(text));
  }
}

TEST(ChoiceTest, PicksTheSmallerEncoding) {
  std::string ascii = "Dear customer,\nour spring sale starts today. Visit https://shop.example/sale\n";
  std::string out;
  EXPECT_EQ(AppendEncodedText(out, ascii), TransferEncoding::kQuotedPrintable);
  std::string japanese = "いつもご利用いただきありがとうございます。春の新作が入荷しました。\n";
  out.clear();
  EXPECT_EQ(AppendEncodedText(out, japanese), TransferEncoding::kBase64);
  // The choice is the smaller of the two actual encodings.
  for (const std::string& t : {ascii, japanese, std::string("ab\xC3\xA9") + std::string(50, 'c')}) {
    std::string qp, b64, chosen;
    AppendQuotedPrintable(qp, t);
    AppendBase64Lines(b64, t);
    AppendEncodedText(chosen, t);
    EXPECT_EQ(chosen.size(), std::min(qp.size(), b64.size()));
  }
}

TEST(MultipartTest, BoundaryCannotOccurInEncodedParts) {
  std::string random(kBoundaryRandomBytes, '\x5a');
  std::string boundary = MakeBoundary(random);
  EXPECT_EQ(boundary.rfind("=_", 0), 0u);
  EXPECT_LE(boundary.size(), 70u);
  // Hostile content: the boundary itself, delimiter lines, "=_" runs.
  std::string hostile = "--" + boundary + "\n--" + boundary + "--\n=_=_ " + boundary + "\n";
  for (const std::string& t : {hostile, hostile + "日本語日本語日本語日本語日本語日本語日本語"}) {
    std::string body;
    AppendAlternative(body, boundary, t, "<p>" + t + "</p>");
    size_t count = 0;
    for (size_t p = body.find(boundary); p != std::string::npos; p = body.find(boundary, p + 1)) ++count;
    EXPECT_EQ(count, 3u) << body;  // two part delimiters and the close delimiter only
  }
}

TEST(MultipartTest, EntityHeadersNameTheEncoding) {
  std::string out;
  EXPECT_EQ(AppendTextEntity(out, "text/plain", "日本語のみのテキストです。"), TransferEncoding::kBase64);
  EXPECT_EQ(out.rfind("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n", 0), 0u)
      << out;
  EXPECT_EQ(MultipartContentType("=_ab"), "multipart/alternative; boundary=\"=_ab\"");
}

}  // namespace
}  // namespace tayori::mime
