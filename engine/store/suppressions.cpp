#include "store/suppressions.h"

#include "store/transaction.h"
#include "store/values.h"

namespace tayori::store {
namespace {


std::vector<SuppressionRow> ToRows(const Rows& rows) {
  std::vector<SuppressionRow> out;
  for (const auto& r : rows.rows) {
    SuppressionRow s;
    s.id = U64(r[0]);
    s.tenant_id = U64(r[1]);
    s.email = Str(r[2]);
    s.list_id = U64(r[3]);
    s.reason = Str(r[4]);
    s.source = Str(r[5]);
    s.campaign_id = U64(r[6]);
    s.created_at = Str(r[7]);
    out.push_back(std::move(s));
  }
  return out;
}

constexpr const char* kColumns = "id, tenant_id, email, list_id, reason, source, campaign_id, created_at";

}  // namespace

Result<std::vector<SuppressionRow>> SuppressionsSince(Connection& db, uint64_t after_id, int limit) {
  TAYORI_ASSIGN_OR_RETURN(Rows rows, db.Query(std::string("SELECT ") + kColumns + " FROM suppressions WHERE id > " +
                                              std::to_string(after_id) + " ORDER BY id LIMIT " + std::to_string(limit)));
  return ToRows(rows);
}

Result<uint64_t> MaxSuppressionId(Connection& db) {
  TAYORI_ASSIGN_OR_RETURN(Rows rows, db.Query("SELECT COALESCE(MAX(id), 0) FROM suppressions"));
  return U64(rows.rows[0][0]);
}

Result<bool> AddSuppression(Connection& db, const SuppressionRow& s, const std::string& actor) {
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  Status st = db.Execute("INSERT IGNORE INTO suppressions (tenant_id, email, list_id, reason, source, campaign_id) "
                         "VALUES (" + std::to_string(s.tenant_id) + ", " + db.Quote(s.email) + ", " +
                         std::to_string(s.list_id) + ", " + db.Quote(s.reason) + ", " + db.Quote(s.source) + ", " +
                         (s.campaign_id ? std::to_string(s.campaign_id) : std::string("NULL")) + ")");
  bool added = st.ok() && db.affected_rows() > 0;
  if (st.ok() && added) {
    st = db.Execute("INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) VALUES (" +
                    std::to_string(s.tenant_id) + ", 'suppression', LAST_INSERT_ID(), 'suppressed', " + db.Quote(actor) +
                    ", " + db.Quote(s.reason + " via " + s.source + (s.list_id ? " for list " + std::to_string(s.list_id) : " for the whole shop") +
                                    (s.campaign_id ? " from campaign " + std::to_string(s.campaign_id) : "")) + ")");
  }
  if (!st.ok()) return st;
  TAYORI_RETURN_IF_ERROR(tx.Commit());
  return added;
}

Result<bool> RemoveSuppression(Connection& db, uint64_t tenant_id, const std::string& email, uint64_t list_id,
                               const std::string& actor) {
  TAYORI_RETURN_IF_ERROR(db.Execute("DELETE FROM suppressions WHERE tenant_id = " + std::to_string(tenant_id) +
                                    " AND email = " + db.Quote(email) + " AND list_id = " + std::to_string(list_id)));
  bool removed = db.affected_rows() > 0;
  if (removed)
    TAYORI_RETURN_IF_ERROR(db.Execute("INSERT INTO events (tenant_id, subject_type, kind, actor, detail) VALUES (" +
                                      std::to_string(tenant_id) + ", 'suppression', 'unsuppressed', " + db.Quote(actor) +
                                      ", " + db.Quote("removed suppression of an address") + ")"));
  return removed;
}

Result<std::vector<SuppressionRow>> ListSuppressions(Connection& db, uint64_t tenant_id, int limit) {
  TAYORI_ASSIGN_OR_RETURN(Rows rows, db.Query(std::string("SELECT ") + kColumns + " FROM suppressions WHERE tenant_id = " +
                                              std::to_string(tenant_id) + " ORDER BY id LIMIT " + std::to_string(limit)));
  return ToRows(rows);
}

Result<uint64_t> ImportSuppressions(Connection& db, uint64_t tenant_id, uint64_t list_id,
                                    const std::vector<std::string>& emails, const std::string& source) {
  if (emails.empty()) return uint64_t{0};
  std::string values, in;
  for (const auto& e : emails) {
    std::string q = db.Quote(e);
    if (!values.empty()) {
      values += ", ";
      in += ", ";
    }
    values += "(" + std::to_string(tenant_id) + ", " + q + ", " + std::to_string(list_id) + ", 'import', " +
              db.Quote(source) + ")";
    in += q;
  }
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  Status st = db.Execute("INSERT IGNORE INTO suppressions (tenant_id, email, list_id, reason, source) VALUES " + values);
  if (!st.ok()) return st;
  uint64_t added = db.affected_rows();
  if (added > 0) {
    // LAST_INSERT_ID() is the first id this statement generated; rows that
    // already existed are older, so "id >= first" picks exactly the new ones.
    uint64_t first = db.last_insert_id();
    std::string detail = "import via " + source +
                         (list_id ? " for list " + std::to_string(list_id) : std::string(" for the whole shop"));
    st = db.Execute("INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) "
                    "SELECT tenant_id, 'suppression', id, 'suppressed', 'cli', " + db.Quote(detail) +
                    " FROM suppressions WHERE tenant_id = " + std::to_string(tenant_id) +
                    " AND list_id = " + std::to_string(list_id) + " AND id >= " + std::to_string(first) +
                    " AND email IN (" + in + ")");
    if (!st.ok()) return st;
  }
  TAYORI_RETURN_IF_ERROR(tx.Commit());
  return added;
}

Result<UnsubscribeTarget> FindUnsubscribeTarget(Connection& db, uint64_t tenant_id, uint64_t subscriber_id,
                                                uint64_t list_id) {
  TAYORI_ASSIGN_OR_RETURN(
      Rows rows, db.Query("SELECT t.name, s.email, l.name FROM tenants t "
                          "LEFT JOIN subscribers s ON s.id = " + std::to_string(subscriber_id) + " AND s.tenant_id = t.id "
                          "LEFT JOIN lists l ON l.id = " + std::to_string(list_id) + " AND l.tenant_id = t.id "
                          "WHERE t.id = " + std::to_string(tenant_id)));
  UnsubscribeTarget out;
  if (rows.rows.empty()) return out;
  const auto& r = rows.rows[0];
  out.shop_found = true;
  out.shop_name = r[0].value_or("");
  out.email = r[1];
  out.list_name = r[2];
  return out;
}

}  // namespace tayori::store
