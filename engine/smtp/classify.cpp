#include "smtp/classify.h"

#include <array>
#include <cctype>
#include <optional>
#include <string>

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
    // Only the reply to the final dot accepts the message; a 2xx seen while
    // the message was still being sent answered an earlier command.
    if (stage == Stage::kAfterDot) return Make(Outcome::kDelivered, text);
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

// --- Bounce reports ---------------------------------------------------------

namespace {

using C = BounceCategory;

// Words of a diagnostic and what they mean, checked in order on the
// lower-cased text; the first match wins, so narrower phrases come before
// the broader ones that contain them ("domain does not exist" before "does
// not exist", "blocklist" before "spam"). The phrases are the ones the
// common receivers and MTAs write (docs/feedback.md lists them by source).
struct TextRule {
  std::string_view words;
  C category;
};
constexpr TextRule kTextRules[] = {
    // Sender authentication: Gmail and Yahoo "the sender is unauthenticated"
    // (5.7.26 / 5.7.9), Microsoft "required authentication level" (5.7.515).
    {"unauthenticated", C::kAuthentication},
    {"dmarc", C::kAuthentication},
    {"required authentication level", C::kAuthentication},
    {"spf unauthorized", C::kAuthentication},
    {"spf check fail", C::kAuthentication},
    {"spf fail", C::kAuthentication},
    {"failed spf", C::kAuthentication},
    {"dkim fail", C::kAuthentication},
    {"failed dkim", C::kAuthentication},
    // The domain does not exist.
    {"host or domain name not found", C::kUnknownDomain},  // Postfix
    {"domain name not found", C::kUnknownDomain},          // Gmail
    {"domain not found", C::kUnknownDomain},
    {"no such domain", C::kUnknownDomain},                 // Courier
    {"domain does not exist", C::kUnknownDomain},          // OpenSMTPD
    {"nonexistentdomain", C::kUnknownDomain},              // Exchange
    {"unrouteable address", C::kUnknownDomain},            // Exim
    {"couldn't find any host", C::kUnknownDomain},         // qmail
    {"no mx found", C::kUnknownDomain},                    // OpenSMTPD
    // Mailbox full (before "user": "user is over quota").
    {"quota", C::kMailboxFull},
    {"mailbox full", C::kMailboxFull},
    {"mailbox is full", C::kMailboxFull},
    {"exceeded storage allocation", C::kMailboxFull},
    {"mailbox size limit", C::kMailboxFull},
    {"insufficient storage in mailbox", C::kMailboxFull},
    // Disabled or closed accounts.
    {"disabled", C::kMailboxDisabled},
    {"deactivated", C::kMailboxDisabled},
    {"is inactive", C::kMailboxDisabled},  // Gmail "… you tried to reach is inactive"
    {"mailbox inactive", C::kMailboxDisabled},
    {"discontinued", C::kMailboxDisabled},
    // No such user.
    {"user unknown", C::kUnknownUser},
    {"unknown user", C::kUnknownUser},
    {"no such user", C::kUnknownUser},
    {"no such mailbox", C::kUnknownUser},
    {"no such recipient", C::kUnknownUser},
    {"user not found", C::kUnknownUser},
    {"recipient not found", C::kUnknownUser},
    {"recipnotfound", C::kUnknownUser},       // Exchange RESOLVER.ADR.RecipNotFound
    {"recipientnotfound", C::kUnknownUser},   // Exchange Online
    {"mailbox not found", C::kUnknownUser},
    {"no mailbox here by that name", C::kUnknownUser},  // qmail
    {"unknown recipient", C::kUnknownUser},
    {"invalid recipient", C::kUnknownUser},
    {"not a valid recipient", C::kUnknownUser},  // Yahoo
    {"invalid mailbox", C::kUnknownUser},
    {"recipient address rejected: access denied", C::kUnknownUser},  // Exchange Online directory check
    {"does not exist", C::kUnknownUser},
    {"doesn't exist", C::kUnknownUser},
    {"doesn't have a", C::kUnknownUser},  // Yahoo "This user doesn't have a … account"
    // Size.
    {"too large", C::kMessageTooLarge},
    {"too big", C::kMessageTooLarge},
    {"size exceeds", C::kMessageTooLarge},
    {"exceeds the maximum size", C::kMessageTooLarge},
    // Gave up after retrying.
    {"expired", C::kExpired},
    {"retry timeout exceeded", C::kExpired},  // Exim
    {"queue too long", C::kExpired},          // qmail
    {"not delivered within", C::kExpired},    // au
    // The sending IP's or domain's reputation.
    {"blocklist", C::kReputation},
    {"block list", C::kReputation},
    {"blacklist", C::kReputation},
    {"spamhaus", C::kReputation},
    {"spamcop", C::kReputation},
    {"barracuda", C::kReputation},
    {"dnsbl", C::kReputation},
    {"reputation", C::kReputation},
    {"unusual rate", C::kReputation},
    // The message itself.
    {"spam", C::kContent},
    {"virus", C::kContent},
    {"malware", C::kContent},
    {"phishing", C::kContent},
    {"content", C::kContent},
    // The path to the receiver.
    {"no route", C::kRouting},
    {"loop", C::kRouting},
    {"connection refused", C::kRouting},
    {"timed out", C::kRouting},
    {"unreachable", C::kRouting},
    // Other refusals by rule.
    {"policy", C::kPolicy},
    {"denied", C::kPolicy},
    {"prohibited", C::kPolicy},
    {"not permitted", C::kPolicy},
    {"not allowed", C::kPolicy},
    {"rejected", C::kPolicy},
    // The receiver's own trouble, or its asking to come back later.
    {"greylist", C::kTemporary},
    {"try again later", C::kTemporary},
    {"temporar", C::kTemporary},
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The first rule whose words the text contains, among those `allowed` admits.
template <typename Allowed>
std::optional<C> FromText(const std::string& lower, Allowed allowed) {
  for (const auto& r : kTextRules)
    if (allowed(r.category) && lower.find(r.words) != std::string::npos) return r.category;
  return std::nullopt;
}

struct Code {
  int cls = 0, subject = -1, detail = -1;
};

// "5.1.1" (RFC 3463 §2: class 2/4/5, subject and detail of 1-3 digits).
Code ParseStatus(std::string_view s) {
  Code c;
  std::string_view e = EnhancedCodePrefix(s);
  if (e.empty() || e.size() != s.size()) return c;
  c.cls = e[0] - '0';
  size_t dot = e.find('.', 2);
  c.subject = std::stoi(std::string(e.substr(2, dot - 2)));
  c.detail = std::stoi(std::string(e.substr(dot + 1)));
  return c;
}

bool IsAuthStatus(std::string_view s) {
  // The relay table's set, plus Microsoft's DMARC (5.7.509) and
  // authentication-level (5.7.515) refusals.
  return In(s, {"5.7.26", "5.7.27", "5.7.30", "5.7.32", "5.7.25", "4.7.40", "5.7.40", "4.7.26", "4.7.32", "5.7.509",
                "5.7.515"});
}

C Fallback(const Code& c) {
  if (c.subject == 4) return C::kRouting;
  if (c.subject == 6) return C::kContent;
  if (c.subject == 7) return C::kPolicy;
  return c.cls == 4 ? C::kTemporary : C::kOther;
}

C Categorize(std::string_view status, const Code& c, const std::string& lower) {
  auto any = [](C) { return true; };
  if (IsAuthStatus(status)) return C::kAuthentication;
  const int s = c.subject, d = c.detail;
  if (s == 1 && (d == 1 || d == 10)) return C::kUnknownUser;
  if (s == 1 && d == 2) return C::kUnknownDomain;
  if (s == 1 && d == 6) return C::kMailboxMoved;
  if (s == 2 && d == 1) return C::kMailboxDisabled;
  if (s == 2 && d == 2) return C::kMailboxFull;
  if ((s == 2 && d == 3) || (s == 3 && d == 4)) return C::kMessageTooLarge;
  if (s == 4 && d == 7) return C::kExpired;
  if (s == 7 && d == 28) return C::kReputation;
  if (s == 7 && d != 0) {
    // x.7.1 covers every refusal by rule; the words tell which kind (and a
    // 4.7.1 may be greylisting).
    const bool transient = c.cls == 4;
    auto policy_kinds = [transient](C k) {
      return k == C::kAuthentication || k == C::kReputation || k == C::kContent || k == C::kPolicy ||
             (transient && k == C::kTemporary);
    };
    return FromText(lower, policy_kinds).value_or(C::kPolicy);
  }
  if (s == 4 && d == 4) {
    // x.4.4 "unable to route": Postfix and Exchange say so for a domain
    // that does not exist, which is as dead as an unknown user.
    auto domain = [](C k) { return k == C::kUnknownDomain; };
    return FromText(lower, domain).value_or(C::kRouting);
  }
  if (c.subject < 0 || d == 0) {
    // No status, or a generic one (5.0.0, 5.2.0 …): the words decide.
    if (auto k = FromText(lower, any)) {
      // Temporary words cannot make a permanent failure temporary.
      if (*k == C::kTemporary && c.cls == 5) return C::kOther;
      return *k;
    }
    return Fallback(c);
  }
  if (s == 6) return C::kContent;
  if (s == 4) return C::kRouting;
  return c.cls == 4 ? C::kTemporary : C::kOther;
}

std::string_view StatusTail(C k) {
  switch (k) {
    case C::kUnknownUser: return "1.1";
    case C::kUnknownDomain: return "1.2";
    case C::kMailboxDisabled: return "2.1";
    case C::kMailboxMoved: return "1.6";
    case C::kMailboxFull: return "2.2";
    case C::kMessageTooLarge: return "3.4";
    case C::kAuthentication:
    case C::kReputation:
    case C::kContent:
    case C::kPolicy: return "7.1";
    case C::kExpired: return "4.7";
    case C::kRouting: return "4.0";
    case C::kTemporary:
    case C::kOther: return "0.0";
  }
  return "0.0";
}

}  // namespace

BounceClassification ClassifyBounce(std::string_view status, int reply_code, std::string_view diagnostic) {
  Code code = ParseStatus(status);
  if (code.cls == 0 && (reply_code / 100 == 4 || reply_code / 100 == 5)) code.cls = reply_code / 100;
  BounceClassification out;
  out.category = Categorize(status, code, Lower(diagnostic));
  // Only a permanent failure says the address is dead; "452 4.1.1 try
  // later" about a user is a receiver's passing trouble.
  out.hard = code.cls == 5 && (out.category == C::kUnknownUser || out.category == C::kUnknownDomain ||
                               out.category == C::kMailboxDisabled || out.category == C::kMailboxMoved);
  out.auth_failure = out.category == C::kAuthentication;
  return out;
}

std::string InferBounceStatus(int reply_code, std::string_view diagnostic, char default_class) {
  char cls = default_class;
  if (reply_code / 100 == 2 || reply_code / 100 == 4 || reply_code / 100 == 5) cls = static_cast<char>('0' + reply_code / 100);
  if (cls != '2' && cls != '4' && cls != '5') return "";
  if (cls == '2') return "2.0.0";
  auto any = [](C) { return true; };
  C k = FromText(Lower(diagnostic), any).value_or(C::kOther);
  return std::string(1, cls) + "." + std::string(StatusTail(k));
}

std::string_view BounceCategoryName(BounceCategory c) {
  switch (c) {
    case C::kUnknownUser: return "unknown_user";
    case C::kUnknownDomain: return "unknown_domain";
    case C::kMailboxDisabled: return "mailbox_disabled";
    case C::kMailboxMoved: return "mailbox_moved";
    case C::kMailboxFull: return "mailbox_full";
    case C::kMessageTooLarge: return "message_too_large";
    case C::kAuthentication: return "authentication";
    case C::kReputation: return "reputation";
    case C::kContent: return "content";
    case C::kPolicy: return "policy";
    case C::kExpired: return "expired";
    case C::kRouting: return "routing";
    case C::kTemporary: return "temporary";
    case C::kOther: return "other";
  }
  return "?";
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
