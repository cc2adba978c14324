#include "mime/encoded_word.h"

#include <algorithm>
#include <string>

#include "mime/base64.h"
#include "mime/syntax.h"
#include "mime/utf8.h"

namespace tayori::mime {
namespace {

constexpr std::string_view kBPrefix = "=?UTF-8?B?";
constexpr std::string_view kQPrefix = "=?UTF-8?Q?";
constexpr size_t kOverhead = 12;        // prefix + "?="
constexpr size_t kMaxWord = 75;         // RFC 2047 §2
constexpr char kHex[] = "0123456789ABCDEF";

size_t QCost(unsigned char c) { return (IsQLiteral(static_cast<char>(c)) || c == ' ') ? 1 : 3; }

void AppendQ(std::string& out, std::string_view bytes) {
  for (unsigned char c : bytes) {
    if (c == ' ') {
      out += '_';  // RFC 2047 §4.2 (2)
    } else if (IsQLiteral(static_cast<char>(c))) {
      out += static_cast<char>(c);
    } else {
      out += '=';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
}

// Largest prefix of `s` made of whole UTF-8 sequences that encodes within
// `budget` characters of encoded-text.
size_t TakeB(std::string_view s, size_t budget) {
  size_t max_bytes = budget / 4 * 3;
  if (max_bytes >= s.size()) return s.size();
  size_t n = 0;
  while (n < s.size()) {
    size_t len = std::max<size_t>(1, Utf8SequenceLength(static_cast<unsigned char>(s[n])));
    if (n + len > max_bytes) break;
    n += len;
  }
  return n;
}

size_t TakeQ(std::string_view s, size_t budget) {
  size_t n = 0, cost = 0;
  while (n < s.size()) {
    size_t len = std::max<size_t>(1, Utf8SequenceLength(static_cast<unsigned char>(s[n])));
    len = std::min(len, s.size() - n);
    size_t c = 0;
    for (size_t k = 0; k < len; ++k) c += QCost(static_cast<unsigned char>(s[n + k]));
    if (cost + c > budget) break;
    cost += c;
    n += len;
  }
  return n;
}

bool LooksLikeEncodedWord(std::string_view s) { return s.find("=?") != std::string_view::npos; }

}  // namespace

void AppendEncodedWords(HeaderFolder& f, std::string_view text, WordContext /*ctx*/) {
  // The Q literal set is the phrase-safe one (RFC 2047 §5(3)), which is also
  // safe in unstructured text, so both contexts encode identically.
  size_t qcost = 0;
  for (unsigned char c : text) qcost += QCost(c);
  const bool use_b = Base64Length(text.size()) < qcost;
  std::string word;
  word.reserve(kMaxWord);
  while (!text.empty()) {
    // Fill the current line when a useful amount fits, else start a new one.
    // One character needs at most 8 (B) or 12 (Q) characters of encoded-text.
    size_t room = f.Room() > 1 ? f.Room() - 1 : 0;
    size_t budget = std::min(room, kMaxWord);
    size_t take = 0;
    if (budget > kOverhead + 12) {
      budget -= kOverhead;
      take = use_b ? TakeB(text, budget) : TakeQ(text, budget);
    }
    if (take == 0) {
      f.Fold();
      budget = std::min(HeaderFolder::kFreshRoom, kMaxWord) - kOverhead;
      take = use_b ? TakeB(text, budget) : TakeQ(text, budget);
    }
    word.assign(use_b ? kBPrefix : kQPrefix);
    if (use_b) {
      AppendBase64(word, text.substr(0, take));
    } else {
      AppendQ(word, text.substr(0, take));
    }
    word += "?=";
    f.Word(word);
    text.remove_prefix(take);
  }
}

void AppendUnstructured(HeaderFolder& f, std::string_view text) {
  bool plain = !LooksLikeEncodedWord(text) && (text.empty() || (text.front() != ' ' && text.back() != ' '));
  for (size_t i = 0; plain && i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == ' ') {
      if (i + 1 < text.size() && text[i + 1] == ' ') plain = false;  // a run of spaces would not survive folding
    } else if (c < 0x21 || c > 0x7E) {
      plain = false;
    }
  }
  if (plain) {
    // Every word must fit on a line of its own, and the first one on the
    // line that starts with "Name:", or the header could not stay within the
    // limit; such text is encoded instead, since encoded-words can be split.
    size_t first_room = f.Room() > 0 ? f.Room() - 1 : 0;
    size_t start = 0;
    while (plain && start < text.size()) {
      size_t end = std::min(text.find(' ', start), text.size());
      size_t len = end - start;
      if (len > HeaderFolder::kFreshRoom || (start == 0 && len > first_room)) plain = false;
      start = end + 1;
    }
  }
  if (!plain) {
    AppendEncodedWords(f, text, WordContext::kText);
    return;
  }
  size_t start = 0;
  while (start < text.size()) {
    size_t end = std::min(text.find(' ', start), text.size());
    f.Word(text.substr(start, end - start));
    start = end + 1;
  }
}

void AppendPhrase(HeaderFolder& f, std::string_view name) {
  if (name.empty()) return;
  if (!LooksLikeEncodedWord(name)) {
    bool atoms = name.front() != ' ' && name.back() != ' ';
    bool printable = true;
    for (size_t i = 0; i < name.size(); ++i) {
      char c = name[i];
      if (c == ' ') {
        if (i + 1 < name.size() && name[i + 1] == ' ') atoms = false;
      } else if (!IsAtext(c)) {
        atoms = false;
      }
      if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E) printable = false;
    }
    if (atoms) {
      size_t start = 0;
      while (atoms && start < name.size()) {
        size_t end = std::min(name.find(' ', start), name.size());
        size_t len = end - start;
        if (len > HeaderFolder::kFreshRoom || (start == 0 && !f.Fits(len))) atoms = false;
        start = end + 1;
      }
    }
    if (atoms) {
      size_t start = 0;
      while (start < name.size()) {
        size_t end = std::min(name.find(' ', start), name.size());
        f.Word(name.substr(start, end - start));
        start = end + 1;
      }
      return;
    }
    if (printable) {
      std::string quoted = "\"";
      for (char c : name) {
        if (c == '"' || c == '\\') quoted += '\\';  // RFC 5322 §3.2.4 quoted-pair
        quoted += c;
      }
      quoted += '"';
      if (f.Fits(quoted.size())) {
        f.Word(quoted);
        return;
      }
    }
  }
  AppendEncodedWords(f, name, WordContext::kPhrase);
}

}  // namespace tayori::mime
