#include "store/admin.h"

#include <algorithm>

#include "base/utf8_text.h"
#include "store/batch.h"
#include "store/state_columns.h"
#include "store/transaction.h"

namespace tayori::store {
namespace {

// "" means the column is NULL.
Param OrNull(const std::string& v) { return v.empty() ? Param(nullptr) : Param(v); }

}  // namespace

Result<uint64_t> AddTenant(Connection& db, const std::string& slug, const std::string& name,
                           const std::string& sender_id, const std::string& fields_json) {
  TAYORI_ASSIGN_OR_RETURN(Table r, db.Select("SELECT id FROM tenants WHERE slug = ?", {slug}));
  if (!r.empty()) return InvalidInput("a shop with slug '" + slug + "' already exists");
  TAYORI_RETURN_IF_ERROR(db.Run("INSERT INTO tenants (slug, name, sender_id, fields) VALUES (?, ?, ?, ?)",
                                {slug, name, sender_id, OrNull(fields_json)}));
  return db.last_insert_id();
}

Result<uint64_t> AddList(Connection& db, uint64_t tenant_id, const std::string& slug, const std::string& name) {
  TAYORI_ASSIGN_OR_RETURN(Table r, db.Select("SELECT id FROM lists WHERE tenant_id = ? AND slug = ?", {tenant_id, slug}));
  if (!r.empty()) return InvalidInput("the shop already has a list '" + slug + "'");
  TAYORI_RETURN_IF_ERROR(
      db.Run("INSERT INTO lists (tenant_id, slug, name) VALUES (?, ?, ?)", {tenant_id, slug, name}));
  return db.last_insert_id();
}

Result<uint64_t> ListIdBySlug(Connection& db, uint64_t tenant_id, const std::string& slug) {
  TAYORI_ASSIGN_OR_RETURN(Table r, db.Select("SELECT id FROM lists WHERE tenant_id = ? AND slug = ?", {tenant_id, slug}));
  if (r.empty()) return NotFound("the shop has no list '" + slug + "'");
  return r.rows[0].U64(0);
}

Result<uint64_t> CreateCampaign(Connection& db, const NewCampaign& c) {
  TAYORI_RETURN_IF_ERROR(db.Run(
      "INSERT INTO campaigns (tenant_id, list_id, sender_domain_id, from_address, from_name, reply_to, "
      "subject_template, text_template, html_template, mail_type, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {c.tenant_id, c.list_id, c.sender_domain_id, c.from_address, c.from_name, OrNull(c.reply_to),
       c.subject_template, OrNull(c.text_template), OrNull(c.html_template), c.mail_type, OrNull(c.fields_json)}));
  uint64_t id = db.last_insert_id();
  TAYORI_RETURN_IF_ERROR(db.Run("INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) "
                                "VALUES (?, 'campaign', ?, 'created', 'cli', 'draft')",
                                {c.tenant_id, id}));
  return id;
}

Result<bool> ScheduleCampaign(Connection& db, uint64_t id, const std::string& at_utc, const std::string& actor) {
  // COALESCE: no time given is now, by the server's UTC clock.
  TAYORI_RETURN_IF_ERROR(db.Run("UPDATE campaigns SET state = 'scheduled', state_reason = NULL, "
                                "scheduled_at = COALESCE(?, UTC_TIMESTAMP(6)) "
                                "WHERE id = ? AND state IN ('draft','paused')",
                                {OrNull(at_utc), id}));
  bool moved = db.affected_rows() == 1;
  if (moved)
    TAYORI_RETURN_IF_ERROR(db.Run("INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) "
                                  "SELECT tenant_id, 'campaign', id, 'state_change', ?, "
                                  "CONCAT('-> scheduled at ', scheduled_at) FROM campaigns WHERE id = ?",
                                  {actor, id}));
  return moved;
}

Result<int> ImportSubscribers(Connection& db, uint64_t tenant_id, uint64_t list_id, const std::vector<ImportRow>& rows) {
  if (rows.empty()) return 0;
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  int added = 0;
  TAYORI_RETURN_IF_ERROR(ForEachChunk(rows.size(), [&](size_t start, size_t n) -> Status {
    std::vector<Param> values, members;
    values.reserve(n * 4);
    members.reserve(n + 2);
    members.insert(members.end(), {Param(list_id), Param(tenant_id)});
    for (size_t i = 0; i < n; ++i) {
      const ImportRow& r = rows[start + i];
      values.insert(values.end(), {Param(tenant_id), Param(r.email), Param(r.display_name), OrNull(r.fields_json)});
      members.emplace_back(r.email);
    }
    TAYORI_RETURN_IF_ERROR(db.Run("INSERT INTO subscribers (tenant_id, email, display_name, fields) VALUES " +
                                      RepeatGroup("(?, ?, ?, ?)", n) +
                                      " ON DUPLICATE KEY UPDATE display_name = VALUES(display_name), "
                                      "fields = VALUES(fields)",
                                  values));
    TAYORI_RETURN_IF_ERROR(db.Run("INSERT IGNORE INTO list_members (list_id, subscriber_id) SELECT ?, id "
                                  "FROM subscribers WHERE tenant_id = ? AND email IN (" + RepeatGroup("?", n) + ")",
                                  members));
    added += static_cast<int>(db.affected_rows());
    return Status::Ok();
  }));
  TAYORI_RETURN_IF_ERROR(tx.Commit());
  return added;
}

Result<CampaignSummary> GetCampaignSummary(Connection& db, uint64_t id) {
  TAYORI_ASSIGN_OR_RETURN(
      Table r, db.Select("SELECT c.id, t.slug, l.slug, d.domain, c.state, COALESCE(c.state_reason, ''), "
                         "COALESCE(c.scheduled_at, ''), COALESCE(c.started_at, ''), COALESCE(c.finished_at, ''), "
                         "c.total_count, c.sent_count, c.failed_count, c.bounced_count, c.suppressed_count, "
                         "c.expired_count, c.unknown_count, c.cancelled_count, c.expanded FROM campaigns c "
                         "JOIN tenants t ON t.id = c.tenant_id JOIN lists l ON l.id = c.list_id "
                         "JOIN sender_domains d ON d.id = c.sender_domain_id WHERE c.id = ?",
                         {id}));
  if (r.empty()) return NotFound("campaign " + std::to_string(id) + " does not exist");
  const Row& x = r.rows[0];
  CampaignSummary s;
  s.id = x.U64(0);
  s.tenant_slug = x.Str(1);
  s.list_slug = x.Str(2);
  s.domain = x.Str(3);
  TAYORI_ASSIGN_OR_RETURN(s.state, ReadCampaignState(x.OptStr(4), "campaigns.state"));
  s.state_reason = x.Str(5);
  s.scheduled_at = x.Str(6);
  s.started_at = x.Str(7);
  s.finished_at = x.Str(8);
  s.total = x.U64(9);
  s.sent = x.U64(10);
  s.failed = x.U64(11);
  s.bounced = x.U64(12);
  s.suppressed = x.U64(13);
  s.expired = x.U64(14);
  s.unknown = x.U64(15);
  s.cancelled = x.U64(16);
  s.expanded = x.Bool(17);
  TAYORI_ASSIGN_OR_RETURN(Table states,
                          db.Select("SELECT state, COUNT(*) FROM deliveries WHERE campaign_id = ? GROUP BY state", {id}));
  for (const auto& row : states.rows) s.by_state[row.Str(0)] = row.U64(1);
  return s;
}

Result<int> CancelCampaignDeliveries(Connection& db, uint64_t id) {
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  TAYORI_RETURN_IF_ERROR(
      db.Run("UPDATE deliveries SET state = 'cancelled' WHERE campaign_id = ? AND state IN ('queued','deferred')", {id}));
  int n = static_cast<int>(db.affected_rows());
  TAYORI_RETURN_IF_ERROR(db.Run("UPDATE campaigns SET cancelled_count = cancelled_count + ? WHERE id = ?", {n, id}));
  TAYORI_RETURN_IF_ERROR(tx.Commit());
  return n;
}

Status RecordEvent(Connection& db, uint64_t tenant_id, const std::string& subject_type, uint64_t subject_id,
                   const std::string& kind, const std::string& actor, const std::string& detail) {
  return db.Run("INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                {tenant_id, subject_type, subject_id, kind, ScrubUtf8(actor, 128), ScrubUtf8(detail, 4000)});
}

Result<std::unique_ptr<NamedLock>> NamedLock::Acquire(Connection& db, const std::string& name, int wait_s) {
  TAYORI_ASSIGN_OR_RETURN(Table got, db.Select("SELECT GET_LOCK(?, ?)", {name, wait_s}));
  // 1: acquired; 0: timed out; NULL: an error.
  if (got.empty() || got.rows[0].OptI64(0).value_or(0) != 1)
    return Permanent("another session holds the lock " + name);
  return std::unique_ptr<NamedLock>(new NamedLock(db, name));
}

NamedLock::~NamedLock() { (void)db_.Select("SELECT RELEASE_LOCK(?)", {name_}); }

}  // namespace tayori::store
