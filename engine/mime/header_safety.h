// The one gate every piece of text passes before it becomes part of a header
// field. A value that could end the field early or smuggle a second field
// (CR, LF, NUL, any other C0 control character, DEL, NEL, a Unicode line
// separator, or an RFC 2047 encoded-word that decodes to one of those) is
// rejected; so is invalid UTF-8. Text that a reader could take for an
// encoded-word ("=?charset?B|Q?text?=") must be a clean one: charset UTF-8
// or US-ASCII (an RFC 2231 "*lang" suffix allowed), strictly decodable
// (padded base64, well-formed Q), decoding to text with no C0 or C1 control
// and no further encoded-word; anything else is refused, never decoded with
// its declared charset (header_safety.cpp says why). Nothing is ever stripped or
// replaced: a rejected value means the message is not sent to that
// recipient, with an error that names the field, the character and its
// position.
#pragma once

#include <string_view>

#include "base/status.h"

namespace tayori::mime {

// Checks `value` for use inside a header field. `field` names it in the
// error, e.g. "Subject" or "subscriber.name (in To)". Errors are
// kInvalidInput: "<field>: contains a line feed (LF) at byte 12".
Status CheckHeaderText(std::string_view field, std::string_view value);

// Checks text for a message body: valid UTF-8 and no NUL (RFC 5322 §2.3
// forbids NUL in a message). Line breaks are fine here.
Status CheckBodyText(std::string_view field, std::string_view value);

}  // namespace tayori::mime
