// Auto-replies: vacation notices, out-of-office answers, autoresponders
// (RFC 3834). They come back to the return path like bounces do and must
// never count as one. Pure.
#pragma once

#include <string>

#include "feedback/fields.h"

namespace tayori::feedback {

// What in `headers` marks the message as automatic ("Auto-Submitted:
// auto-replied", "X-Autoreply", "Precedence: auto_reply", a subject such as
// "Out of Office" or 「自動応答」), or "" when nothing does. The parser asks
// only after the message was found to be no bounce and no complaint:
// delivery reports carry Auto-Submitted too (RFC 3834 §5).
std::string AutoReplySignal(const Fields& headers);

}  // namespace tayori::feedback
