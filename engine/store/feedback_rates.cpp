#include "store/feedback_rates.h"

#include <cstdio>

#include "store/transaction.h"

namespace tayori::store {

namespace {

// `column` = `id` over campaigns c and feedback_events f (tenant_id or
// sender_domain_id).
Result<ShopRates> Rates(Connection& db, const char* column, uint64_t id, int window_days) {
  ShopRates r;
  r.window_days = window_days;
  // A message bounced by a later report was accepted by the relay: it counts
  // as delivered for the complaint rate's denominator, and as a hard bounce.
  // `column` is one of two names fixed by the callers below.
  TAYORI_ASSIGN_OR_RETURN(
      Table rows, db.Select(std::string("SELECT COALESCE(SUM(c.sent_count), 0), COALESCE(SUM(c.bounced_count), 0), "
                                        "COALESCE(SUM(c.complaint_count), 0), (SELECT COUNT(*) FROM feedback_events f "
                                        "WHERE f.") + column + " = ? AND f.effect = 'bounce_and_suppress' AND "
                            "f.created_at >= UTC_TIMESTAMP(6) - INTERVAL ? DAY), COALESCE(MIN(c.tenant_id), 0) "
                            "FROM campaigns c WHERE c." + column + " = ? AND "
                            "c.started_at >= UTC_TIMESTAMP(6) - INTERVAL ? DAY",
                            {id, window_days, id, window_days}));
  const Row& row = rows.rows.at(0);
  r.sent = row.U64(0);
  r.hard_bounces = row.U64(1);
  r.complaints = row.U64(2);
  r.async_bounced = row.U64(3);
  r.tenant_id = row.U64(4);
  return r;
}

}  // namespace

Result<ShopRates> GetShopRates(Connection& db, uint64_t tenant_id, int window_days) {
  TAYORI_ASSIGN_OR_RETURN(ShopRates r, Rates(db, "tenant_id", tenant_id, window_days));
  r.tenant_id = tenant_id;
  return r;
}

Result<ShopRates> GetDomainRates(Connection& db, uint64_t sender_domain_id, int window_days) {
  return Rates(db, "sender_domain_id", sender_domain_id, window_days);
}

namespace {

std::string Percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", v * 100);
  return buf;
}

}  // namespace

Result<GuardVerdict> EnforceFeedbackGuards(Connection& db, uint64_t tenant_id, const GuardLimits& limits,
                                           const std::string& actor) {
  GuardVerdict v;
  for (int days : {1, 7}) {
    TAYORI_ASSIGN_OR_RETURN(ShopRates r, GetShopRates(db, tenant_id, days));
    if (r.delivered() < limits.min_volume) continue;
    std::string over;
    if (r.complaint_rate() > limits.max_complaint_rate)
      over = "complaint rate " + Percent(r.complaint_rate()) + " (" + std::to_string(r.complaints) + " of " +
             std::to_string(r.delivered()) + ") over the last " + (days == 1 ? "day" : "7 days") + " exceeds " +
             Percent(limits.max_complaint_rate) + " (feedback.max_complaint_rate)";
    else if (r.hard_bounce_rate() > limits.max_hard_bounce_rate)
      over = "hard-bounce rate " + Percent(r.hard_bounce_rate()) + " (" + std::to_string(r.hard_bounces) +
             " messages) over the last " + (days == 1 ? "day" : "7 days") + " exceeds " +
             Percent(limits.max_hard_bounce_rate) + " (feedback.max_hard_bounce_rate)";
    if (over.empty()) continue;
    v.reason = "paused: " + over + "; clean the list, then resume";
    break;
  }
  if (v.reason.empty()) return v;
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  TAYORI_RETURN_IF_ERROR(db.Run(
      "INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) SELECT tenant_id, 'campaign', "
      "id, 'alert', ?, ? FROM campaigns WHERE tenant_id = ? AND state IN ('scheduled','sending')",
      {actor, v.reason, tenant_id}));
  TAYORI_RETURN_IF_ERROR(db.Run("UPDATE campaigns SET state = 'paused', state_reason = ? "
                                "WHERE tenant_id = ? AND state IN ('scheduled','sending')",
                                {v.reason.substr(0, 500), tenant_id}));
  v.paused = static_cast<int>(db.affected_rows());
  TAYORI_RETURN_IF_ERROR(tx.Commit());
  return v;
}

Result<std::vector<uint64_t>> ShopsSending(Connection& db) {
  TAYORI_ASSIGN_OR_RETURN(Table rows, db.Select("SELECT DISTINCT tenant_id FROM campaigns WHERE state IN "
                                                "('scheduled','sending')"));
  std::vector<uint64_t> out;
  for (const auto& r : rows.rows) out.push_back(r.U64(0));
  return out;
}

}  // namespace tayori::store
