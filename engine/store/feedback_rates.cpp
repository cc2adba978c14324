#include "store/feedback_rates.h"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <unordered_map>

#include "store/campaigns.h"
#include "store/transaction.h"

namespace tayori::store {

namespace {

// Shops (or domains) per statement. Below MariaDB's
// in_predicate_conversion_threshold (1,000), which would turn the IN list
// into a join with a temporary table.
constexpr size_t kIdsPerStatement = 500;

// The rates of each id in `ids`, in their order; `column` (tenant_id or
// sender_domain_id, fixed by the callers below) names what an id is, in
// campaigns and in feedback_events alike. A window with no campaign started
// in it has zero counts and tenant_id 0.
Result<std::vector<ShopRates>> RatesOf(Connection& db, const char* column, const std::vector<uint64_t>& ids,
                                       int window_days) {
  std::vector<ShopRates> out(ids.size());
  std::unordered_map<uint64_t, std::vector<size_t>> at;  // an id given twice gets its rates twice
  for (size_t i = 0; i < ids.size(); ++i) {
    out[i].window_days = window_days;
    at[ids[i]].push_back(i);
  }
  const std::string col = column;
  const std::string since = "UTC_TIMESTAMP(6) - INTERVAL " + std::to_string(window_days) + " DAY";
  for (size_t start = 0; start < ids.size(); start += kIdsPerStatement) {
    std::vector<uint64_t> part(ids.begin() + static_cast<std::ptrdiff_t>(start),
                               ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), start + kIdsPerStatement)));
    const std::string in = IdList(part);
    TAYORI_ASSIGN_OR_RETURN(
        Table counts, db.Select("SELECT " + col + ", SUM(sent_count), SUM(bounced_count), SUM(complaint_count), "
                                "MIN(tenant_id) FROM campaigns WHERE " + col + " IN (" + in + ") AND started_at >= " +
                                since + " GROUP BY " + col));
    for (const Row& row : counts.rows) {
      for (size_t i : at[row.U64(0)]) {
        out[i].sent = row.U64(1);
        out[i].hard_bounces = row.U64(2);
        out[i].complaints = row.U64(3);
        out[i].tenant_id = row.U64(4);
      }
    }
    // A message bounced by a later report was accepted by the relay: it
    // counts as delivered for the complaint rate's denominator, and as a
    // hard bounce.
    TAYORI_ASSIGN_OR_RETURN(
        Table reported, db.Select("SELECT " + col + ", COUNT(*) FROM feedback_events WHERE " + col + " IN (" + in +
                                  ") AND effect = 'bounce_and_suppress' AND created_at >= " + since + " GROUP BY " +
                                  col));
    for (const Row& row : reported.rows)
      for (size_t i : at[row.U64(0)]) out[i].async_bounced = row.U64(1);
  }
  return out;
}

}  // namespace

Result<std::vector<ShopRates>> GetShopsRates(Connection& db, const std::vector<uint64_t>& tenant_ids,
                                             int window_days) {
  TAYORI_ASSIGN_OR_RETURN(std::vector<ShopRates> rates, RatesOf(db, "tenant_id", tenant_ids, window_days));
  for (size_t i = 0; i < rates.size(); ++i) rates[i].tenant_id = tenant_ids[i];
  return rates;
}

Result<std::vector<ShopRates>> GetDomainsRates(Connection& db, const std::vector<uint64_t>& sender_domain_ids,
                                               int window_days) {
  return RatesOf(db, "sender_domain_id", sender_domain_ids, window_days);
}

namespace {

std::string Percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", v * 100);
  return buf;
}

}  // namespace

std::string GuardBreach(const ShopRates& r, const GuardLimits& limits) {
  if (r.delivered() < limits.min_volume) return "";
  const std::string window = r.window_days == 1 ? "day" : std::to_string(r.window_days) + " days";
  if (r.complaint_rate() > limits.max_complaint_rate)
    return "complaint rate " + Percent(r.complaint_rate()) + " (" + std::to_string(r.complaints) + " of " +
           std::to_string(r.delivered()) + ") over the last " + window + " exceeds " +
           Percent(limits.max_complaint_rate) + " (feedback.max_complaint_rate)";
  if (r.hard_bounce_rate() > limits.max_hard_bounce_rate)
    return "hard-bounce rate " + Percent(r.hard_bounce_rate()) + " (" + std::to_string(r.hard_bounces) +
           " messages) over the last " + window + " exceeds " + Percent(limits.max_hard_bounce_rate) +
           " (feedback.max_hard_bounce_rate)";
  return "";
}

Result<std::vector<ShopVerdict>> EnforceFeedbackGuards(Connection& db, const std::vector<uint64_t>& tenant_ids,
                                                       const GuardLimits& limits, const std::string& actor) {
  // The day's window first: its breach is the more recent news.
  TAYORI_ASSIGN_OR_RETURN(std::vector<ShopRates> day, GetShopsRates(db, tenant_ids, 1));
  TAYORI_ASSIGN_OR_RETURN(std::vector<ShopRates> week, GetShopsRates(db, tenant_ids, 7));
  std::vector<ShopVerdict> out;
  for (size_t i = 0; i < tenant_ids.size(); ++i) {
    std::string over = GuardBreach(day[i], limits);
    if (over.empty()) over = GuardBreach(week[i], limits);
    if (!over.empty()) out.push_back({tenant_ids[i], {"paused: " + over + "; clean the list, then resume", 0}});
  }
  if (out.empty()) return out;
  // All the pauses in one transaction: a database job that fails part way
  // is run again (store/db_worker.h), and must find none of them done, or
  // it would count those shops' campaigns as paused by no one and their
  // alerts would not be logged.
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  for (ShopVerdict& v : out) {
    TAYORI_RETURN_IF_ERROR(db.Run(
        "INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) SELECT tenant_id, 'campaign', "
        "id, 'alert', ?, ? FROM campaigns WHERE tenant_id = ? AND state IN ('scheduled','sending')",
        {actor, v.verdict.reason, v.tenant_id}));
    TAYORI_RETURN_IF_ERROR(db.Run("UPDATE campaigns SET state = 'paused', state_reason = ? "
                                  "WHERE tenant_id = ? AND state IN ('scheduled','sending')",
                                  {v.verdict.reason.substr(0, 500), v.tenant_id}));
    v.verdict.paused = static_cast<int>(db.affected_rows());
  }
  TAYORI_RETURN_IF_ERROR(tx.Commit());
  return out;
}

}  // namespace tayori::store
