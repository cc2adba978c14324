#include "store/feedback.h"

#include <algorithm>
#include <cctype>

#include "base/utf8_text.h"
#include "store/compress.h"
#include "store/effects.h"
#include "store/state_columns.h"
#include "store/transaction.h"

namespace tayori::store {
namespace {

struct Matched {
  uint64_t delivery_id = 0, campaign_id = 0, tenant_id = 0, sender_domain_id = 0;
  std::string email, matched_by = "none";
  scheduler::DeliveryState state = scheduler::DeliveryState::kQueued;
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Result<std::optional<Matched>> FindDelivery(Connection& db, const FeedbackMatch& m) {
  std::string select =
      "SELECT d.id, d.campaign_id, c.tenant_id, c.sender_domain_id, d.email, d.state FROM deliveries d "
      "JOIN campaigns c ON c.id = d.campaign_id WHERE ";
  auto first = [&](const std::string& where, std::initializer_list<Param> params,
                   const char* how) -> Result<std::optional<Matched>> {
    TAYORI_ASSIGN_OR_RETURN(Table rows, db.Select(select + where + " ORDER BY d.id LIMIT 1 FOR UPDATE", params));
    if (rows.empty()) return std::optional<Matched>();
    const Row& r = rows.rows[0];
    Matched x;
    x.delivery_id = r.U64(0);
    x.campaign_id = r.U64(1);
    x.tenant_id = r.U64(2);
    x.sender_domain_id = r.U64(3);
    x.email = r.Str(4);
    TAYORI_ASSIGN_OR_RETURN(x.state, ReadDeliveryState(r.OptStr(5), "deliveries.state"));
    x.matched_by = how;
    return std::optional<Matched>(x);
  };
  if (m.delivery_id) {
    TAYORI_ASSIGN_OR_RETURN(auto x, first("d.id = ?", {*m.delivery_id}, "verp"));
    if (x) return x;
  }
  if (!m.message_id.empty()) {
    TAYORI_ASSIGN_OR_RETURN(auto x, first("d.message_id = ?", {ScrubUtf8(m.message_id, 255)}, "message_id"));
    if (x) return x;
  }
  if (m.token) {
    TAYORI_ASSIGN_OR_RETURN(auto x, first("d.campaign_id = ? AND d.subscriber_id = ? AND c.tenant_id = ?",
                                          {m.token->campaign_id, m.token->subscriber_id, m.token->tenant_id},
                                          "token"));
    if (x) return x;
  }
  if (m.feedback_id && !m.feedback_id->recipient.empty()) {
    TAYORI_ASSIGN_OR_RETURN(auto x, first("d.campaign_id = ? AND c.tenant_id = ? AND d.email = ?",
                                          {m.feedback_id->campaign_id, m.feedback_id->tenant_id,
                                           ScrubUtf8(m.feedback_id->recipient, 320)},
                                          "feedback_id"));
    if (x) return x;
  }
  return std::optional<Matched>();
}

// The counter of each terminal state a hard bounce can overturn.
const char* CounterOf(scheduler::DeliveryState state) {
  using scheduler::DeliveryState;
  if (state == DeliveryState::kSent) return "sent_count";
  if (state == DeliveryState::kUnknown) return "unknown_count";
  if (state == DeliveryState::kFailed) return "failed_count";
  if (state == DeliveryState::kExpired) return "expired_count";
  return nullptr;
}

// A hard bounce: the delivery becomes 'bounced' (also after 'sent': the
// relay accepted it, the receiving system did not), its counters move with
// it, and the address is suppressed for the shop.
Status HardBounce(Connection& db, const Matched& d, const FeedbackItem& it, const FeedbackPolicy& p,
                  FeedbackCommit& out) {
  static const char* kOverturnable = "'sent','unknown','failed','expired','queued','deferred'";
  // No reply code in the report keeps the one the relay gave (COALESCE).
  TAYORI_RETURN_IF_ERROR(db.Run(
      std::string("UPDATE deliveries SET state = 'bounced', last_enhanced = ?, last_code = COALESCE(?, last_code), "
                  "last_reply = ? WHERE id = ? AND state IN (") + kOverturnable + ")",
      {ScrubUtf8(it.status, 16),
       it.reply_code.empty() ? Param(nullptr) : Param(std::atoi(it.reply_code.c_str())),
       ScrubUtf8("bounce report: " + it.diagnostic, 512), d.delivery_id}));
  if (db.affected_rows() > 0) {
    ++out.bounced;
    std::string moves = "bounced_count = bounced_count + 1";
    if (const char* from = CounterOf(d.state)) moves += std::string(", ") + from + " = GREATEST(" + from + ", 1) - 1";
    TAYORI_RETURN_IF_ERROR(db.Run("UPDATE campaigns SET " + moves + " WHERE id = ?", {d.campaign_id}));
  }
  ShopSuppression s{d.tenant_id, d.email, "bounce", "dsn " + it.status, d.campaign_id,
                    "bounce report for campaign " + std::to_string(d.campaign_id) + ": " + it.status + " " +
                        it.diagnostic,
                    p.actor};
  TAYORI_ASSIGN_OR_RETURN(bool added, SuppressForShop(db, s));
  out.suppressed += added;
  return Status::Ok();
}

Status SoftBounce(Connection& db, const Matched& d, const FeedbackItem& it, const FeedbackPolicy& p,
                  FeedbackCommit& out) {
  // Counted before this report's own event is written: this one makes +1.
  TAYORI_ASSIGN_OR_RETURN(
      Table rows, db.Select("SELECT COUNT(*) FROM feedback_events WHERE tenant_id = ? AND recipient = ? "
                            "AND type = 'bounce' AND hard = 0 AND effect = 'record' AND created_at >= "
                            "UTC_TIMESTAMP(6) - INTERVAL ? DAY",
                            {d.tenant_id, ScrubUtf8(Lower(d.email), 320), p.soft_bounce_window_days}));
  int64_t before = rows.rows.at(0).I64(0);
  if (before + 1 < p.soft_bounce_limit) return Status::Ok();
  ShopSuppression s{d.tenant_id, d.email, "bounce", "soft bounces " + it.status, d.campaign_id,
                    std::to_string(before + 1) + " soft bounces within " + std::to_string(p.soft_bounce_window_days) +
                        " days, the last: " + it.status + " " + it.diagnostic,
                    p.actor};
  TAYORI_ASSIGN_OR_RETURN(bool added, SuppressForShop(db, s));
  out.suppressed += added;
  return Status::Ok();
}

// Matches the report to its delivery and applies every item's effect, with
// one feedback_events row each, inside the caller's transaction.
Status ApplyItems(Connection& db, const FeedbackMatch& match, const std::vector<FeedbackItem>& items,
                  const FeedbackPolicy& policy, FeedbackCommit& out) {
  Status st;
  auto found = FindDelivery(db, match);
  if (!found.ok()) return found.status();
  std::optional<Matched> d = *found;
  if (d && d->state == scheduler::DeliveryState::kLeased && d->matched_by != "feedback_id") {
    bool changes_state = std::any_of(items.begin(), items.end(),
                                     [](const FeedbackItem& it) { return it.effect == "bounce_and_suppress"; });
    if (changes_state) {
      out.retry_later = true;
      out.delivery_id = d->delivery_id;
      return Status::Ok();
    }
  }
  if (d) {
    out.matched = true;
    out.delivery_id = d->delivery_id;
    out.tenant_id = d->tenant_id;
  }
  for (const auto& it : items) {
    std::string effect = "none", note;
    if (!d && it.effect != "none") {
      note = "matched no delivery (no verified VERP, Message-ID or unsubscribe token)";
    } else if (d && d->matched_by == "feedback_id") {
      if (it.effect != "none")
        note = "matched only by Feedback-ID and recipient, which anyone can write: recorded, not acted on";
    } else if (d) {
      if (!it.recipient.empty() && Lower(it.recipient) != Lower(d->email))
        note = "the report names " + it.recipient + "; the matched delivery went to " + d->email +
               ", whose shop alone the effect touches";
      if (it.effect == "bounce_and_suppress") {
        st = HardBounce(db, *d, it, policy, out);
        effect = it.effect;
      } else if (it.effect == "record") {
        if (it.type == "bounce") st = SoftBounce(db, *d, it, policy, out);  // a delay is only recorded
        effect = it.effect;
      } else if (it.effect == "suppress_for_shop") {
        ShopSuppression s{d->tenant_id, d->email, "complaint", "arf " + it.feedback_type, d->campaign_id,
                          "complaint (" + it.feedback_type + ") about campaign " + std::to_string(d->campaign_id),
                          policy.actor};
        auto added = SuppressForShop(db, s);
        st = added.status();
        if (added.ok()) {
          out.suppressed += *added;
          ++out.complaints;
          st = db.Run("UPDATE campaigns SET complaint_count = complaint_count + 1 WHERE id = ?", {d->campaign_id});
        }
        effect = it.effect;
      } else if (it.effect == "pause_sender_domain") {
        auto paused = PauseSenderDomain(db, d->sender_domain_id,
                                        "authentication failure in a bounce report: " + it.status + " " + it.diagnostic,
                                        policy.actor);
        st = paused.status();
        if (paused.ok()) out.domains_paused += *paused;
        effect = it.effect;
      }
      if (!st.ok()) return st;
    }
    if (!note.empty()) out.notes.push_back(note);
    st = db.Run(
        "INSERT INTO feedback_events (inbound_message_id, type, recipient, status, reply_code, category, hard, "
        "feedback_type, diagnostic, matched_by, delivery_id, campaign_id, tenant_id, sender_domain_id, effect, "
        "effect_note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {out.inbound_message_id, it.type, ScrubUtf8(Lower(d && it.effect != "none" ? d->email : it.recipient), 320),
         ScrubUtf8(it.status, 16), ScrubUtf8(it.reply_code, 8), ScrubUtf8(it.category, 32), it.hard,
         ScrubUtf8(it.feedback_type, 32), ScrubUtf8(it.diagnostic, 1000), d ? d->matched_by : std::string("none"),
         d ? Param(d->delivery_id) : Param(nullptr), d ? Param(d->campaign_id) : Param(nullptr),
         d ? Param(d->tenant_id) : Param(nullptr), d ? Param(d->sender_domain_id) : Param(nullptr), effect,
         note.empty() ? Param(nullptr) : Param(ScrubUtf8(note, 512))});
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

}  // namespace

Result<FeedbackCommit> CommitFeedback(Connection& db, const InboundMessage& message, const FeedbackMatch& match,
                                      const std::vector<FeedbackItem>& items, const FeedbackPolicy& policy) {
  FeedbackCommit out;
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  // The unique key makes two listeners racing on one resend serialise here.
  std::string rcpts;
  for (const auto& r : message.rcpt_to) rcpts += (rcpts.empty() ? "" : ",") + r;
  std::string raw_deflate = Deflate(message.raw);
  TAYORI_RETURN_IF_ERROR(db.Run(
      "INSERT IGNORE INTO inbound_messages (sha256, mail_from, rcpt_to, size_bytes, raw_deflate, format, disposition, "
      "reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {Param::Bytes(message.sha256), ScrubUtf8(message.mail_from, 320), ScrubUtf8(rcpts, 10000), message.raw.size(),
       Param::Bytes(raw_deflate), ScrubUtf8(message.format, 32), message.disposition,
       message.reason.empty() ? Param(nullptr) : Param(ScrubUtf8(message.reason, 512))}));
  if (db.affected_rows() == 0) {
    out.duplicate = true;
    TAYORI_RETURN_IF_ERROR(tx.Commit());
    return out;
  }
  out.inbound_message_id = db.last_insert_id();
  Status applied = ApplyItems(db, match, items, policy, out);
  if (!applied.ok()) return applied;
  // Nothing of this message is kept until its delivery is no longer
  // leased: returning without Commit rolls the transaction back.
  if (out.retry_later) return out;
  TAYORI_RETURN_IF_ERROR(tx.Commit());
  return out;
}

Result<std::vector<StoredInbound>> StoredInboundMessages(Connection& db, uint64_t from_id, int limit,
                                                         size_t max_bytes) {
  TAYORI_ASSIGN_OR_RETURN(Table rows, db.Select("SELECT id, raw_deflate, rcpt_to FROM inbound_messages WHERE id >= ? "
                                                "AND raw_deflate <> '' ORDER BY id LIMIT ?",
                                                {from_id, limit}));
  std::vector<StoredInbound> out;
  for (const auto& r : rows.rows) {
    StoredInbound m;
    m.id = r.U64(0);
    TAYORI_ASSIGN_OR_RETURN(m.raw, Inflate(r.Str(1), max_bytes));
    const std::string& rcpts = r.Str(2);
    for (size_t start = 0; start <= rcpts.size();) {
      size_t comma = rcpts.find(',', start);
      if (comma == std::string::npos) comma = rcpts.size();
      if (comma > start) m.rcpt_to.push_back(rcpts.substr(start, comma - start));
      start = comma + 1;
    }
    out.push_back(std::move(m));
  }
  return out;
}

Result<FeedbackCommit> ReapplyFeedback(Connection& db, uint64_t inbound_message_id, const std::string& format,
                                       const std::string& disposition, const std::string& reason,
                                       const FeedbackMatch& match, const std::vector<FeedbackItem>& items,
                                       const FeedbackPolicy& policy) {
  FeedbackCommit out;
  out.inbound_message_id = inbound_message_id;
  uint64_t id = inbound_message_id;
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  // The earlier reading's events go; what they did that cannot repeat
  // harmlessly (a complaint counted) is taken back first. A delivery made
  // 'bounced' and a suppression stay: applying them again changes nothing.
  TAYORI_RETURN_IF_ERROR(db.Run("UPDATE campaigns c JOIN (SELECT campaign_id, COUNT(*) AS n FROM feedback_events "
                                "WHERE inbound_message_id = ? AND effect = 'suppress_for_shop' GROUP BY campaign_id) f "
                                "ON f.campaign_id = c.id SET c.complaint_count = GREATEST(c.complaint_count, f.n) - f.n",
                                {id}));
  TAYORI_RETURN_IF_ERROR(db.Run("DELETE FROM feedback_events WHERE inbound_message_id = ?", {id}));
  TAYORI_RETURN_IF_ERROR(db.Run("UPDATE inbound_messages SET format = ?, disposition = ?, reason = ? WHERE id = ?",
                                {ScrubUtf8(format, 32), disposition,
                                 reason.empty() ? Param(nullptr) : Param(ScrubUtf8(reason, 512)), id}));
  Status st = ApplyItems(db, match, items, policy, out);
  if (!st.ok()) return st;
  if (out.retry_later) return Transient("delivery still leased by an engine; try again shortly");
  TAYORI_RETURN_IF_ERROR(tx.Commit());
  return out;
}

Result<int> ExpireInboundMessages(Connection& db, int days) {
  TAYORI_RETURN_IF_ERROR(db.Run("UPDATE inbound_messages SET raw_deflate = '' WHERE raw_deflate <> '' AND "
                                "received_at < UTC_TIMESTAMP(6) - INTERVAL ? DAY LIMIT " +
                                    std::to_string(kInboundExpiryBatch),
                                {days}));
  return static_cast<int>(db.affected_rows());
}

}  // namespace tayori::store
