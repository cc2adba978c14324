#include "feedback/diagnostic.h"

#include <cctype>
#include <cstdint>

#include "base/utf8_text.h"
#include "feedback/fields.h"
#include "feedback/limits.h"

namespace tayori::feedback {
namespace {

bool Digit(char c) { return c >= '0' && c <= '9'; }

size_t DigitsAt(std::string_view s, size_t i) {
  size_t n = 0;
  while (i + n < s.size() && Digit(s[i + n])) ++n;
  return n;
}

// A code stands alone when neither a digit nor a dot touches it: that keeps
// "192.0.2.1" and "1.5.1.1" from looking like status codes.
bool FreeBefore(std::string_view s, size_t i) { return i == 0 || !(Digit(s[i - 1]) || s[i - 1] == '.'); }

// "x.y.z" at i (RFC 3463 §2: subject and detail of 1 to 3 digits), or 0.
size_t StatusAt(std::string_view s, size_t i) {
  if (s[i] != '2' && s[i] != '4' && s[i] != '5') return 0;
  if (i + 1 >= s.size() || s[i + 1] != '.' || !FreeBefore(s, i)) return 0;
  size_t a = DigitsAt(s, i + 2);
  if (a == 0 || a > 3 || i + 2 + a >= s.size() || s[i + 2 + a] != '.') return 0;
  size_t b = DigitsAt(s, i + 3 + a);
  if (b == 0 || b > 3) return 0;
  size_t end = i + 3 + a + b;
  if (end < s.size() && (Digit(s[end]) || (s[end] == '.' && end + 1 < s.size() && Digit(s[end + 1])))) return 0;
  return end - i;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool AddressChar(unsigned char c) {
  // Anything but separators: local parts and IDNs may hold UTF-8 (RFC 6531).
  return c > ' ' && c != '<' && c != '>' && c != '(' && c != ')' && c != '[' && c != ']' && c != ',' &&
         c != ';' && c != '"' && c != '\'' && c != 0x7f;
}

std::string Unbracket(std::string_view a) {
  while (!a.empty() && (a.back() == '.' || a.back() == ':' || a.back() == ',' || a.back() == ';')) a.remove_suffix(1);
  while (!a.empty() && (a.front() == ':' || a.front() == '.')) a.remove_prefix(1);
  size_t at = a.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= a.size()) return "";
  return ScrubUtf8(a, kMaxAddressChars);
}

}  // namespace

std::string FindReplyCode(std::string_view text) {
  for (size_t i = 0; i + 3 <= text.size(); ++i) {
    char c = text[i];
    if ((c != '2' && c != '4' && c != '5') || !FreeBefore(text, i)) continue;
    if (!Digit(text[i + 1]) || text[i + 1] > '5' || !Digit(text[i + 2])) continue;
    if (i + 3 == text.size() || text[i + 3] == ' ' || text[i + 3] == '-' || text[i + 3] == ':')
      return std::string(text.substr(i, 3));
  }
  return "";
}

std::string FindStatus(std::string_view text, char preferred_class) {
  std::string first;
  for (size_t i = 0; i < text.size(); ++i) {
    size_t n = StatusAt(text, i);
    if (n == 0) continue;
    if (preferred_class == 0 || text[i] == preferred_class) return std::string(text.substr(i, n));
    if (first.empty()) first = std::string(text.substr(i, n));
    i += n;
  }
  return first;
}

std::string StatusToken(std::string_view status) {
  status = TrimSpace(status);
  size_t end = 0;
  while (end < status.size() && (Digit(status[end]) || status[end] == '.')) ++end;
  std::string_view token = status.substr(0, end);
  return !token.empty() && StatusAt(token, 0) == token.size() ? std::string(token) : "";
}

std::string FindAddress(std::string_view text) {
  // <local@domain> first: the bracketed form is what MTAs quote.
  for (size_t lt = text.find('<'); lt != std::string_view::npos; lt = text.find('<', lt + 1)) {
    size_t gt = text.find('>', lt + 1);
    if (gt == std::string_view::npos) break;
    std::string_view inner = TrimSpace(text.substr(lt + 1, gt - lt - 1));
    if (inner.find('@') != std::string_view::npos && inner.find(' ') == std::string_view::npos) {
      if (StartsWithIgnoreCase(inner, "mailto:")) inner.remove_prefix(7);
      std::string a = Unbracket(inner);
      if (!a.empty()) return a;
    }
  }
  for (size_t at = text.find('@'); at != std::string_view::npos; at = text.find('@', at + 1)) {
    size_t b = at, e = at + 1;
    while (b > 0 && AddressChar(static_cast<unsigned char>(text[b - 1]))) --b;
    while (e < text.size() && AddressChar(static_cast<unsigned char>(text[e]))) ++e;
    std::string_view token = text.substr(b, e - b);
    if (StartsWithIgnoreCase(token, "mailto:")) token.remove_prefix(7);
    size_t token_at = token.rfind('@');
    if (token_at == std::string_view::npos || token.substr(token_at).find('.') == std::string_view::npos) continue;
    std::string a = Unbracket(token);
    if (!a.empty()) return a;
  }
  return "";
}

std::string_view AfterType(std::string_view value) {
  size_t semi = value.find(';');
  return TrimSpace(semi == std::string_view::npos ? value : value.substr(semi + 1));
}

std::string DsnAddress(std::string_view value) {
  std::string_view v = AfterType(value);
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    // xtext (RFC 3461 §4) encodes '+' and '=' as "+2B" and "+3D". Only
    // those two are decoded: many MTAs write addresses without xtext, and
    // "reader+12@…" must stay as it is.
    if (v[i] == '+' && i + 2 < v.size() && v[i + 1] == '2' && v[i + 2] == 'B') {
      out += '+';
      i += 2;
      continue;
    }
    if (v[i] == '+' && i + 2 < v.size() && v[i + 1] == '3' && v[i + 2] == 'D') {
      out += '=';
      i += 2;
      continue;
    }
    // RFC 6533 §3: "\x{" 1*6HEXDIG "}" in utf-8-addr-xtext / unitext.
    if (v[i] == '\\' && i + 3 < v.size() && v[i + 1] == 'x' && v[i + 2] == '{') {
      size_t close = v.find('}', i + 3);
      if (close != std::string_view::npos && close > i + 3 && close - (i + 3) <= 6) {
        uint32_t cp = 0;
        bool ok = true;
        for (size_t k = i + 3; k < close; ++k) {
          int h = HexValue(v[k]);
          if (h < 0) ok = false;
          cp = cp * 16 + static_cast<uint32_t>(h < 0 ? 0 : h);
        }
        if (ok && cp > 0 && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF)) {
          AppendUtf8(out, cp);
          i = close;
          continue;
        }
      }
    }
    out += v[i];
  }
  std::string_view o = TrimSpace(out);
  if (o.size() >= 2 && o.front() == '<' && o.back() == '>') o = TrimSpace(o.substr(1, o.size() - 2));
  return ScrubUtf8(o, kMaxAddressChars);
}

std::string OneLine(std::string_view text, size_t max_chars) {
  std::string out;
  out.reserve(std::min(text.size(), max_chars * 4));
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
    if (out.size() > max_chars * 4) break;
  }
  return ScrubUtf8(out, max_chars);
}

}  // namespace tayori::feedback
