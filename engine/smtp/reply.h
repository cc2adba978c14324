// SMTP replies as the relay sent them: code, enhanced status code (RFC 3463),
// text, and the relay's queue id when the 250 text carries one. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tayori::smtp {

struct Reply {
  int code = 0;             // 0: no reply was received
  std::string enhanced;     // "5.1.1", or "" when the server sent none
  std::string text;         // text after the code (and enhanced code), lines joined with " "
  std::string queue_id;     // from "250 2.0.0 Ok: queued as ABC123", "250 ... id=..." etc.

  bool received() const { return code != 0; }
  // "550 5.1.1 <text>", for logs and the deliveries.last_reply column.
  std::string ToString() const;
};

// Parses the lines of one reply ("250-first", "250 last"), with or without
// CRLF. Tolerates missing enhanced codes and odd servers; never fails: an
// unparsable reply yields code 0 and the raw text.
Reply ParseReply(const std::vector<std::string>& lines);

// Parses "X.Y.Z" at the start of `text` (RFC 3463 §2: class 2/4/5, subject
// 1-3 digits, detail 1-3 digits). Returns "" when absent.
std::string_view EnhancedCodePrefix(std::string_view text);

}  // namespace tayori::smtp
