#include "smtp/classify.h"

#include <array>

namespace tayori::smtp {
namespace {

bool In(std::string_view code, std::initializer_list<std::string_view> set) {
  for (auto c : set)
    if (c == code) return true;
  return false;
}

Classification Make(Outcome o, std::string reason) {
  Classification c{o, false, false, false, false, false, std::move(reason)};
  switch (o) {
    case Outcome::kTransient: c.retry = true; break;
    case Outcome::kThrottled: c.retry = true; c.pause_destination = true; break;
    case Outcome::kHardBounce: c.suppress_address = true; break;
    case Outcome::kAuthFailure:
      c.pause_sender_domain = true;
      // The message itself may pass once the domain's DNS is fixed.
      c.retry = true;
      break;
    default: break;
  }
  return c;
}

}  // namespace

Classification Classify(const Reply& reply, Stage stage) {
  if (!reply.received()) {
    if (stage == Stage::kAfterDot) {
      // RFC 5321 §4.1.1.4 leaves us blind here: the server may have queued the
      // message. Resending risks a duplicate; recording "unknown" loses nothing.
      return Make(Outcome::kUnknown, "connection lost after the final dot: " + reply.ToString());
    }
    Classification c = Make(Outcome::kTransient, "no reply from relay: " + reply.ToString());
    c.relay_fault = true;
    return c;
  }
  const std::string& e = reply.enhanced;
  const int cls = reply.code / 100;
  std::string text = reply.ToString();

  if (cls == 2) {
    if (stage == Stage::kAfterDot || stage == Stage::kData) return Make(Outcome::kDelivered, text);
    // A 2xx as a *final* reply before DATA completed means the transaction was cut short.
    Classification c = Make(Outcome::kTransient, "transaction ended early: " + text);
    c.relay_fault = true;
    return c;
  }
  // Authentication / alignment failures: every further message of the sender
  // domain would fail the same way and burn its reputation.
  if (In(e, {"5.7.26", "5.7.27", "5.7.30", "5.7.32", "5.7.25", "4.7.40", "5.7.40", "4.7.26", "4.7.32"}))
    return Make(Outcome::kAuthFailure, text);
  // Receivers slowing us down.
  if ((reply.code == 421 && e == "4.7.28") || (reply.code == 450 && e == "4.2.1") || e == "4.7.28")
    return Make(Outcome::kThrottled, text);
  if (cls == 4) {
    Classification c = Make(Outcome::kTransient, text);
    // 421 without an enhanced code is the relay closing on us.
    c.relay_fault = (reply.code == 421 && e.empty()) || stage == Stage::kConnect;
    return c;
  }
  if (cls == 5) {
    // Mailbox does not exist / disabled / moved: the address is dead for this shop.
    if (In(e, {"5.1.1", "5.1.10", "5.2.1", "5.1.6", "5.1.2"})) return Make(Outcome::kHardBounce, text);
    if (stage == Stage::kConnect) {
      Classification c = Make(Outcome::kTransient, "relay refused the session: " + text);
      c.relay_fault = true;
      return c;
    }
    return Make(Outcome::kPermanent, text);
  }
  // 1xx/3xx as a final reply: protocol confusion; retry.
  Classification c = Make(Outcome::kTransient, "unexpected reply: " + text);
  c.relay_fault = true;
  return c;
}

std::string_view OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kDelivered: return "delivered";
    case Outcome::kTransient: return "transient";
    case Outcome::kThrottled: return "throttled";
    case Outcome::kPermanent: return "permanent";
    case Outcome::kHardBounce: return "hard_bounce";
    case Outcome::kAuthFailure: return "auth_failure";
    case Outcome::kUnknown: return "unknown";
  }
  return "?";
}

}  // namespace tayori::smtp
