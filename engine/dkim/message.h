// A view of an RFC 5322 message as DKIM sees it: the header fields in order
// and the body. Views only; the message text must outlive the result.
#pragma once

#include <string_view>
#include <vector>

#include "base/status.h"

namespace tayori::dkim {

struct HeaderField {
  std::string_view name;   // as written, without surrounding WSP ("Subject")
  std::string_view field;  // the whole field, folds included, minus its final CRLF
};

struct MessageView {
  std::vector<HeaderField> fields;
  std::string_view body;  // after the empty line; empty when there is none
};

// Splits a message with CRLF line ends. Errors (kInvalidInput) name the line:
// a bare LF or CR in the header, a line that is neither a field nor a fold, a
// field name with characters RFC 5322 §2.2 forbids. A message without an
// empty line is all header and has an empty body.
Result<MessageView> SplitMessage(std::string_view message);

// The signer's input rule: every line of the message ends in CRLF; a bare LF
// or CR anywhere is kInvalidInput naming its line. (RFC 5322 §2.3 forbids
// them; signing an LF message would sign bytes the MTA later rewrites, and
// the signature would break in transit.)
Status CheckCrlfLineEnds(std::string_view message);

// ASCII case-insensitive comparison, for header field names.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace tayori::dkim
