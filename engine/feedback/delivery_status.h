// The fields of a message/delivery-status (RFC 3464 §2) or
// message/global-delivery-status (RFC 6533 §3) body: one per-message group,
// then one group per recipient. Pure: text in, values out.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tayori::feedback {

struct DsnRecipient {
  std::string recipient;   // Original-Recipient, else Final-Recipient, decoded (diagnostic.h DsnAddress)
  std::string action;      // lower case, "" when absent
  std::string status;      // the Status field's code, "" when absent or malformed
  std::string diagnostic;  // Diagnostic-Code after its type ("smtp;"), one line
};

struct DeliveryStatus {
  std::string reporting_mta;  // after its type ("dns;")
  std::string sender;         // X-Postfix-Sender / X-Original-Sender: the bounced message's MAIL FROM
  std::vector<DsnRecipient> recipients;  // at most `max_recipients`
  size_t omitted = 0;                    // recipient groups beyond that
};

// Reads `text` in one pass. A group is a recipient's when it has a
// Final-Recipient or Original-Recipient field; the first group is the
// per-message one even when an MTA leaves out the blank line after it (a
// Final-Recipient in it then starts the first recipient).
DeliveryStatus ReadDeliveryStatus(std::string_view text, size_t max_recipients);

}  // namespace tayori::feedback
