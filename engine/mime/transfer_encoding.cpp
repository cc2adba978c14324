#include "mime/transfer_encoding.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

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

// Scalar count of line breaks that are not part of a CRLF pair.
size_t CountLoneBreaksSlow(std::string_view s) {
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

// Number of bytes of `w` whose top bit is set. A multiply sums the lanes
// (no popcount instruction is assumed: the build targets baseline x86-64).
inline size_t CountHighBits(uint64_t w) {
  return static_cast<size_t>((((w & 0x8080808080808080ull) >> 7) * 0x0101010101010101ull) >> 56);
}

// Bytes of `w` equal to `b` (exact: no carries cross byte lanes).
inline size_t CountByte(uint64_t w, uint64_t b) {
  uint64_t x = w ^ (b * 0x0101010101010101ull);
  uint64_t t = ((x & 0x7F7F7F7F7F7F7F7Full) + 0x7F7F7F7F7F7F7F7Full) | x;
  return 8 - CountHighBits(t);
}

// What the encoders need to know about a text, in one pass of eight bytes
// at a time: rendering a newsletter spends most of its time here otherwise.
struct TextStats {
  size_t high = 0;         // bytes >= 0x80: each costs 3 in quoted-printable
  size_t lone_breaks = 0;  // LF or CR not in a CRLF pair: each grows by 1 in canonical form
};

TextStats Scan(std::string_view s) {
  TextStats st;
  size_t cr = 0, lf = 0, i = 0;
  const char* p = s.data();
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    st.high += CountHighBits(w);
    if (((w ^ 0x0A0A0A0A0A0A0A0Aull) - 0x0101010101010101ull) & ~(w ^ 0x0A0A0A0A0A0A0A0Aull) & 0x8080808080808080ull)
      lf += CountByte(w, '\n');
    if (((w ^ 0x0D0D0D0D0D0D0D0Dull) - 0x0101010101010101ull) & ~(w ^ 0x0D0D0D0D0D0D0D0Dull) & 0x8080808080808080ull)
      cr += CountByte(w, '\r');
  }
  for (; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(p[i]);
    st.high += c >> 7;
    lf += c == '\n';
    cr += c == '\r';
  }
  if (cr == 0) {
    st.lone_breaks = lf;
  } else if (cr == lf) {
    // Most likely all CRLF (templates are made CRLF at compile time); check.
    bool paired = true;
    for (size_t at = s.find('\n'); paired && at != std::string_view::npos; at = s.find('\n', at + 1))
      paired = at > 0 && s[at - 1] == '\r';
    st.lone_breaks = paired ? 0 : CountLoneBreaksSlow(s);
  } else {
    st.lone_breaks = CountLoneBreaksSlow(s);
  }
  return st;
}

// Canonical CRLF form (RFC 2046 §4.1.1).
std::string ToCrlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r' || c == '\n') {
      out += "\r\n";
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out += c;
    }
  }
  return out;
}

// Base64 in 76-character lines of text already in canonical form.
void AppendBase64Canonical(std::string& out, std::string_view text) {
  // 57 input bytes make exactly one 76-character line.
  constexpr size_t kChunk = kMaxLine / 4 * 3;
  size_t start = out.size();
  size_t lines = (text.size() + kChunk - 1) / kChunk;
  out.resize(start + Base64Length(text.size()) + (lines > 0 ? 2 * (lines - 1) : 0));
  char* o = out.data() + start;
  for (size_t i = 0; i < text.size(); i += kChunk) {
    if (i > 0) {
      *o++ = '\r';
      *o++ = '\n';
    }
    size_t n = std::min(kChunk, text.size() - i);
    o = EncodeBase64(o, text.data() + i, n);
  }
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
  if (Scan(text).lone_breaks == 0) {
    AppendBase64Canonical(out, text);
  } else {
    AppendBase64Canonical(out, ToCrlf(text));
  }
}

TransferEncoding AppendEncodedText(std::string& out, std::string_view text) {
  TextStats st = Scan(text);
  size_t canonical_size = text.size() + st.lone_breaks;
  size_t b64 = Base64LinesLength(canonical_size);
  auto base64 = [&] {
    if (st.lone_breaks == 0) {
      AppendBase64Canonical(out, text);
    } else {
      AppendBase64Canonical(out, ToCrlf(text));
    }
    return TransferEncoding::kBase64;
  };
  // A lower bound on the quoted-printable size (8-bit bytes cost three, soft
  // breaks and other escapes not counted) settles most non-Latin text
  // without encoding it twice.
  if (canonical_size + 2 * st.high > b64) return base64();
  size_t start = out.size();
  AppendQuotedPrintable(out, text);
  if (out.size() - start <= b64) return TransferEncoding::kQuotedPrintable;
  out.resize(start);
  return base64();
}

}  // namespace tayori::mime
