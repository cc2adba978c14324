#include "store/domain_readiness.h"

#include "store/transaction.h"
#include "store/values.h"

namespace tayori::store {

namespace {

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

// VARCHAR limits of 0005_domain_readiness.sql, cut on a character boundary
// (the texts are UTF-8: Japanese words, names from DNS).
std::string Cut(const std::string& s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

}  // namespace

Status SaveDomainReadiness(Connection& db, const DomainReadinessRecord& r) {
  const std::string id = std::to_string(r.sender_domain_id);
  // reason is VARCHAR(1000) characters; 1000 bytes is always within it.
  const std::string reason = db.Quote(Cut(r.reason, 1000));
  const std::string failed = db.Quote(Cut(Joined(r.mandatory_failed), 255));
  const std::string next = "UTC_TIMESTAMP(6) + INTERVAL " + std::to_string(r.next_check_in_s) + " SECOND";
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  Status st = db.Execute(
      "INSERT INTO domain_readiness (sender_domain_id, state, domain_state, platform_state, mandatory_failed, reason, "
      "report_en, report_ja, checked_at, checked_by, next_check_at) VALUES (" + id + ", " + db.Quote(r.state) + ", " +
      db.Quote(r.domain_state.empty() ? "unknown" : r.domain_state) + ", " +
      db.Quote(r.platform_state.empty() ? "unknown" : r.platform_state) + ", " + failed + ", " +
      reason + ", " + db.Quote(r.report_en) + ", " + db.Quote(r.report_ja) + ", UTC_TIMESTAMP(6), " +
      db.Quote(Cut(r.checked_by, 160)) + ", " + next + ") ON DUPLICATE KEY UPDATE state = VALUES(state), "
      "domain_state = VALUES(domain_state), platform_state = VALUES(platform_state), mandatory_failed = VALUES(mandatory_failed), reason = VALUES(reason), report_en = VALUES(report_en), "
      "report_ja = VALUES(report_ja), checked_at = VALUES(checked_at), checked_by = VALUES(checked_by), "
      "next_check_at = VALUES(next_check_at)");
  if (!st.ok()) return st;
  st = db.Execute("DELETE FROM domain_check_states WHERE sender_domain_id = " + id);
  if (!st.ok()) return st;
  if (!r.check_states.empty()) {
    std::string values;
    for (const auto& [check, state] : r.check_states)
      values += std::string(values.empty() ? "" : ", ") + "(" + id + ", " + db.Quote(Cut(check, 32)) + ", " +
                db.Quote(state) + ")";
    st = db.Execute("INSERT INTO domain_check_states (sender_domain_id, check_id, state) VALUES " + values);
    if (!st.ok()) return st;
  }
  return tx.Commit();
}

namespace {

constexpr const char* kRowColumns =
    "d.id, d.domain, COALESCE(r.state, 'unknown'), COALESCE(r.mandatory_failed, ''), COALESCE(r.reason, ''), "
    "COALESCE(DATE_FORMAT(r.checked_at, '%Y-%m-%d %H:%i:%s'), ''), COALESCE(r.checked_by, ''), "
    "COALESCE(DATE_FORMAT(r.next_check_at, '%Y-%m-%d %H:%i:%s'), ''), COALESCE(r.domain_state, 'unknown'), "
    "COALESCE(r.platform_state, 'unknown')";

DomainReadinessRow RowFrom(const std::vector<std::optional<std::string>>& r) {
  DomainReadinessRow out;
  out.sender_domain_id = U64(r[0]);
  out.domain = Str(r[1]);
  out.state = Str(r[2]);
  out.mandatory_failed = Str(r[3]);
  out.reason = Str(r[4]);
  out.checked_at = Str(r[5]);
  out.checked_by = Str(r[6]);
  out.next_check_at = Str(r[7]);
  out.domain_state = Str(r[8]);
  out.platform_state = Str(r[9]);
  return out;
}

}  // namespace

Result<std::map<uint64_t, DomainReadinessRow>> AllDomainReadiness(Connection& db) {
  TAYORI_ASSIGN_OR_RETURN(Rows rows, db.Query(std::string("SELECT ") + kRowColumns +
                                              " FROM domain_readiness r JOIN sender_domains d ON "
                                              "d.id = r.sender_domain_id"));
  std::map<uint64_t, DomainReadinessRow> out;
  for (const auto& r : rows.rows) {
    DomainReadinessRow row = RowFrom(r);
    out.emplace(row.sender_domain_id, std::move(row));
  }
  return out;
}

Result<std::optional<DomainReadinessRow>> FindDomainReadiness(Connection& db, uint64_t sender_domain_id) {
  TAYORI_ASSIGN_OR_RETURN(Rows rows,
                          db.Query(std::string("SELECT ") + kRowColumns +
                                   ", COALESCE(r.report_en, ''), COALESCE(r.report_ja, '') FROM domain_readiness r "
                                   "JOIN sender_domains d ON d.id = r.sender_domain_id WHERE r.sender_domain_id = " +
                                   std::to_string(sender_domain_id)));
  if (rows.rows.empty()) return std::optional<DomainReadinessRow>();
  DomainReadinessRow row = RowFrom(rows.rows[0]);
  row.report_en = Str(rows.rows[0][10]);
  row.report_ja = Str(rows.rows[0][11]);
  return std::optional<DomainReadinessRow>(std::move(row));
}

Result<std::optional<uint64_t>> ClaimDueDomainCheck(Connection& db, int claim_s) {
  // A few candidates, most overdue first: another engine may claim the first
  // between our SELECT and our UPDATE; the guarded UPDATE tells.
  TAYORI_ASSIGN_OR_RETURN(
      Rows rows, db.Query("SELECT d.id FROM sender_domains d LEFT JOIN domain_readiness r ON "
                          "r.sender_domain_id = d.id WHERE r.sender_domain_id IS NULL OR r.next_check_at <= "
                          "UTC_TIMESTAMP(6) ORDER BY r.next_check_at IS NOT NULL, r.next_check_at, d.id LIMIT 8"));
  const std::string until = "UTC_TIMESTAMP(6) + INTERVAL " + std::to_string(claim_s) + " SECOND";
  for (const auto& r : rows.rows) {
    const std::string id = Str(r[0]);
    // affected rows: 1 inserted (never checked), 2 moved ahead, 0 someone
    // else's claim (next_check_at already in the future).
    TAYORI_RETURN_IF_ERROR(db.Execute(
        "INSERT INTO domain_readiness (sender_domain_id, next_check_at) VALUES (" + id + ", " + until +
        ") ON DUPLICATE KEY UPDATE next_check_at = IF(next_check_at <= UTC_TIMESTAMP(6), VALUES(next_check_at), "
        "next_check_at)"));
    if (db.affected_rows() > 0) return std::optional<uint64_t>(U64(r[0]));
  }
  return std::optional<uint64_t>();
}

Result<std::vector<ReadinessCount>> CountDomainReadiness(Connection& db) {
  std::vector<ReadinessCount> out;
  TAYORI_ASSIGN_OR_RETURN(Rows overall, db.Query("SELECT COALESCE(r.state, 'unknown'), COUNT(*) FROM sender_domains d "
                                                 "LEFT JOIN domain_readiness r ON r.sender_domain_id = d.id "
                                                 "GROUP BY 1 ORDER BY 1"));
  for (const auto& r : overall.rows) out.push_back({"", Str(r[0]), U64(r[1])});
  TAYORI_ASSIGN_OR_RETURN(Rows checks, db.Query("SELECT check_id, state, COUNT(*) FROM domain_check_states "
                                                "GROUP BY check_id, state ORDER BY check_id, state"));
  for (const auto& r : checks.rows) out.push_back({Str(r[0]), Str(r[1]), U64(r[2])});
  return out;
}

Result<int> PauseCampaignsOfDomain(Connection& db, uint64_t sender_domain_id, const std::string& reason,
                                   const std::string& actor) {
  const std::string id = std::to_string(sender_domain_id);
  const std::string why = Cut(reason, 500);
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  Status st = db.Execute(
      "INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) SELECT tenant_id, 'campaign', "
      "id, 'alert', " + db.Quote(actor) + ", " + db.Quote(reason) + " FROM campaigns WHERE sender_domain_id = " +
      id + " AND state IN ('scheduled','sending')");
  if (!st.ok()) return st;
  st = db.Execute("UPDATE campaigns SET state = 'paused', state_reason = " + db.Quote(why) +
                  " WHERE sender_domain_id = " + id + " AND state IN ('scheduled','sending')");
  if (!st.ok()) return st;
  int paused = static_cast<int>(db.affected_rows());
  TAYORI_RETURN_IF_ERROR(tx.Commit());
  return paused;
}

}  // namespace tayori::store
