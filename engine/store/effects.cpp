#include "store/effects.h"

#include "base/utf8_text.h"

namespace tayori::store {

Result<bool> SuppressForShop(Connection& db, const ShopSuppression& s) {
  TAYORI_RETURN_IF_ERROR(db.Run(
      "INSERT IGNORE INTO suppressions (tenant_id, email, list_id, reason, source, campaign_id) "
      "VALUES (?, ?, 0, ?, ?, ?)",
      {s.tenant_id, s.email, s.reason, ScrubUtf8(s.source, 64),
       s.campaign_id ? Param(s.campaign_id) : Param(nullptr)}));
  if (db.affected_rows() == 0) return false;
  TAYORI_RETURN_IF_ERROR(db.Run(
      "INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) "
      "VALUES (?, 'suppression', LAST_INSERT_ID(), 'suppressed', ?, ?)",
      {s.tenant_id, ScrubUtf8(s.actor, 128), ScrubUtf8(s.detail, 300)}));
  return true;
}

Result<bool> PauseSenderDomain(Connection& db, uint64_t sender_domain_id, const std::string& reason_in,
                               const std::string& actor) {
  std::string reason = ScrubUtf8(reason_in, 400);
  TAYORI_RETURN_IF_ERROR(db.Run("UPDATE sender_domains SET state = 'paused', paused_at = UTC_TIMESTAMP(6), "
                                "state_reason = ? WHERE id = ? AND state <> 'paused'",
                                {reason, sender_domain_id}));
  if (db.affected_rows() == 0) return false;
  std::string who = ScrubUtf8(actor, 128);
  TAYORI_RETURN_IF_ERROR(db.Run(
      "INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) SELECT tenant_id, "
      "'sender_domain', id, 'alert', ?, ? FROM sender_domains WHERE id = ?",
      {who, "sender domain paused: " + reason, sender_domain_id}));
  TAYORI_RETURN_IF_ERROR(db.Run(
      "INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) SELECT tenant_id, "
      "'campaign', id, 'state_change', ?, '-> paused: sender domain paused' "
      "FROM campaigns WHERE sender_domain_id = ? AND state IN ('scheduled','sending')",
      {who, sender_domain_id}));
  TAYORI_RETURN_IF_ERROR(db.Run("UPDATE campaigns SET state = 'paused', state_reason = ? "
                                "WHERE sender_domain_id = ? AND state IN ('scheduled','sending')",
                                {ScrubUtf8("sender domain paused: " + reason, 512), sender_domain_id}));
  return true;
}

}  // namespace tayori::store
