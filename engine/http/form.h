// Form bodies: the two encodings an HTML form or a mail client's one-click
// POST uses (RFC 8058 §3.1 names the urlencoded one; RFC 7578 the multipart
// one). Pure and bounded: the parsers allocate no more than the body's size
// and stop at kMaxFields fields. Safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace tayori::http {

struct FormField {
  std::string name;
  std::string value;
  bool operator==(const FormField&) const = default;
};

enum class FormError {
  kNone,
  kUnsupportedMediaType,  // absent, or neither urlencoded nor multipart/form-data (HTTP 415)
  kMalformed,             // the body does not parse as its media type says (HTTP 400)
};

constexpr size_t kMaxFields = 64;

// A media type split into lower-case type/subtype and its parameters
// (names lower-case, quoted-string values unquoted). RFC 9110 §8.3.1.
struct MediaType {
  std::string type;  // "multipart/form-data"
  std::vector<FormField> params;
  // The value of parameter `name` (lower-case), or empty.
  std::string_view Param(std::string_view name) const;
};
Result<MediaType> ParseMediaType(std::string_view value);

// application/x-www-form-urlencoded: name=value pairs joined by '&', '+' for
// space, %XX escapes (a bad escape is kInvalidInput).
Result<std::vector<FormField>> ParseUrlEncodedForm(std::string_view body);

// multipart/form-data with `boundary` (1..70 characters, RFC 2046 §5.1.1):
// the name from each part's Content-Disposition and the part's bytes. A part
// without a name, or a body without its close delimiter, is kInvalidInput.
Result<std::vector<FormField>> ParseMultipartForm(std::string_view body, std::string_view boundary);

// Dispatches on `content_type` (the Content-Type header, "" when absent).
// `*why` (optional) says whether a failure is the media type or the body.
Result<std::vector<FormField>> ParseForm(std::string_view content_type, std::string_view body,
                                         FormError* why = nullptr);

// Whether the fields hold List-Unsubscribe=One-Click (RFC 8058 §3.1).
bool IsOneClickUnsubscribe(const std::vector<FormField>& fields);

}  // namespace tayori::http
