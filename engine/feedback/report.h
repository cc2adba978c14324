// What one inbound feedback message says: a delivery report (RFC 3464 /
// RFC 6533 DSN, or a non-standard text bounce), a complaint (RFC 5965 ARF),
// an auto-reply (RFC 3834), or none of these. Plain values: the parser
// (parser.h) fills them, the records (records.h) print them, the lead's
// matching reads the candidates. Every string is valid UTF-8 and bounded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/classify.h"

namespace tayori::feedback {

// The `type` of a record (docs/feedback.md). Per recipient: one DSN may
// report a failure for one recipient and a delay for another.
enum class FeedbackType {
  kBounce,       // Action: failed, or a text bounce
  kDelay,        // Action: delayed, or a delay warning: recorded only
  kDelivered,    // Action: delivered / relayed / expanded
  kComplaint,    // ARF abuse, fraud, virus, other: suppressed for the shop
  kAutoReply,    // RFC 3834 / vacation: never a bounce
  kNotFeedback,  // anything else, or refused, or ignored (see Report::reason)
};
std::string_view FeedbackTypeName(FeedbackType t);  // "bounce", "auto-reply", …

// What the parser did with the message as a whole.
enum class Disposition {
  kParsed,   // a report, an auto-reply, or a message that is none (kNotFeedback)
  kIgnored,  // recognised, and deliberately not counted (a bounce of a bounce …): see reason
  kRefused,  // not looked at (larger than Limits::max_message_bytes): see reason
};

// One reported recipient.
struct RecipientReport {
  FeedbackType type = FeedbackType::kNotFeedback;
  std::string recipient;    // Original-Recipient, else Final-Recipient, else the text's; may be ""
  std::string status;       // "5.1.1", as reported or inferred; "" when none applies
  bool status_inferred = false;  // status came from the reply code and the words, not the report
  std::string reply_code;   // "550", or ""
  std::string action;       // "failed", "delayed", "delivered", "relayed", "expanded", or ""
  std::string diagnostic;   // Diagnostic-Code text (or the text bounce's lines), one line
  // From smtp::ClassifyBounce for bounces and delays; for complaints the
  // category is "complaint" (records.h); otherwise unset.
  std::optional<smtp::BounceClassification> classification;
};

// Where the reported or returned message can be matched to a delivery,
// besides a verified VERP (Report::delivery_id). All "" when absent.
struct ReturnedMessage {
  bool present = false;           // a returned or reported message (or its headers) was found
  std::string message_id;         // "<…@…>", as Tayori stores deliveries.message_id
  std::string return_path;        // its Return-Path address, without <>
  std::string list_unsubscribe;   // the whole header, unfolded
  std::string unsubscribe_token;  // the token in its https List-Unsubscribe URI (unsubscribe/token.h shape)
  std::string feedback_id;        // its Feedback-ID ("campaign:tenant:type:sender")
  std::string to;                 // its To header, as written
};

struct Report {
  Disposition disposition = Disposition::kParsed;
  // Why: ignored or refused, or not feedback; for an auto-reply, what
  // marked it ("Auto-Submitted: auto-replied"); "" for a report.
  std::string reason;
  std::string format;          // "rfc3464", "rfc6533", "arf", "qmail", "exim", … ("" when none)
  std::vector<RecipientReport> recipients;  // at most Limits::max_recipients
  size_t recipients_omitted = 0;            // reported beyond the cap
  std::string feedback_type;   // ARF Feedback-Type, lower case ("abuse"); "" otherwise
  std::string reporting_mta;   // DSN Reporting-MTA / ARF Reporting-MTA, for logs
  ReturnedMessage returned;
  // The delivery named by a VERP address whose MAC verified (envelope
  // recipients first, then the report's own headers and fields, then the
  // returned message's Return-Path). nullopt when none verified.
  std::optional<uint64_t> delivery_id;
  // The first address in the VERP shape whose MAC did not verify (forged
  // or altered), for the log; it matches nothing.
  std::string forged_verp;

  // The report's overall type: the first recipient's, or kNotFeedback.
  FeedbackType type() const { return recipients.empty() ? FeedbackType::kNotFeedback : recipients.front().type; }
};

// What the table has Tayori do about one recipient's report, once
// the report is matched to a delivery (the matcher applies it):
enum class Effect {
  kNone,               // delivered, auto-reply, not feedback
  kRecord,             // a soft bounce, or a delay: recorded on the delivery only
  kBounceAndSuppress,  // a hard bounce: the delivery becomes bounced, the address suppressed for the shop
  kPauseSenderDomain,  // an authentication failure: recorded, and the sender domain paused with an alert
  kSuppressForShop,    // a complaint: the address suppressed for the shop
};
Effect EffectOf(const RecipientReport& r);
std::string_view EffectName(Effect e);  // "none", "record", "bounce_and_suppress", …

}  // namespace tayori::feedback
