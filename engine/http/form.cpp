#include "http/form.h"

#include <cctype>

namespace tayori::http {
namespace {

constexpr std::string_view kSpace = " \t";

std::string_view Trim(std::string_view s) {
  size_t b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(kSpace);
  return s.substr(b, e - b + 1);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// RFC 9110 §5.6.2 tchar.
bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!IsTokenChar(c)) return false;
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> FormDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      c = ' ';
    } else if (c == '%') {
      if (i + 2 >= s.size()) return InvalidInput("truncated %-escape in the form body");
      int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return InvalidInput("bad %-escape in the form body");
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    out.push_back(c);
  }
  return out;
}

// Parses "; name=value; name="quoted"" (what follows a media type or a
// Content-Disposition type) into `params`.
Status ParseParams(std::string_view rest, std::vector<FormField>& params) {
  size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && kSpace.find(rest[i]) != std::string_view::npos) ++i;
    if (i == rest.size()) break;
    if (rest[i] != ';') return InvalidInput("expected ';' between parameters");
    ++i;
    while (i < rest.size() && kSpace.find(rest[i]) != std::string_view::npos) ++i;
    if (i == rest.size()) break;  // a trailing ';' is common and harmless
    size_t eq = rest.find('=', i);
    if (eq == std::string_view::npos) return InvalidInput("parameter without '='");
    std::string_view name = rest.substr(i, eq - i);
    if (!IsToken(name)) return InvalidInput("bad parameter name");
    i = eq + 1;
    std::string value;
    if (i < rest.size() && rest[i] == '"') {
      // quoted-string with quoted-pair (RFC 9110 §5.6.4).
      ++i;
      bool closed = false;
      while (i < rest.size()) {
        char c = rest[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\') {
          if (i == rest.size()) break;
          c = rest[i++];
        }
        value.push_back(c);
      }
      if (!closed) return InvalidInput("unterminated quoted parameter value");
    } else {
      size_t b = i;
      while (i < rest.size() && IsTokenChar(rest[i])) ++i;
      value.assign(rest.substr(b, i - b));
      if (value.empty()) return InvalidInput("empty parameter value");
    }
    if (params.size() >= kMaxFields) return InvalidInput("too many parameters");
    params.push_back({Lower(name), std::move(value)});
  }
  return Status::Ok();
}

// The value of header `name` (case-insensitive) in a block of CRLF lines.
bool FindHeader(std::string_view headers, std::string_view name, std::string_view* value) {
  size_t pos = 0;
  while (pos < headers.size()) {
    size_t end = headers.find("\r\n", pos);
    if (end == std::string_view::npos) end = headers.size();
    std::string_view line = headers.substr(pos, end - pos);
    pos = end + 2;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (Lower(Trim(line.substr(0, colon))) == name) {
      *value = Trim(line.substr(colon + 1));
      return true;
    }
  }
  return false;
}

}  // namespace

std::string_view MediaType::Param(std::string_view name) const {
  for (const auto& p : params)
    if (p.name == name) return p.value;
  return {};
}

Result<MediaType> ParseMediaType(std::string_view value) {
  value = Trim(value);
  size_t semi = value.find(';');
  std::string_view type = Trim(value.substr(0, semi));
  size_t slash = type.find('/');
  if (slash == std::string_view::npos || !IsToken(type.substr(0, slash)) || !IsToken(type.substr(slash + 1)))
    return InvalidInput("not a media type");
  MediaType mt;
  mt.type = Lower(type);
  if (semi != std::string_view::npos) TAYORI_RETURN_IF_ERROR(ParseParams(value.substr(semi), mt.params));
  return mt;
}

Result<std::vector<FormField>> ParseUrlEncodedForm(std::string_view body) {
  std::vector<FormField> fields;
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t amp = body.find('&', pos);
    if (amp == std::string_view::npos) amp = body.size();
    std::string_view pair = body.substr(pos, amp - pos);
    pos = amp + 1;
    // A trailing CRLF is what some clients send after the body; the field
    // itself never contains one, so strip it rather than reject.
    while (!pair.empty() && (pair.back() == '\n' || pair.back() == '\r')) pair.remove_suffix(1);
    if (pair.empty()) continue;
    if (fields.size() >= kMaxFields) return InvalidInput("too many form fields");
    size_t eq = pair.find('=');
    FormField f;
    TAYORI_ASSIGN_OR_RETURN(f.name, FormDecode(pair.substr(0, eq)));
    if (eq != std::string_view::npos) {
      TAYORI_ASSIGN_OR_RETURN(f.value, FormDecode(pair.substr(eq + 1)));
    }
    fields.push_back(std::move(f));
  }
  return fields;
}

Result<std::vector<FormField>> ParseMultipartForm(std::string_view body, std::string_view boundary) {
  if (boundary.empty() || boundary.size() > 70) return InvalidInput("multipart boundary must be 1 to 70 characters");
  const std::string delimiter = "--" + std::string(boundary);
  const std::string inner = "\r\n" + delimiter;
  // The first delimiter starts the body or follows the preamble's CRLF.
  size_t pos;
  if (body.substr(0, delimiter.size()) == delimiter) {
    pos = delimiter.size();
  } else {
    size_t at = body.find(inner);
    if (at == std::string_view::npos) return InvalidInput("no multipart delimiter in the body");
    pos = at + inner.size();
  }
  std::vector<FormField> fields;
  for (;;) {
    if (body.substr(pos, 2) == "--") return fields;  // close delimiter; the epilogue is ignored
    while (pos < body.size() && kSpace.find(body[pos]) != std::string_view::npos) ++pos;  // transport padding
    if (body.substr(pos, 2) != "\r\n") return InvalidInput("multipart delimiter not followed by CRLF");
    pos += 2;
    size_t headers_end;
    if (body.substr(pos, 2) == "\r\n") {
      headers_end = pos;  // a part with no headers
    } else {
      headers_end = body.find("\r\n\r\n", pos);
      if (headers_end == std::string_view::npos) return InvalidInput("multipart part headers not terminated");
      headers_end += 2;
    }
    std::string_view headers = body.substr(pos, headers_end - pos);
    size_t content = headers_end + 2;
    size_t next = body.find(inner, content);
    if (next == std::string_view::npos) return InvalidInput("multipart body without its close delimiter");
    std::string_view disposition;
    if (!FindHeader(headers, "content-disposition", &disposition))
      return InvalidInput("multipart part without Content-Disposition");
    size_t semi = disposition.find(';');
    if (Lower(Trim(disposition.substr(0, semi))) != "form-data")
      return InvalidInput("multipart part is not form-data");
    std::vector<FormField> params;
    if (semi != std::string_view::npos) TAYORI_RETURN_IF_ERROR(ParseParams(disposition.substr(semi), params));
    const FormField* name = nullptr;
    for (const auto& p : params)
      if (p.name == "name") name = &p;
    if (!name) return InvalidInput("multipart part without a name");
    if (fields.size() >= kMaxFields) return InvalidInput("too many form fields");
    fields.push_back({name->value, std::string(body.substr(content, next - content))});
    pos = next + inner.size();
  }
}

Result<std::vector<FormField>> ParseForm(std::string_view content_type, std::string_view body, FormError* why) {
  auto fail = [why](FormError e, Status s) -> Result<std::vector<FormField>> {
    if (why) *why = e;
    return s;
  };
  if (why) *why = FormError::kNone;
  if (Trim(content_type).empty()) return fail(FormError::kUnsupportedMediaType, InvalidInput("no Content-Type"));
  auto mt = ParseMediaType(content_type);
  if (!mt.ok()) return fail(FormError::kUnsupportedMediaType, mt.status());
  Result<std::vector<FormField>> fields = InvalidInput("unreachable");
  if (mt->type == "application/x-www-form-urlencoded") {
    fields = ParseUrlEncodedForm(body);
  } else if (mt->type == "multipart/form-data") {
    fields = ParseMultipartForm(body, mt->Param("boundary"));
  } else {
    return fail(FormError::kUnsupportedMediaType, InvalidInput("media type " + mt->type + " is not a form"));
  }
  if (!fields.ok()) return fail(FormError::kMalformed, fields.status());
  return fields;
}

bool IsOneClickUnsubscribe(const std::vector<FormField>& fields) {
  for (const auto& f : fields)
    if (f.name == "List-Unsubscribe" && f.value == "One-Click") return true;
  return false;
}

}  // namespace tayori::http
