// Character classes of RFC 5322 §3.2.3 (atext) and RFC 2047 §5(3) (the
// characters a "Q" encoded-word in a phrase may carry literally).
#pragma once

namespace tayori::mime {

inline bool IsAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// RFC 5322 §3.2.3 atext.
inline bool IsAtext(char c) {
  if (IsAlnum(c)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '/': case '=': case '?': case '^': case '_': case '`': case '{': case '|': case '}': case '~':
      return true;
    default:
      return false;
  }
}

// Literal in a "Q" encoded-word that may appear in a phrase (RFC 2047 §5(3));
// the same set is safe in unstructured text, so one rule serves both.
inline bool IsQLiteral(char c) {
  return IsAlnum(c) || c == '!' || c == '*' || c == '+' || c == '-' || c == '/';
}

}  // namespace tayori::mime
