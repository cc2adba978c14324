// multipart/alternative bodies (RFC 2046 §5.1.4) of UTF-8 text parts.
//
// The boundary starts with "=_": in quoted-printable "=" is always followed by
// two hex digits or a line break, and base64 has no "_" and uses "=" only as
// final padding, so no encoded part can contain the boundary, whatever the
// content (RFC 2046 §5.1.1 asks for exactly that guarantee). The random part
// keeps boundaries of different messages apart.
#pragma once

#include <string>
#include <string_view>

#include "mime/transfer_encoding.h"

namespace tayori::mime {

constexpr size_t kBoundaryRandomBytes = 12;

// "=_" + hex of `random`; at most 70 characters (RFC 2046 §5.1.1).
std::string MakeBoundary(std::string_view random);

// The Content-Type field value for a multipart/alternative body.
std::string MultipartContentType(std::string_view boundary);

// Appends "Content-Type: <type>; charset=utf-8" and
// "Content-Transfer-Encoding: ..." (CRLF-terminated) and an empty line, then
// the encoded text, choosing quoted-printable or base64 by size. For a
// single-part message pass `text` only; the field lines are the same.
TransferEncoding AppendTextEntity(std::string& out, std::string_view mime_type, std::string_view text);

// Appends a complete multipart/alternative body: each text part in order
// (plain first, the preferred HTML last, §5.1.4), the closing delimiter and
// a final CRLF.
void AppendAlternative(std::string& out, std::string_view boundary, std::string_view plain, std::string_view html);

}  // namespace tayori::mime
