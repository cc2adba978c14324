// The fields of a message/feedback-report body (RFC 5965 §3): one group of
// header-like fields. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tayori::feedback {

struct FeedbackFields {
  std::string feedback_type;                  // lower case: "abuse", "fraud", "virus", "other", "not-spam", "auth-failure"
  std::string original_mail_from;             // the reported message's MAIL FROM (our VERP), without <>
  std::vector<std::string> original_rcpt_to;  // its RCPT TO addresses (often redacted, so often none)
  std::vector<std::string> removal_recipient; // addresses to remove (RFC 5965 §3.3, rarely sent)
  std::string reporting_mta;
  std::string user_agent;
};

FeedbackFields ReadFeedbackReport(std::string_view text);

// Whether the type reports the subscriber complaining (RFC 5965 §7.3:
// abuse, fraud, virus, other and any unknown type). "not-spam" is the
// opposite, and "auth-failure" (RFC 6591) a report about authentication,
// not about the recipient.
bool IsComplaintType(std::string_view feedback_type);

}  // namespace tayori::feedback
