// Which RCPT TO addresses the listener takes: Tayori's own VERP return paths
// at the bounce domains, and the feedback-loop (complaint) addresses. Every
// other address is refused at RCPT (550 5.1.1), so the listener is no
// open relay and stores nothing addressed to anyone else.
//
// A bounce address is one whose local part has the shape of the configured
// return path's local part ([envelope] return_path, e.g.
// "bounces+{delivery_id}.{mac}@…": "bounces+" then 1 to 20 digits, ".",
// then 10 base32 characters) at one of the bounce domains. Only the shape is
// checked here; the MAC is verified later by the feedback parser
// (feedback/verp.h), which needs the key and marks forgeries. The fixed
// parts of the pattern, the domain and complaint addresses compare without
// regard to ASCII case.
//
// Thread-safety: immutable after construction; Classify is safe from any
// thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "inbound/session.h"

namespace tayori::inbound {

class RecipientClassifier {
 public:
  // `return_path`: the pattern of [envelope] return_path (only its local
  // part is used); `bounce_domains` and `complaint_addresses`: [inbound].
  RecipientClassifier(std::string_view return_path, const std::vector<std::string>& bounce_domains,
                      const std::vector<std::string>& complaint_addresses);

  // `address` as given in RCPT TO, bare or in <…>.
  RecipientVerdict Classify(std::string_view address) const;

  // A RecipientCheck for the Session / Server holding a copy of this.
  RecipientCheck AsCheck() const;

 private:
  struct Segment {
    enum Kind { kLiteral, kDeliveryId, kMac } kind;
    std::string literal;  // lower case
  };
  bool Match(std::string_view local, size_t seg) const;

  std::vector<Segment> shape_;
  std::vector<std::string> bounce_domains_;       // lower case, no trailing dot
  std::vector<std::string> complaint_addresses_;  // lower case
};

}  // namespace tayori::inbound
