// Writes one header field, folding it (RFC 5322 §2.2.3) so no line passes
// kLineLimit characters where a fold is possible, and never passes
// kHardLimit. Folds are made only where the caller puts a space between
// tokens, so a token (an encoded-word, "<addr-spec>", "<URI>") is never
// broken, and unfolding plus DKIM relaxed canonicalization (RFC 6376 §3.4.2)
// give back exactly the unfolded text.
//
// The folder checks nothing: tokens must already be safe header text
// (see header_safety.h) and pure ASCII.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tayori::mime {

class HeaderFolder {
 public:
  // RFC 2047 §2 limits lines that carry encoded-words to 76 characters;
  // RFC 5322 §2.1.1 asks for 78. One limit for every line keeps both.
  static constexpr size_t kLineLimit = 76;
  // RFC 5322 §2.1.1: at most 998 characters per line, excluding CRLF.
  static constexpr size_t kHardLimit = 998;

  // Appends "Name:" to *out; *out must outlive the folder.
  HeaderFolder(std::string* out, std::string_view name);

  // Characters left on the current line for a token written by Word(),
  // counting the space before it.
  size_t Room() const { return line_len_ >= kLineLimit ? 0 : kLineLimit - line_len_; }
  // Room a token has at the start of a fresh continuation line.
  static constexpr size_t kFreshRoom = kLineLimit - 1;

  // Whether Word(token) would keep its line within kLineLimit (folding
  // first if needed); false for a token too long even for a fresh line, or
  // too long for the first line when nothing precedes it there.
  bool Fits(size_t token) const {
    if (line_len_ + 1 + token <= kLineLimit) return true;
    return line_has_token_ && 1 + token <= kLineLimit;
  }

  // Appends " token", folding before it when it does not fit on the line.
  void Word(std::string_view token);
  // Starts a continuation line now (the next Word() goes there); a no-op
  // when the current line has no token yet.
  void Fold();
  // Appends token with no space and no chance to fold (e.g. the "," between
  // addresses).
  void Glue(std::string_view token);
  // Ends the field with CRLF.
  void Finish();

 private:
  std::string* out_;
  size_t line_len_;
  bool line_has_token_ = false;  // a fold before the first token gains nothing
};

}  // namespace tayori::mime
