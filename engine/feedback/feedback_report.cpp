#include "feedback/feedback_report.h"

#include "feedback/diagnostic.h"
#include "feedback/fields.h"
#include "feedback/limits.h"

namespace tayori::feedback {

FeedbackFields ReadFeedbackReport(std::string_view text) {
  FeedbackFields out;
  // RFC 5965 has one group; some reporters put a blank line in it, so every
  // group is read.
  ForEachFieldGroup(text, [&](Fields& g) {
    for (const auto& f : g) {
      if (EqualsIgnoreCase(f.name, "Feedback-Type") && out.feedback_type.empty()) {
        out.feedback_type = ToLowerAscii(OneLine(f.value, 64));
      } else if (EqualsIgnoreCase(f.name, "Original-Mail-From") && out.original_mail_from.empty()) {
        out.original_mail_from = FindAddress(f.value);
      } else if (EqualsIgnoreCase(f.name, "Original-Rcpt-To")) {
        std::string a = FindAddress(f.value);
        if (!a.empty() && out.original_rcpt_to.size() < kMaxRecipientsPerReport) out.original_rcpt_to.push_back(a);
      } else if (EqualsIgnoreCase(f.name, "Removal-Recipient")) {
        std::string a = FindAddress(f.value);
        if (!a.empty() && out.removal_recipient.size() < kMaxRecipientsPerReport) out.removal_recipient.push_back(a);
      } else if (EqualsIgnoreCase(f.name, "Reporting-MTA") && out.reporting_mta.empty()) {
        out.reporting_mta = OneLine(AfterType(f.value), 255);
      } else if (EqualsIgnoreCase(f.name, "User-Agent") && out.user_agent.empty()) {
        out.user_agent = OneLine(f.value, 255);
      }
    }
    return true;
  });
  return out;
}

bool IsComplaintType(std::string_view feedback_type) {
  return feedback_type != "not-spam" && feedback_type != "auth-failure";
}

}  // namespace tayori::feedback
