#include "store/admin.h"

#include "base/utf8_text.h"

#include "store/state_columns.h"
#include "store/transaction.h"
#include "store/values.h"

namespace tayori::store {
namespace {


}  // namespace

Result<uint64_t> AddTenant(Connection& db, const std::string& slug, const std::string& name,
                           const std::string& sender_id, const std::string& fields_json) {
  TAYORI_ASSIGN_OR_RETURN(Rows r, db.Query("SELECT id FROM tenants WHERE slug = " + db.Quote(slug)));
  if (!r.rows.empty()) return InvalidInput("a shop with slug '" + slug + "' already exists");
  TAYORI_RETURN_IF_ERROR(db.Execute("INSERT INTO tenants (slug, name, sender_id, fields) VALUES (" + db.Quote(slug) + ", " +
                                    db.Quote(name) + ", " + db.Quote(sender_id) + ", " +
                                    (fields_json.empty() ? std::string("NULL") : db.Quote(fields_json)) + ")"));
  return db.last_insert_id();
}

Result<uint64_t> AddList(Connection& db, uint64_t tenant_id, const std::string& slug, const std::string& name) {
  TAYORI_ASSIGN_OR_RETURN(Rows r, db.Query("SELECT id FROM lists WHERE tenant_id = " + std::to_string(tenant_id) +
                                           " AND slug = " + db.Quote(slug)));
  if (!r.rows.empty()) return InvalidInput("the shop already has a list '" + slug + "'");
  TAYORI_RETURN_IF_ERROR(db.Execute("INSERT INTO lists (tenant_id, slug, name) VALUES (" + std::to_string(tenant_id) +
                                    ", " + db.Quote(slug) + ", " + db.Quote(name) + ")"));
  return db.last_insert_id();
}

Result<uint64_t> ListIdBySlug(Connection& db, uint64_t tenant_id, const std::string& slug) {
  TAYORI_ASSIGN_OR_RETURN(Rows r, db.Query("SELECT id FROM lists WHERE tenant_id = " + std::to_string(tenant_id) +
                                           " AND slug = " + db.Quote(slug)));
  if (r.rows.empty()) return NotFound("the shop has no list '" + slug + "'");
  return U64(r.rows[0][0]);
}

Result<uint64_t> CreateCampaign(Connection& db, const NewCampaign& c) {
  TAYORI_RETURN_IF_ERROR(db.Execute(
      "INSERT INTO campaigns (tenant_id, list_id, sender_domain_id, from_address, from_name, reply_to, "
      "subject_template, text_template, html_template, mail_type, fields) VALUES (" +
      std::to_string(c.tenant_id) + ", " + std::to_string(c.list_id) + ", " + std::to_string(c.sender_domain_id) + ", " +
      db.Quote(c.from_address) + ", " + db.Quote(c.from_name) + ", " +
      (c.reply_to.empty() ? std::string("NULL") : db.Quote(c.reply_to)) + ", " + db.Quote(c.subject_template) + ", " +
      (c.text_template.empty() ? std::string("NULL") : db.Quote(c.text_template)) + ", " +
      (c.html_template.empty() ? std::string("NULL") : db.Quote(c.html_template)) + ", " + db.Quote(c.mail_type) + ", " +
      (c.fields_json.empty() ? std::string("NULL") : db.Quote(c.fields_json)) + ")"));
  uint64_t id = db.last_insert_id();
  TAYORI_RETURN_IF_ERROR(db.Execute("INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) VALUES (" +
                                    std::to_string(c.tenant_id) + ", 'campaign', " + std::to_string(id) +
                                    ", 'created', 'cli', 'draft')"));
  return id;
}

Result<bool> ScheduleCampaign(Connection& db, uint64_t id, const std::string& at_utc, const std::string& actor) {
  std::string when = at_utc.empty() ? "UTC_TIMESTAMP(6)" : db.Quote(at_utc);
  TAYORI_RETURN_IF_ERROR(db.Execute("UPDATE campaigns SET state = 'scheduled', state_reason = NULL, scheduled_at = " +
                                    when + " WHERE id = " + std::to_string(id) + " AND state IN ('draft','paused')"));
  bool moved = db.affected_rows() == 1;
  if (moved)
    TAYORI_RETURN_IF_ERROR(db.Execute("INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) "
                                      "SELECT tenant_id, 'campaign', id, 'state_change', " + db.Quote(actor) +
                                      ", CONCAT('-> scheduled at ', scheduled_at) FROM campaigns WHERE id = " +
                                      std::to_string(id)));
  return moved;
}

Result<int> ImportSubscribers(Connection& db, uint64_t tenant_id, uint64_t list_id, const std::vector<ImportRow>& rows) {
  if (rows.empty()) return 0;
  std::string t = std::to_string(tenant_id);
  std::string values, emails;
  for (const auto& r : rows) {
    if (!values.empty()) {
      values += ',';
      emails += ',';
    }
    values += "(" + t + ", " + db.Quote(r.email) + ", " + db.Quote(r.display_name) + ", " +
              (r.fields_json.empty() ? std::string("NULL") : db.Quote(r.fields_json)) + ")";
    emails += db.Quote(r.email);
  }
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  Status st = db.Execute("INSERT INTO subscribers (tenant_id, email, display_name, fields) VALUES " + values +
                         " ON DUPLICATE KEY UPDATE display_name = VALUES(display_name), fields = VALUES(fields)");
  int added = 0;
  if (st.ok()) {
    st = db.Execute("INSERT IGNORE INTO list_members (list_id, subscriber_id) SELECT " + std::to_string(list_id) +
                    ", id FROM subscribers WHERE tenant_id = " + t + " AND email IN (" + emails + ")");
    added = static_cast<int>(db.affected_rows());
  }
  if (!st.ok()) return st;
  TAYORI_RETURN_IF_ERROR(tx.Commit());
  return added;
}

Result<CampaignSummary> GetCampaignSummary(Connection& db, uint64_t id) {
  std::string cid = std::to_string(id);
  TAYORI_ASSIGN_OR_RETURN(
      Rows r, db.Query("SELECT c.id, t.slug, l.slug, d.domain, c.state, COALESCE(c.state_reason, ''), "
                       "COALESCE(c.scheduled_at, ''), COALESCE(c.started_at, ''), COALESCE(c.finished_at, ''), "
                       "c.total_count, c.sent_count, c.failed_count, c.bounced_count, c.suppressed_count, "
                       "c.expired_count, c.unknown_count, c.cancelled_count, c.expanded FROM campaigns c "
                       "JOIN tenants t ON t.id = c.tenant_id JOIN lists l ON l.id = c.list_id "
                       "JOIN sender_domains d ON d.id = c.sender_domain_id WHERE c.id = " + cid));
  if (r.rows.empty()) return NotFound("campaign " + cid + " does not exist");
  const auto& x = r.rows[0];
  CampaignSummary s;
  s.id = U64(x[0]);
  s.tenant_slug = Str(x[1]);
  s.list_slug = Str(x[2]);
  s.domain = Str(x[3]);
  TAYORI_ASSIGN_OR_RETURN(s.state, ReadCampaignState(x[4], "campaigns.state"));
  s.state_reason = Str(x[5]);
  s.scheduled_at = Str(x[6]);
  s.started_at = Str(x[7]);
  s.finished_at = Str(x[8]);
  s.total = U64(x[9]);
  s.sent = U64(x[10]);
  s.failed = U64(x[11]);
  s.bounced = U64(x[12]);
  s.suppressed = U64(x[13]);
  s.expired = U64(x[14]);
  s.unknown = U64(x[15]);
  s.cancelled = U64(x[16]);
  s.expanded = Str(x[17]) == "1";
  TAYORI_ASSIGN_OR_RETURN(Rows states, db.Query("SELECT state, COUNT(*) FROM deliveries WHERE campaign_id = " + cid +
                                                " GROUP BY state"));
  for (const auto& row : states.rows) s.by_state[Str(row[0])] = U64(row[1]);
  return s;
}

Result<int> CancelCampaignDeliveries(Connection& db, uint64_t id) {
  std::string cid = std::to_string(id);
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  Status st = db.Execute("UPDATE deliveries SET state = 'cancelled' WHERE campaign_id = " + cid +
                         " AND state IN ('queued','deferred')");
  int n = static_cast<int>(db.affected_rows());
  if (st.ok())
    st = db.Execute("UPDATE campaigns SET cancelled_count = cancelled_count + " + std::to_string(n) + " WHERE id = " + cid);
  if (!st.ok()) return st;
  TAYORI_RETURN_IF_ERROR(tx.Commit());
  return n;
}

Status RecordEvent(Connection& db, uint64_t tenant_id, const std::string& subject_type, uint64_t subject_id,
                   const std::string& kind, const std::string& actor, const std::string& detail) {
  return db.Execute("INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) VALUES (" +
                    std::to_string(tenant_id) + ", " + db.Quote(subject_type) + ", " + std::to_string(subject_id) +
                    ", " + db.Quote(kind) + ", " + db.Quote(ScrubUtf8(actor, 128)) + ", " +
                    db.Quote(ScrubUtf8(detail, 4000)) + ")");
}

Result<std::unique_ptr<NamedLock>> NamedLock::Acquire(Connection& db, const std::string& name, int wait_s) {
  std::string quoted = db.Quote(name);
  TAYORI_ASSIGN_OR_RETURN(Rows got, db.Query("SELECT GET_LOCK(" + quoted + ", " + std::to_string(wait_s) + ")"));
  if (got.rows.empty() || got.rows[0][0].value_or("0") != "1")
    return Permanent("another session holds the lock " + name);
  return std::unique_ptr<NamedLock>(new NamedLock(db, std::move(quoted)));
}

NamedLock::~NamedLock() { (void)db_.Query("SELECT RELEASE_LOCK(" + quoted_ + ")"); }

}  // namespace tayori::store
