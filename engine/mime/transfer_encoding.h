// Content-Transfer-Encodings for text parts (RFC 2045 §6.7 quoted-printable,
// §6.8 base64), writing straight into the message buffer. Both produce
// 7-bit lines of at most 76 characters ending in CRLF, so the message passes
// any relay unchanged and its DKIM body hash survives.
//
// Text is UTF-8 with any mix of CRLF, LF or CR line breaks; every break
// becomes CRLF, the canonical form of text/* (RFC 2046 §4.1.1).
#pragma once

#include <string>
#include <string_view>

namespace tayori::mime {

enum class TransferEncoding { kQuotedPrintable, kBase64 };

// "quoted-printable" or "base64", for Content-Transfer-Encoding.
std::string_view TransferEncodingName(TransferEncoding e);

// Appends `text` as quoted-printable. Soft line breaks ("=" CRLF) keep lines
// within 76 characters and never split an "=XX" escape; white space before a
// line break is encoded (§6.7 rule 3), and "From " at the start of a line is
// written "=46rom " so mbox tools cannot alter a signed body. The output ends
// without a final CRLF unless the text ends with a line break.
void AppendQuotedPrintable(std::string& out, std::string_view text);

// Appends `text` (line breaks made CRLF first) as base64 in lines of 76
// characters, each ending in CRLF except the last.
void AppendBase64Lines(std::string& out, std::string_view text);

// Appends whichever of the two is shorter for `text` (quoted-printable on a
// tie, since people can read it) and returns the one it chose.
TransferEncoding AppendEncodedText(std::string& out, std::string_view text);

}  // namespace tayori::mime
