// A received message as the feedback parser needs it: its header and the
// leaves of its MIME tree, read by GMime 3 (RFC 2045-2049 parsing,
// transfer decoding, RFC 2047 header decoding, charset conversion). The
// only includer of <gmime/gmime.h> in Tayori.
//
// Thread-safety: GMime is initialised once per process (std::call_once);
// ReadMime and ReadHeaderBlock may run on several threads at once, each
// call working on objects of its own, all released before it returns.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "feedback/fields.h"

namespace tayori::feedback {

struct MimePart {
  std::string type;  // "text/plain", "message/delivery-status", … (lower case)
  std::string charset;
  // The content, transfer-decoded and converted to UTF-8 (its charset
  // parameter, else ISO-2022-JP when it has that encoding's escapes, else
  // invalid bytes replaced by U+FFFD): for text/* (not text/html),
  // message/*delivery-status, message/feedback-report and the header-only
  // parts. Empty for other parts.
  std::string text;
  // message/rfc822 and message/global: the embedded message's header;
  // text/rfc822-headers and message/global-headers: the header in the text.
  Fields headers;
  // message/rfc822 and message/global: the embedded message's content type
  // and report-type parameter (a returned report means a bounce loop).
  std::string embedded_type;
  std::string embedded_report_type;
};

struct MimeMessage {
  Fields headers;           // decoded (RFC 2047), unfolded, valid UTF-8, at most kMaxHeaderFields
  std::string type;         // of the top-level part, "multipart/report"
  std::string report_type;  // its report-type parameter, lower case
  // The leaves in document order, multiparts flattened (kMaxMimeDepth,
  // kMaxMimeParts); never the parts inside a message/rfc822.
  std::vector<MimePart> parts;
};

// nullopt when GMime finds no message in `raw` at all.
std::optional<MimeMessage> ReadMime(std::string_view raw);

// The header fields at the start of `text` (leading blank lines skipped),
// up to the first empty line: a returned message quoted inline in a text
// bounce, or a text/rfc822-headers part.
Fields ReadHeaderBlock(std::string_view text);

}  // namespace tayori::feedback
