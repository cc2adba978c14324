#include "store/suppressions.h"

#include <algorithm>

#include "store/batch.h"
#include "store/transaction.h"

namespace tayori::store {
namespace {

std::vector<SuppressionRow> ToRows(const Table& rows) {
  std::vector<SuppressionRow> out;
  for (const auto& r : rows.rows) {
    SuppressionRow s;
    s.id = r.U64(0);
    s.tenant_id = r.U64(1);
    s.email = r.Str(2);
    s.list_id = r.U64(3);
    s.reason = r.Str(4);
    s.source = r.Str(5);
    s.campaign_id = r.OptU64(6).value_or(0);
    s.created_at = r.Str(7);
    out.push_back(std::move(s));
  }
  return out;
}

constexpr const char* kColumns = "id, tenant_id, email, list_id, reason, source, campaign_id, created_at";

}  // namespace

Result<std::vector<SuppressionRow>> SuppressionsSince(Connection& db, uint64_t after_id, int limit) {
  TAYORI_ASSIGN_OR_RETURN(Table rows, db.Select(std::string("SELECT ") + kColumns +
                                                " FROM suppressions WHERE id > ? ORDER BY id LIMIT ?",
                                                {after_id, limit}));
  return ToRows(rows);
}

Result<uint64_t> MaxSuppressionId(Connection& db) {
  TAYORI_ASSIGN_OR_RETURN(Table rows, db.Select("SELECT COALESCE(MAX(id), 0) FROM suppressions"));
  return rows.rows.at(0).U64(0);
}

Result<bool> AddSuppression(Connection& db, const SuppressionRow& s, const std::string& actor) {
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  TAYORI_RETURN_IF_ERROR(db.Run("INSERT IGNORE INTO suppressions (tenant_id, email, list_id, reason, source, "
                                "campaign_id) VALUES (?, ?, ?, ?, ?, ?)",
                                {s.tenant_id, s.email, s.list_id, s.reason, s.source,
                                 s.campaign_id ? Param(s.campaign_id) : Param(nullptr)}));
  bool added = db.affected_rows() > 0;
  if (added) {
    TAYORI_RETURN_IF_ERROR(db.Run(
        "INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) "
        "VALUES (?, 'suppression', LAST_INSERT_ID(), 'suppressed', ?, ?)",
        {s.tenant_id, actor,
         s.reason + " via " + s.source +
             (s.list_id ? " for list " + std::to_string(s.list_id) : " for the whole shop") +
             (s.campaign_id ? " from campaign " + std::to_string(s.campaign_id) : "")}));
  }
  TAYORI_RETURN_IF_ERROR(tx.Commit());
  return added;
}

Result<bool> RemoveSuppression(Connection& db, uint64_t tenant_id, const std::string& email, uint64_t list_id,
                               const std::string& actor) {
  TAYORI_RETURN_IF_ERROR(db.Run("DELETE FROM suppressions WHERE tenant_id = ? AND email = ? AND list_id = ?",
                                {tenant_id, email, list_id}));
  bool removed = db.affected_rows() > 0;
  if (removed)
    TAYORI_RETURN_IF_ERROR(db.Run("INSERT INTO events (tenant_id, subject_type, kind, actor, detail) "
                                  "VALUES (?, 'suppression', 'unsuppressed', ?, 'removed suppression of an address')",
                                  {tenant_id, actor}));
  return removed;
}

Result<std::vector<SuppressionRow>> ListSuppressions(Connection& db, uint64_t tenant_id, int limit) {
  TAYORI_ASSIGN_OR_RETURN(Table rows, db.Select(std::string("SELECT ") + kColumns +
                                                " FROM suppressions WHERE tenant_id = ? ORDER BY id LIMIT ?",
                                                {tenant_id, limit}));
  return ToRows(rows);
}

namespace {

// One chunk of an import, inside the caller's transaction; the new rows.
Result<uint64_t> ImportChunk(Connection& db, uint64_t tenant_id, uint64_t list_id, const std::string* emails,
                             size_t n, const std::string& source, const std::string& detail) {
  std::vector<Param> values, in;
  values.reserve(n * 4);
  in.reserve(n + 3);
  in.insert(in.end(), {Param(detail), Param(tenant_id), Param(list_id), Param(uint64_t{0})});
  for (size_t i = 0; i < n; ++i) {
    const std::string& e = emails[i];
    values.insert(values.end(), {Param(tenant_id), Param(e), Param(list_id), Param(source)});
    in.emplace_back(e);
  }
  TAYORI_RETURN_IF_ERROR(db.Run("INSERT IGNORE INTO suppressions (tenant_id, email, list_id, reason, source) VALUES " +
                                    RepeatGroup("(?, ?, ?, 'import', ?)", n),
                                values));
  uint64_t added = db.affected_rows();
  if (added == 0) return added;
  // LAST_INSERT_ID() is the first id this statement generated; rows that
  // already existed are older, so "id >= first" picks exactly the new ones.
  in[3] = Param(db.last_insert_id());
  TAYORI_RETURN_IF_ERROR(db.Run("INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) "
                                "SELECT tenant_id, 'suppression', id, 'suppressed', 'cli', ? FROM suppressions "
                                "WHERE tenant_id = ? AND list_id = ? AND id >= ? AND email IN (" +
                                    RepeatGroup("?", n) + ")",
                                in));
  return added;
}

}  // namespace

Result<uint64_t> ImportSuppressions(Connection& db, uint64_t tenant_id, uint64_t list_id,
                                    const std::vector<std::string>& emails, const std::string& source) {
  if (emails.empty()) return uint64_t{0};
  std::string detail = "import via " + source +
                       (list_id ? " for list " + std::to_string(list_id) : std::string(" for the whole shop"));
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  uint64_t added = 0;
  TAYORI_RETURN_IF_ERROR(ForEachChunk(emails.size(), [&](size_t start, size_t n) -> Status {
    TAYORI_ASSIGN_OR_RETURN(uint64_t chunk, ImportChunk(db, tenant_id, list_id, &emails[start], n, source, detail));
    added += chunk;
    return Status::Ok();
  }));
  TAYORI_RETURN_IF_ERROR(tx.Commit());
  return added;
}

Result<UnsubscribeTarget> FindUnsubscribeTarget(Connection& db, uint64_t tenant_id, uint64_t subscriber_id,
                                                uint64_t list_id) {
  TAYORI_ASSIGN_OR_RETURN(
      Table rows, db.Select("SELECT t.name, s.email, l.name FROM tenants t "
                            "LEFT JOIN subscribers s ON s.id = ? AND s.tenant_id = t.id "
                            "LEFT JOIN lists l ON l.id = ? AND l.tenant_id = t.id WHERE t.id = ?",
                            {subscriber_id, list_id, tenant_id}));
  UnsubscribeTarget out;
  if (rows.rows.empty()) return out;
  const auto& r = rows.rows[0];
  out.shop_found = true;
  out.shop_name = r.OptStr(0).value_or("");
  out.email = r.OptStr(1);
  out.list_name = r.OptStr(2);
  return out;
}

}  // namespace tayori::store
