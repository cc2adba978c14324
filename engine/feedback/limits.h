// Every limit of the feedback parser in one place, with its default.
// Input is hostile: a report may come from anyone who can
// send mail to the bounce domain.
#pragma once

#include <cstddef>

namespace tayori::feedback {

// A message larger than this is refused unread. Reports are small; the
// largest honest ones return a whole newsletter (≈ 100 KB to 2 MB).
inline constexpr size_t kMaxMessageBytes = 10 * 1024 * 1024;
// Recipients kept per report; the rest are counted (Report::recipients_omitted).
// Tayori sends one RCPT per message, so an honest DSN about its mail names one.
inline constexpr size_t kMaxRecipientsPerReport = 100;
// Lengths of the extracted texts, in characters (cut on a character boundary).
inline constexpr size_t kMaxDiagnosticChars = 1000;
inline constexpr size_t kMaxAddressChars = 320;  // subscribers.email is VARCHAR(320)
inline constexpr size_t kMaxFieldChars = 2000;   // any other header or field value
// The MIME tree is walked this deep and this wide at most (multiparts
// flattened; message/rfc822 parts are never descended into).
inline constexpr size_t kMaxMimeDepth = 8;
inline constexpr size_t kMaxMimeParts = 64;
// Header fields read from one header block.
inline constexpr size_t kMaxHeaderFields = 500;

// The limits one Parser applies (parser.h); the defaults above.
struct Limits {
  size_t max_message_bytes = kMaxMessageBytes;
  size_t max_recipients = kMaxRecipientsPerReport;
};

}  // namespace tayori::feedback
