#include "dkim/message.h"

#include <cstdint>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tayori::dkim {
namespace {

size_t LineNumber(std::string_view text, size_t offset) {
  size_t line = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) line += text[i] == '\n';
  return line;
}

Status LineError(std::string_view message, size_t offset, std::string what) {
  return InvalidInput("line " + std::to_string(LineNumber(message, offset)) + ": " + what);
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (Lower(a[i]) != Lower(b[i])) return false;
  return true;
}

namespace {

// The slow path: finds and names the first bare CR or LF.
Status FindBareLineEnd(std::string_view message) {
  for (size_t i = 0; i < message.size(); ++i) {
    if (message[i] == '\r' && (i + 1 == message.size() || message[i + 1] != '\n'))
      return LineError(message, i, "bare CR; the message must use CRLF line ends");
    if (message[i] == '\n' && (i == 0 || message[i - 1] != '\r'))
      return LineError(message, i, "bare LF; the message must use CRLF line ends (convert LF to CRLF first)");
  }
  return Status::Ok();
}

}  // namespace

Status CheckCrlfLineEnds(std::string_view message) {
  // Runs on every signed message, so it is one branch-free pass: the message
  // is well formed exactly when the LF positions are the CR positions moved
  // by one. Only a mismatch takes the slow path that names the line.
  const auto* p = reinterpret_cast<const unsigned char*>(message.data());
  const size_t n = message.size();
  size_t i = 0;
  uint32_t carry = 0;  // 1 when the previous block ended in CR
#if defined(__SSE2__)
  const __m128i cr = _mm_set1_epi8('\r');
  const __m128i lf = _mm_set1_epi8('\n');
  for (; i + 16 <= n; i += 16) {
    __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    auto cr_mask = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(block, cr)));
    auto lf_mask = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(block, lf)));
    if (lf_mask != (((cr_mask << 1) | carry) & 0xffffu)) return FindBareLineEnd(message);
    carry = cr_mask >> 15;
  }
#endif
  for (; i < n; ++i) {
    uint32_t is_lf = p[i] == '\n';
    if (is_lf != carry) return FindBareLineEnd(message);
    carry = p[i] == '\r';
  }
  if (carry) return FindBareLineEnd(message);  // ends in a lone CR
  return Status::Ok();
}

Result<MessageView> SplitMessage(std::string_view message) {
  MessageView view;
  size_t pos = 0;
  while (pos < message.size()) {
    size_t eol = message.find("\r\n", pos);
    if (eol == pos) {  // the empty line that ends the header (RFC 5322 §2.1)
      view.body = message.substr(pos + 2);
      return view;
    }
    size_t line_end = eol == std::string_view::npos ? message.size() : eol;
    std::string_view line = message.substr(pos, line_end - pos);
    // (A plain loop: find_first_of calls memchr once per byte.)
    for (size_t bad = 0; bad < line.size(); ++bad)
      if (line[bad] == '\r' || line[bad] == '\n')
        return LineError(message, pos + bad, line[bad] == '\n' ? "bare LF in the header" : "bare CR in the header");
    if (line[0] == ' ' || line[0] == '\t') {
      if (view.fields.empty()) return LineError(message, pos, "the header starts with a folded line");
      // A fold continues the previous field (RFC 5322 §2.2.3).
      HeaderField& last = view.fields.back();
      last.field = std::string_view(last.field.data(), static_cast<size_t>(line.data() + line.size() - last.field.data()));
    } else {
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) return LineError(message, pos, "header line without a colon");
      std::string_view name = line.substr(0, colon);
      while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
      if (name.empty()) return LineError(message, pos, "header field with an empty name");
      for (char c : name) {
        auto u = static_cast<unsigned char>(c);
        if (u < 33 || u > 126) return LineError(message, pos, "invalid character in header field name");
      }
      view.fields.push_back(HeaderField{name, line});
    }
    if (eol == std::string_view::npos) break;
    pos = eol + 2;
  }
  return view;  // header only, no body
}

}  // namespace tayori::dkim
