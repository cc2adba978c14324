#include "mime/header_safety.h"

#include <cstdio>
#include <optional>
#include <string>

#include "mime/base64.h"
#include "mime/utf8.h"

namespace tayori::mime {
namespace {

std::string Describe(unsigned char c) {
  switch (c) {
    case '\r': return "a carriage return (CR)";
    case '\n': return "a line feed (LF)";
    case '\0': return "a NUL byte";
    default: {
      char buf[48];
      std::snprintf(buf, sizeof buf, "the control character U+%04X", c);
      return buf;
    }
  }
}

Status Reject(std::string_view field, const std::string& what, size_t at) {
  return InvalidInput(std::string(field) + ": contains " + what + " at byte " + std::to_string(at));
}

// First forbidden character in already-valid UTF-8, as (offset, description).
// TAB is allowed: it is white space in a header (RFC 5322 §2.2.2) and the
// encoders handle it. U+0085 (NEL), U+2028 and U+2029 are line breaks to some
// mail readers and to Python's str.splitlines(), so they are refused too.
// The other C1 controls (U+0080-U+009F) are not line breaks anywhere and
// appear in real names as mojibake ("â€\u009d" is a UTF-8 '”' read as
// windows-1252), so plain text may hold them; a decoded encoded-word may
// not (`c1` true), since no one writes one holding a control by accident.
std::optional<std::pair<size_t, std::string>> FindForbidden(std::string_view s, bool c1 = false) {
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7F) return std::make_pair(i, Describe(c));
    if (c == 0xC2 && i + 1 < s.size()) {
      unsigned char next = static_cast<unsigned char>(s[i + 1]);
      if (next == 0x85) return std::make_pair(i, std::string("the line break U+0085 (NEL)"));
      if (c1 && next >= 0x80 && next <= 0x9F) return std::make_pair(i, Describe(next));
    }
    if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) == 0xA8 || static_cast<unsigned char>(s[i + 2]) == 0xA9))
      return std::make_pair(i, std::string("the line separator U+20") +
                                   (static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "28" : "29"));
  }
  return std::nullopt;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Decodes the encoded-text of an RFC 2047 §4.2 "Q" word; nullopt if malformed.
std::optional<std::string> DecodeQ(std::string_view t) {
  std::string out;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '_') {
      out += ' ';
    } else if (t[i] == '=') {
      if (i + 2 >= t.size()) return std::nullopt;
      int hi = HexValue(t[i + 1]), lo = HexValue(t[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += t[i];
    }
  }
  return out;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Text a mail reader could take for an encoded-word (RFC 2047 §2):
// "=?" charset "?" B|Q "?" encoded-text "?=", with the charset and text as
// loosely delimited as lenient decoders (Python's email.header among them)
// accept: anything up to the next '?', and up to the first "?=".
struct Lookalike {
  size_t start = 0;  // of "=?"
  std::string_view charset;
  char encoding = 0;
  std::string_view text;
};

// Finds lookalikes starting at every "=?", overlapping ones included: a
// reader that skips one word may find another that begins inside it.
// Amortised linear: the next '?' after a "=?" is never past the next "=?",
// and the first "?=" at or after a position is remembered.
class LookalikeScanner {
 public:
  explicit LookalikeScanner(std::string_view s) : s_(s) {}

  std::optional<Lookalike> Next() {
    while ((pos_ = s_.find("=?", pos_)) != std::string_view::npos) {
      size_t start = pos_;
      pos_ += 2;
      size_t q1 = s_.find('?', start + 2);
      if (q1 == std::string_view::npos) return std::nullopt;
      if (q1 + 2 >= s_.size() || s_[q1 + 2] != '?') continue;
      char enc = s_[q1 + 1];
      if (enc != 'B' && enc != 'b' && enc != 'Q' && enc != 'q') continue;
      if (terminator_ == std::string_view::npos || terminator_ < q1 + 3) {
        terminator_ = s_.find("?=", q1 + 3);
        if (terminator_ == std::string_view::npos) return std::nullopt;
      }
      Lookalike w;
      w.start = start;
      w.charset = s_.substr(start + 2, q1 - start - 2);
      w.encoding = enc;
      w.text = s_.substr(q1 + 3, terminator_ - q1 - 3);
      return w;
    }
    return std::nullopt;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
  size_t terminator_ = std::string_view::npos;
};

// Why encoded-words are refused rather than decoded with their declared
// charset (iconv): our own encoder only writes UTF-8 B and Q words, and the
// values checked here are names and subjects typed by people, so a word in
// another charset is pasted header text, not something to preserve. And
// decoding it proves little: readers disagree about charsets (UTF-7 and its
// '+' shifts, ISO-2022 escape states, aliases, unknown names read as
// Latin-1 or windows-1252, where 0x85 is NEL), so iconv would check what
// iconv shows, not what every reader shows. Refusing is right for all of
// them. A UTF-8 or US-ASCII word is decoded strictly and its text checked
// like any other; one that does not decode strictly is refused too, since
// lenient decoders (unpadded base64, stray '=') may still read it.
std::optional<std::string> CheckWord(const Lookalike& w) {
  std::string_view charset = w.charset;
  // RFC 2231 §5: "UTF-8*en" is UTF-8 in English.
  if (size_t star = charset.find('*'); star != std::string_view::npos) charset = charset.substr(0, star);
  bool utf8 = EqualsIgnoringCase(charset, "utf-8");
  bool ascii = EqualsIgnoringCase(charset, "us-ascii");
  if (!utf8 && !ascii) {
    bool printable = w.charset.size() <= 32 && IsAscii(w.charset);
    return printable ? "an encoded-word in charset \"" + std::string(w.charset) +
                           "\" (only UTF-8 and US-ASCII words are accepted)"
                     : std::string("an encoded-word in a charset other than UTF-8 or US-ASCII");
  }
  bool b = w.encoding == 'B' || w.encoding == 'b';
  std::optional<std::string> decoded = b ? DecodeBase64(w.text) : DecodeQ(w.text);
  if (!decoded)
    return std::string("an encoded-word that does not decode (") + (b ? "malformed base64" : "malformed Q encoding") +
           ")";
  if (ascii && !IsAscii(*decoded)) return std::string("an encoded-word in US-ASCII that decodes to 8-bit bytes");
  if (FindInvalidUtf8(*decoded) != std::string_view::npos)
    return std::string("an encoded-word that decodes to invalid UTF-8");
  if (auto bad = FindForbidden(*decoded, /*c1=*/true)) return "an encoded-word that decodes to " + bad->second;
  // A word inside a word is decoded by whatever decodes the outer one once
  // more (a list server that rewrites the header, a forwarding reader).
  if (LookalikeScanner(*decoded).Next()) return std::string("an encoded-word that decodes to another encoded-word");
  return std::nullopt;
}

// The first lookalike that is not a clean UTF-8 or US-ASCII word, as
// (offset, description). Readers decode such words wherever they appear, so
// "=?UTF-8?Q?=0D=0A?=" in a display name is a line break on screen even
// though the header bytes are harmless.
std::optional<std::pair<size_t, std::string>> FindSuspectWord(std::string_view s) {
  LookalikeScanner scan(s);
  while (auto w = scan.Next()) {
    if (auto why = CheckWord(*w)) return std::make_pair(w->start, std::move(*why));
  }
  return std::nullopt;
}

}  // namespace

Status CheckHeaderText(std::string_view field, std::string_view value) {
  if (size_t bad = FindInvalidUtf8(value); bad != std::string_view::npos)
    return Reject(field, "invalid UTF-8", bad);
  if (auto f = FindForbidden(value)) return Reject(field, f->second, f->first);
  if (auto f = FindSuspectWord(value)) return Reject(field, f->second, f->first);
  return Status::Ok();
}

Status CheckBodyText(std::string_view field, std::string_view value) {
  if (size_t bad = FindInvalidUtf8(value); bad != std::string_view::npos)
    return Reject(field, "invalid UTF-8", bad);
  if (size_t nul = value.find('\0'); nul != std::string_view::npos) return Reject(field, "a NUL byte", nul);
  return Status::Ok();
}

}  // namespace tayori::mime
