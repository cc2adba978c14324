#include "store/domain_readiness.h"

#include <algorithm>

#include "store/batch.h"
#include "store/transaction.h"

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
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  // reason is VARCHAR(1000) characters; 1000 bytes is always within it.
  TAYORI_RETURN_IF_ERROR(db.Run(
      "INSERT INTO domain_readiness (sender_domain_id, state, domain_state, platform_state, mandatory_failed, reason, "
      "report_en, report_ja, checked_at, checked_by, next_check_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6), "
      "?, UTC_TIMESTAMP(6) + INTERVAL ? SECOND) ON DUPLICATE KEY UPDATE state = VALUES(state), "
      "domain_state = VALUES(domain_state), platform_state = VALUES(platform_state), "
      "mandatory_failed = VALUES(mandatory_failed), reason = VALUES(reason), report_en = VALUES(report_en), "
      "report_ja = VALUES(report_ja), checked_at = VALUES(checked_at), checked_by = VALUES(checked_by), "
      "next_check_at = VALUES(next_check_at)",
      {r.sender_domain_id, r.state, r.domain_state.empty() ? "unknown" : r.domain_state,
       r.platform_state.empty() ? "unknown" : r.platform_state, Cut(Joined(r.mandatory_failed), 255),
       Cut(r.reason, 1000), r.report_en, r.report_ja, Cut(r.checked_by, 160), r.next_check_in_s}));
  TAYORI_RETURN_IF_ERROR(db.Run("DELETE FROM domain_check_states WHERE sender_domain_id = ?", {r.sender_domain_id}));
  if (!r.check_states.empty()) {
    std::vector<std::string> checks;
    checks.reserve(r.check_states.size());
    for (const auto& [check, state] : r.check_states) checks.push_back(Cut(check, 32));
    TAYORI_RETURN_IF_ERROR(ForEachChunk(checks.size(), [&](size_t start, size_t rows) {
      std::vector<Param> params;
      params.reserve(rows * 3);
      for (size_t k = start; k < start + rows; ++k)
        params.insert(params.end(), {Param(r.sender_domain_id), Param(checks[k]), Param(r.check_states[k].second)});
      return db.Run("INSERT INTO domain_check_states (sender_domain_id, check_id, state) VALUES " +
                        RepeatGroup("(?, ?, ?)", rows) + " ON DUPLICATE KEY UPDATE state = state",
                    params);
    }));
  }
  return tx.Commit();
}

namespace {

constexpr const char* kRowColumns =
    "d.id, d.domain, COALESCE(r.state, 'unknown'), COALESCE(r.mandatory_failed, ''), COALESCE(r.reason, ''), "
    "COALESCE(DATE_FORMAT(r.checked_at, '%Y-%m-%d %H:%i:%s'), ''), COALESCE(r.checked_by, ''), "
    "COALESCE(DATE_FORMAT(r.next_check_at, '%Y-%m-%d %H:%i:%s'), ''), COALESCE(r.domain_state, 'unknown'), "
    "COALESCE(r.platform_state, 'unknown')";

DomainReadinessRow RowFrom(const Row& r) {
  DomainReadinessRow out;
  out.sender_domain_id = r.U64(0);
  out.domain = r.Str(1);
  out.state = r.Str(2);
  out.mandatory_failed = r.Str(3);
  out.reason = r.Str(4);
  out.checked_at = r.Str(5);
  out.checked_by = r.Str(6);
  out.next_check_at = r.Str(7);
  out.domain_state = r.Str(8);
  out.platform_state = r.Str(9);
  return out;
}

}  // namespace

Result<std::map<uint64_t, DomainReadinessRow>> AllDomainReadiness(Connection& db) {
  TAYORI_ASSIGN_OR_RETURN(Table rows, db.Select(std::string("SELECT ") + kRowColumns +
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
  TAYORI_ASSIGN_OR_RETURN(Table rows,
                          db.Select(std::string("SELECT ") + kRowColumns +
                                        ", COALESCE(r.report_en, ''), COALESCE(r.report_ja, '') FROM domain_readiness r "
                                        "JOIN sender_domains d ON d.id = r.sender_domain_id WHERE r.sender_domain_id = ?",
                                    {sender_domain_id}));
  if (rows.empty()) return std::optional<DomainReadinessRow>();
  DomainReadinessRow row = RowFrom(rows.rows[0]);
  row.report_en = rows.rows[0].Str(10);
  row.report_ja = rows.rows[0].Str(11);
  return std::optional<DomainReadinessRow>(std::move(row));
}

Result<std::optional<uint64_t>> ClaimDueDomainCheck(Connection& db, int claim_s) {
  // A few candidates, most overdue first: another engine may claim the first
  // between our SELECT and our UPDATE; the guarded UPDATE tells.
  TAYORI_ASSIGN_OR_RETURN(
      Table rows, db.Select("SELECT d.id FROM sender_domains d LEFT JOIN domain_readiness r ON "
                            "r.sender_domain_id = d.id WHERE r.sender_domain_id IS NULL OR r.next_check_at <= "
                            "UTC_TIMESTAMP(6) ORDER BY r.next_check_at IS NOT NULL, r.next_check_at, d.id LIMIT 8"));
  for (const auto& r : rows.rows) {
    uint64_t id = r.U64(0);
    // affected rows: 1 inserted (never checked), 2 moved ahead, 0 someone
    // else's claim (next_check_at already in the future).
    TAYORI_RETURN_IF_ERROR(db.Run(
        "INSERT INTO domain_readiness (sender_domain_id, next_check_at) VALUES (?, UTC_TIMESTAMP(6) + INTERVAL ? "
        "SECOND) ON DUPLICATE KEY UPDATE next_check_at = IF(next_check_at <= UTC_TIMESTAMP(6), "
        "VALUES(next_check_at), next_check_at)",
        {id, claim_s}));
    if (db.affected_rows() > 0) return std::optional<uint64_t>(id);
  }
  return std::optional<uint64_t>();
}

Result<std::vector<ReadinessCount>> CountDomainReadiness(Connection& db) {
  std::vector<ReadinessCount> out;
  TAYORI_ASSIGN_OR_RETURN(Table overall, db.Select("SELECT COALESCE(r.state, 'unknown'), COUNT(*) FROM sender_domains d "
                                                 "LEFT JOIN domain_readiness r ON r.sender_domain_id = d.id "
                                                 "GROUP BY 1 ORDER BY 1"));
  for (const auto& r : overall.rows) out.push_back({"", r.Str(0), r.U64(1)});
  TAYORI_ASSIGN_OR_RETURN(Table checks, db.Select("SELECT check_id, state, COUNT(*) FROM domain_check_states "
                                                "GROUP BY check_id, state ORDER BY check_id, state"));
  for (const auto& r : checks.rows) out.push_back({r.Str(0), r.Str(1), r.U64(2)});
  return out;
}

Result<int> PauseCampaignsOfDomain(Connection& db, uint64_t sender_domain_id, const std::string& reason,
                                   const std::string& actor) {
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  TAYORI_RETURN_IF_ERROR(db.Run(
      "INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) SELECT tenant_id, 'campaign', "
      "id, 'alert', ?, ? FROM campaigns WHERE sender_domain_id = ? AND state IN ('scheduled','sending')",
      {actor, reason, sender_domain_id}));
  TAYORI_RETURN_IF_ERROR(db.Run("UPDATE campaigns SET state = 'paused', state_reason = ? "
                                "WHERE sender_domain_id = ? AND state IN ('scheduled','sending')",
                                {Cut(reason, 500), sender_domain_id}));
  int paused = static_cast<int>(db.affected_rows());
  TAYORI_RETURN_IF_ERROR(tx.Commit());
  return paused;
}

}  // namespace tayori::store
