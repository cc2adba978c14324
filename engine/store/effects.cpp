#include "store/effects.h"

#include "base/utf8_text.h"

namespace tayori::store {

Result<bool> SuppressForShop(Connection& db, const ShopSuppression& s) {
  TAYORI_RETURN_IF_ERROR(db.Execute(
      "INSERT IGNORE INTO suppressions (tenant_id, email, list_id, reason, source, campaign_id) VALUES (" +
      std::to_string(s.tenant_id) + ", " + db.Quote(s.email) + ", 0, " + db.Quote(s.reason) + ", " +
      db.Quote(ScrubUtf8(s.source, 64)) + ", " + (s.campaign_id ? std::to_string(s.campaign_id) : "NULL") + ")"));
  if (db.affected_rows() == 0) return false;
  TAYORI_RETURN_IF_ERROR(db.Execute(
      "INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) VALUES (" +
      std::to_string(s.tenant_id) + ", 'suppression', LAST_INSERT_ID(), 'suppressed', " +
      db.Quote(ScrubUtf8(s.actor, 128)) + ", " + db.Quote(ScrubUtf8(s.detail, 300)) + ")"));
  return true;
}

Result<bool> PauseSenderDomain(Connection& db, uint64_t sender_domain_id, const std::string& reason_in,
                               const std::string& actor) {
  std::string did = std::to_string(sender_domain_id);
  std::string reason = ScrubUtf8(reason_in, 400);
  TAYORI_RETURN_IF_ERROR(db.Execute("UPDATE sender_domains SET state = 'paused', paused_at = UTC_TIMESTAMP(6), "
                                    "state_reason = " + db.Quote(reason) + " WHERE id = " + did +
                                    " AND state <> 'paused'"));
  if (db.affected_rows() == 0) return false;
  std::string who = db.Quote(ScrubUtf8(actor, 128));
  TAYORI_RETURN_IF_ERROR(db.Execute(
      "INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) SELECT tenant_id, "
      "'sender_domain', id, 'alert', " + who + ", " + db.Quote("sender domain paused: " + reason) +
      " FROM sender_domains WHERE id = " + did));
  TAYORI_RETURN_IF_ERROR(db.Execute(
      "INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) SELECT tenant_id, "
      "'campaign', id, 'state_change', " + who + ", " + db.Quote("-> paused: sender domain paused") +
      " FROM campaigns WHERE sender_domain_id = " + did + " AND state IN ('scheduled','sending')"));
  TAYORI_RETURN_IF_ERROR(db.Execute("UPDATE campaigns SET state = 'paused', state_reason = " +
                                    db.Quote(ScrubUtf8("sender domain paused: " + reason, 512)) +
                                    " WHERE sender_domain_id = " + did + " AND state IN ('scheduled','sending')"));
  return true;
}

}  // namespace tayori::store
