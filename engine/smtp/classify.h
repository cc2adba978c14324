// The one classification table (docs/engine.md): what a relay's answer, or the
// lack of one, means for a delivery, its shop, its sender domain and the
// destination's shaping. Every outcome decision in Tayori comes from here.
#pragma once

#include <string>
#include <string_view>

#include "smtp/reply.h"

namespace tayori::smtp {

enum class Outcome {
  kDelivered,    // 2xx after DATA: sent
  kTransient,    // 4xx, connection failure, timeout: retry with backoff, then expire
  kThrottled,    // 421 4.7.28 / 450 4.2.1: transient, and pause the destination
  kPermanent,    // other 5xx: failed, keep the text
  kHardBounce,   // 5.1.1, 5.1.10, 5.2.1 …: failed, and suppress the address for that shop
  kAuthFailure,  // 5.7.26/27/30/32, 4.7.40 …: pause the sender domain and alert
  kUnknown,      // the connection died after the final dot: maybe delivered, never resent blindly
};

// Where the transaction stood when it ended; decides what a missing reply means.
enum class Stage { kConnect, kEnvelope, kData, kAfterDot };

struct Classification {
  Outcome outcome;
  bool retry;                 // the delivery goes back to the queue
  bool suppress_address;      // add a shop-scoped suppression
  bool pause_sender_domain;   // stop the author domain, raise an alert
  bool pause_destination;     // stop the destination group for throttle_pause
  bool relay_fault;           // the relay itself failed (connection/timeout): back off it, fail over
  std::string reason;         // one line for logs and the database
};

// `reply` is the final reply received (code 0 if none); `stage` where it ended.
Classification Classify(const Reply& reply, Stage stage);

std::string_view OutcomeName(Outcome o);

// --- Bounce reports -------------------------------------------------------
// The second table: what a bounce report received by mail after the relay
// accepted the message (a DSN or a text bounce, engine/feedback/) says about
// the recipient's address. Its answers, and what Tayori does about them:
//
//   hard (unknown user or domain, mailbox disabled or moved; 5xx only)
//                       the delivery becomes bounced, the address is
//                       suppressed for the shop
//   soft (mailbox full, too large, temporary, policy, content, reputation,
//        expired, routing, other)
//                       recorded on the delivery
//   auth_failure (5.7.26 …, "unauthenticated", DMARC)
//                       the sender domain pauses, as for a relay reply
//
// Delayed DSNs and complaints are decided by the report's type, not here
// (docs/feedback.md). Pure, thread-safe.
enum class BounceCategory {
  kUnknownUser,      // x.1.1, x.1.10; "user unknown", "no such user"
  kUnknownDomain,    // x.1.2; x.4.4 with "domain not found"; "Unrouteable address"
  kMailboxDisabled,  // x.2.1; "account disabled"
  kMailboxMoved,     // x.1.6
  kMailboxFull,      // x.2.2; "quota exceeded", "mailbox full"
  kMessageTooLarge,  // x.3.4, x.2.3
  kAuthentication,   // 5.7.26/27/30/32/25/509/515, 4.7.40 …; "unauthenticated", "DMARC"
  kReputation,       // x.7.28; blocklists, "reputation"
  kContent,          // x.6.x; "spam", "virus" with a policy code
  kPolicy,           // other x.7.x
  kExpired,          // x.4.7; "retry timeout exceeded", "queue too long"
  kRouting,          // other x.4.x; "no route", "loop"
  kTemporary,        // other 4xx
  kOther,            // other 5xx (and a report without any code)
};

struct BounceClassification {
  BounceCategory category = BounceCategory::kOther;
  bool hard = false;          // bounced + suppressed for the shop
  bool auth_failure = false;  // pause the sender domain and alert
};

// `status` is the report's enhanced status code ("5.1.1", or "" when it has
// none), `reply_code` its SMTP reply code (0 when none), `diagnostic` its
// text. A specific status decides; a generic one (x.y.0, or none) lets the
// text decide, and x.7.x and x.4.4 are refined by the text.
BounceClassification ClassifyBounce(std::string_view status, int reply_code, std::string_view diagnostic);

// The status a report implies when it carries none: the class from the
// reply code (else `default_class`, '5' for a failure, '4' for a delay),
// the rest from the diagnostic's words ("550 User unknown" → "5.1.1");
// "X.0.0" when the words say nothing. Empty when the class is not 2, 4 or 5.
std::string InferBounceStatus(int reply_code, std::string_view diagnostic, char default_class);

// "unknown_user", "mailbox_full", … (the `category` of docs/feedback.md).
std::string_view BounceCategoryName(BounceCategory c);

}  // namespace tayori::smtp
