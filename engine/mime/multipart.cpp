#include "mime/multipart.h"

#include <algorithm>

namespace tayori::mime {

std::string MakeBoundary(std::string_view random) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string b = "=_";
  size_t n = std::min<size_t>(random.size(), 34);
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(random[i]);
    b += kHex[c >> 4];
    b += kHex[c & 15];
  }
  return b;
}

std::string MultipartContentType(std::string_view boundary) {
  // '=' is a tspecial (RFC 2045 §5.1), so the parameter must be quoted.
  std::string v = "multipart/alternative; boundary=\"";
  v.append(boundary);
  v += '"';
  return v;
}

TransferEncoding AppendTextEntity(std::string& out, std::string_view mime_type, std::string_view text) {
  out += "Content-Type: ";
  out.append(mime_type);
  out += "; charset=utf-8\r\nContent-Transfer-Encoding: ";
  // The encoding is known only after encoding; write a placeholder of the
  // longer name's width and fix it up, to avoid copying the body.
  size_t name_at = out.size();
  out += "quoted-printable\r\n\r\n";
  size_t body_at = out.size();
  TransferEncoding e = AppendEncodedText(out, text);
  if (e == TransferEncoding::kBase64) {
    out.replace(name_at, body_at - name_at, "base64\r\n\r\n");
  }
  return e;
}

void AppendAlternative(std::string& out, std::string_view boundary, std::string_view plain, std::string_view html) {
  // The CRLF before each delimiter belongs to the delimiter (§5.1.1), so a
  // part's content ends exactly where its text ends.
  out += "--";
  out.append(boundary);
  out += "\r\n";
  AppendTextEntity(out, "text/plain", plain);
  out += "\r\n--";
  out.append(boundary);
  out += "\r\n";
  AppendTextEntity(out, "text/html", html);
  out += "\r\n--";
  out.append(boundary);
  out += "--\r\n";
}

}  // namespace tayori::mime
