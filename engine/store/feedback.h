// Inbound feedback in the database: a bounce or complaint that came back by
// mail (`tayori inbound`), kept compressed for audit and re-processing, its
// reported recipients matched to the delivery they are about, and their
// effects — a delivery bounced, an address suppressed, a sender domain
// paused, a complaint counted — all in ONE transaction, so the listener
// answers 250 only once everything is committed and a resend changes nothing.
//
// Always within one shop: an effect applies only to the matched delivery's
// own address in the delivery's own shop, whatever address the report names
// (a complaint naming another shop's subscriber suppresses nobody there).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/connection.h"

namespace tayori::store {

struct InboundMessage {
  std::string sha256;                  // 32 bytes of the raw message's SHA-256 (the resend key)
  std::string raw;                     // the message as received (stored compressed)
  std::string mail_from;               // "" for DSNs
  std::vector<std::string> rcpt_to;
  std::string format;                  // the parser's: rfc3464, arf, qmail ...
  std::string disposition = "parsed";  // parsed | ignored | refused
  std::string reason;
};

// How the report names the delivery it is about, verified by the caller:
// a VERP address whose MAC checked, else the returned message's Message-ID,
// else an unsubscribe token from its List-Unsubscribe header.
struct FeedbackMatch {
  std::optional<uint64_t> delivery_id;
  std::string message_id;
  struct Token {
    uint64_t tenant_id = 0, subscriber_id = 0, campaign_id = 0;
  };
  std::optional<Token> token;
  // The returned message's Feedback-ID (campaign:shop:…) with the reported
  // recipient: anyone can write both, so a delivery found this way is
  // recorded against the report but never acted on (no bounce, no
  // suppression, no count) — a forged report must not touch a shop's list.
  struct ByFeedbackId {
    uint64_t campaign_id = 0, tenant_id = 0;
    std::string recipient;
  };
  std::optional<ByFeedbackId> feedback_id;
};

// One reported recipient, as the parser classified it.
struct FeedbackItem {
  std::string type;        // bounce | delay | delivered | complaint | auto-reply | not-feedback
  std::string recipient;
  std::string status, reply_code, category, feedback_type, diagnostic;
  bool hard = false;
  // What it asks for: none | record | bounce_and_suppress | pause_sender_domain | suppress_for_shop
  std::string effect = "none";
};

struct FeedbackPolicy {
  // A soft bounce is recorded; this many for one address of one shop within
  // the window suppress it (a mailbox full for a week is as good as gone).
  int soft_bounce_limit = 3;
  int soft_bounce_window_days = 7;
  std::string actor = "inbound";
};

struct FeedbackCommit {
  bool duplicate = false;          // this exact message was committed before: nothing done again
  // Nothing was written: the matched delivery is still leased by an engine
  // (a relay that bounces at once can return the DSN before the engine
  // has written 'sent'). The listener answers 451; the resend finds it sent.
  bool retry_later = false;
  uint64_t inbound_message_id = 0;
  bool matched = false;            // a delivery was found
  uint64_t delivery_id = 0, tenant_id = 0;
  int bounced = 0;                 // deliveries that became 'bounced'
  int suppressed = 0;              // new suppressions
  int complaints = 0;
  int domains_paused = 0;
  std::vector<std::string> notes;  // effects not applied, and why (for the log)
};

Result<FeedbackCommit> CommitFeedback(Connection& db, const InboundMessage& message, const FeedbackMatch& match,
                                      const std::vector<FeedbackItem>& items, const FeedbackPolicy& policy);

// Stored raw messages (inflated, at most `max_bytes` each) from id
// `from_id` on, for `tayori inbound reprocess`; expired ones are skipped.
struct StoredInbound {
  uint64_t id = 0;
  std::string raw;
  std::vector<std::string> rcpt_to;
};
Result<std::vector<StoredInbound>> StoredInboundMessages(Connection& db, uint64_t from_id, int limit,
                                                         size_t max_bytes);

// Reads a stored message again (after a parser improvement, or when its
// effects could not apply): its earlier events are replaced and its effects
// applied again in one transaction (a counted complaint is taken back
// first; a bounce and a suppression apply idempotently).
Result<FeedbackCommit> ReapplyFeedback(Connection& db, uint64_t inbound_message_id, const std::string& format,
                                       const std::string& disposition, const std::string& reason,
                                       const FeedbackMatch& match, const std::vector<FeedbackItem>& items,
                                       const FeedbackPolicy& policy);

// Raw messages older than `days`: the compressed bytes are dropped (the row
// and its feedback events stay, for the rates), at most kInboundExpiryBatch
// rows a call (one short statement; call again while it returns that many).
// Returns how many.
constexpr int kInboundExpiryBatch = 10000;
Result<int> ExpireInboundMessages(Connection& db, int days);

}  // namespace tayori::store
