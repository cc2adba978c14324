#include "mime/transfer_encoding.h"

#include <array>

#include "mime/base64.h"

namespace tayori::mime {
namespace {

constexpr size_t kMaxLine = 76;  // RFC 2045 §6.7 rule 5, §6.8
constexpr char kHex[] = "0123456789ABCDEF";

// Bytes a quoted-printable line may carry literally (§6.7 rule 2): printable
// ASCII except '='. Space and tab are literal except before a line break.
constexpr std::array<bool, 256> MakeLiteral() {
  std::array<bool, 256> t{};
  for (int c = 33; c <= 126; ++c) t[c] = true;
  t['='] = false;
  t[' '] = true;
  t['\t'] = true;
  return t;
}
constexpr std::array<bool, 256> kLiteral = MakeLiteral();

size_t CountLoneBreaks(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n') {
      ++n;
    } else if (s[i] == '\r') {
      if (i + 1 < s.size() && s[i + 1] == '\n') {
        ++i;
      } else {
        ++n;
      }
    }
  }
  return n;
}

size_t Base64LinesLength(size_t bytes) {
  size_t b = Base64Length(bytes);
  size_t lines = (b + kMaxLine - 1) / kMaxLine;
  return b + (lines > 0 ? 2 * (lines - 1) : 0);
}

}  // namespace

std::string_view TransferEncodingName(TransferEncoding e) {
  return e == TransferEncoding::kBase64 ? "base64" : "quoted-printable";
}

void AppendQuotedPrintable(std::string& out, std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t line = 0;  // characters on the current encoded line
  size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c == '\r' || c == '\n') {
      out += "\r\n";  // a hard line break (§6.7 rule 4)
      line = 0;
      i += (c == '\r' && i + 1 < n && p[i + 1] == '\n') ? 2 : 1;
      continue;
    }
    bool at_line_end = (i + 1 == n) || p[i + 1] == '\r' || p[i + 1] == '\n';
    bool literal = kLiteral[c] && !((c == ' ' || c == '\t') && at_line_end);
    // "From " at the start of a line gets mangled to ">From " by mbox tools.
    if (c == 'F' && line == 0 && n - i >= 5 && text.compare(i, 5, "From ") == 0) literal = false;
    size_t width = literal ? 1 : 3;
    // Keep one column for the "=" of a soft break, unless this character
    // ends the line anyway.
    size_t limit = at_line_end ? kMaxLine : kMaxLine - 1;
    if (line + width > limit) {
      out += "=\r\n";
      line = 0;
      // The soft break may have put "From " at the start of a line.
      if (c == 'F' && n - i >= 5 && text.compare(i, 5, "From ") == 0) {
        literal = false;
        width = 3;
      }
    }
    if (literal) {
      out += static_cast<char>(c);
    } else {
      out += '=';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
    line += width;
    ++i;
  }
}

void AppendBase64Lines(std::string& out, std::string_view text) {
  // Canonical CRLF form first (RFC 2046 §4.1.1); most text already has it.
  std::string canonical;
  if (CountLoneBreaks(text) > 0) {
    canonical.reserve(text.size() + text.size() / 32);
    for (size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      if (c == '\r' || c == '\n') {
        canonical += "\r\n";
        if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      } else {
        canonical += c;
      }
    }
    text = canonical;
  }
  // 57 input bytes make exactly one 76-character line.
  constexpr size_t kChunk = kMaxLine / 4 * 3;
  for (size_t i = 0; i < text.size(); i += kChunk) {
    if (i > 0) out += "\r\n";
    AppendBase64(out, text.substr(i, kChunk));
  }
}

TransferEncoding AppendEncodedText(std::string& out, std::string_view text) {
  size_t b64 = Base64LinesLength(text.size() + CountLoneBreaks(text));
  // A lower bound on the quoted-printable size (no soft breaks counted)
  // settles most non-Latin text without encoding it twice.
  size_t qp_min = 0;
  for (unsigned char c : text) qp_min += kLiteral[c] || c == '\r' || c == '\n' ? 1 : 3;
  if (qp_min > b64) {
    AppendBase64Lines(out, text);
    return TransferEncoding::kBase64;
  }
  size_t start = out.size();
  AppendQuotedPrintable(out, text);
  if (out.size() - start <= b64) return TransferEncoding::kQuotedPrintable;
  out.resize(start);
  AppendBase64Lines(out, text);
  return TransferEncoding::kBase64;
}

}  // namespace tayori::mime
