#include "dkim/message.h"

#include <cstring>
#include <string>

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

Status CheckCrlfLineEnds(std::string_view message) {
  // memchr finds the few line ends quickly; the check costs one pass over the
  // message, far below the price of the signature itself.
  const char* begin = message.data();
  const char* end = begin + message.size();
  for (const char* p = begin; p < end;) {
    const void* lf = std::memchr(p, '\n', static_cast<size_t>(end - p));
    const char* stop = lf ? static_cast<const char*>(lf) : end;
    const void* cr = std::memchr(p, '\r', static_cast<size_t>(stop - p));
    if (cr != nullptr && static_cast<const char*>(cr) + 1 != stop)
      return LineError(message, static_cast<size_t>(static_cast<const char*>(cr) - begin),
                       "bare CR; the message must use CRLF line ends");
    if (lf == nullptr) break;
    if (stop == begin || stop[-1] != '\r')
      return LineError(message, static_cast<size_t>(stop - begin),
                       "bare LF; the message must use CRLF line ends (convert LF to CRLF first)");
    p = stop + 1;
  }
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
    size_t bad = line.find_first_of("\r\n");
    if (bad != std::string_view::npos)
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
