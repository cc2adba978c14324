#include "store/deliveries.h"

#include <algorithm>
#include <map>
#include <unordered_set>

#include "base/utf8_text.h"
#include "store/batch.h"
#include "store/campaigns.h"
#include "store/effects.h"
#include "store/state_columns.h"
#include "store/transaction.h"

namespace tayori::store {

Result<std::vector<LeasedDelivery>> LeaseDeliveries(Connection& db, uint64_t campaign_id, const std::string& owner,
                                                    int lease_s, int limit) {
  return LeaseDeliveries(db, std::vector<uint64_t>{campaign_id}, owner, lease_s, limit);
}

Result<std::vector<LeasedDelivery>> LeaseDeliveries(Connection& db, const std::vector<uint64_t>& campaign_ids,
                                                    const std::string& owner, int lease_s, int per_campaign) {
  if (campaign_ids.empty()) return std::vector<LeasedDelivery>{};
  // READ COMMITTED: the suppression check below reads without locks, so a
  // suppression import running in the web app (thousands of inserts per
  // transaction) and leasing never wait for each other; the rows leased
  // are locked by id either way.
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db, Transaction::Isolation::kReadCommitted));
  // One statement for every campaign, each its own share (a campaign never
  // crowds out the others): per campaign, two index ranges (queued,
  // deferred) of ix_deliveries_due; SKIP LOCKED lets several instances lease
  // from one campaign at once. One statement instead of one transaction per
  // campaign: with a hundred campaigns sending, per-campaign transactions
  // were most of the statements the engine sent.
  std::string select;
  for (uint64_t id : campaign_ids) {
    if (!select.empty()) select += " UNION ALL ";
    select += "(SELECT id FROM deliveries WHERE campaign_id = " + std::to_string(id) +
              " AND state IN ('queued','deferred') AND next_attempt_at <= UTC_TIMESTAMP(6) "
              "ORDER BY state, next_attempt_at LIMIT " + std::to_string(per_campaign) + " FOR UPDATE SKIP LOCKED)";
  }
  auto rows = db.Select(select);
  if (!rows.ok()) return rows.status();
  std::vector<uint64_t> ids;
  for (const auto& r : rows->rows) ids.push_back(r.U64(0));
  if (ids.empty()) {
    TAYORI_RETURN_IF_ERROR(tx.Commit());
    return std::vector<LeasedDelivery>{};
  }
  std::sort(ids.begin(), ids.end());
  std::vector<Param> params = {owner, lease_s};
  std::string in = InList(ids, params);
  Status st = db.Run("UPDATE deliveries SET state = 'leased', lease_owner = ?, "
                     "lease_expires_at = UTC_TIMESTAMP(6) + INTERVAL ? SECOND WHERE id IN (" + in + ")",
                     params);
  if (!st.ok()) return st;
  // A suppression written after expansion (by anyone, even while no engine
  // ran) wins over the lease: such deliveries end as 'suppressed' here. A
  // plain SELECT (a consistent read: no locks on suppressions) finds them.
  // STRAIGHT_JOIN: from the leased ids by primary key, one index lookup in
  // suppressions each; with millions of suppressions the optimizer once
  // chose to scan them instead (minutes per lease).
  auto suppressed = db.Select("SELECT STRAIGHT_JOIN d.id, d.campaign_id FROM deliveries d JOIN campaigns c ON c.id = d.campaign_id "
                             "JOIN suppressions x ON x.tenant_id = c.tenant_id AND x.email = d.email AND x.list_id IN (0, c.list_id) "
                             "WHERE d.id IN (" + IdList(ids) + ")");
  if (!suppressed.ok()) return suppressed.status();
  if (!suppressed->rows.empty()) {
    // Leased just now in this transaction: every one of them is 'leased'.
    std::map<uint64_t, std::vector<uint64_t>> gone;
    for (const auto& r : suppressed->rows) gone[r.U64(1)].push_back(r.U64(0));
    for (auto& [cid, list] : gone) {
      std::sort(list.begin(), list.end());
      list.erase(std::unique(list.begin(), list.end()), list.end());
      st = db.Execute("UPDATE deliveries SET state = 'suppressed', lease_owner = NULL, lease_expires_at = NULL "
                      "WHERE id IN (" + IdList(list) + ") AND state = 'leased'");
      if (st.ok() && db.affected_rows() > 0)
        st = db.Execute("UPDATE campaigns SET suppressed_count = suppressed_count + " +
                        std::to_string(db.affected_rows()) + " WHERE id = " + std::to_string(cid));
      if (!st.ok()) return st;
    }
  }
  // Read inside the transaction: once COMMIT succeeds the caller has every
  // row it now leases (a lease committed but never read would sit idle
  // until it expires).
  auto full = db.Select("SELECT d.id, d.campaign_id, d.subscriber_id, d.email, d.dest_domain, s.display_name, "
                       "COALESCE(s.fields, ''), d.attempts, UNIX_TIMESTAMP(d.created_at) "
                       "FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE d.id IN (" +
                       IdList(ids) + ") AND d.state = 'leased' ORDER BY d.id");
  if (!full.ok()) return full.status();
  TAYORI_RETURN_IF_ERROR(tx.Commit());
  std::vector<LeasedDelivery> out;
  out.reserve(full->size());
  for (const auto& r : full->rows) {
    LeasedDelivery d;
    d.id = r.U64(0);
    d.campaign_id = r.U64(1);
    d.subscriber_id = r.U64(2);
    d.email = r.Str(3);
    d.dest_domain = r.Str(4);
    d.display_name = r.Str(5);
    d.fields_json = r.Str(6);
    d.attempts = r.Int(7);
    d.created_unix = static_cast<int64_t>(r.Double(8));  // DATETIME(6): a DECIMAL with microseconds
    out.push_back(std::move(d));
  }
  return out;
}

Status RenewLeases(Connection& db, const std::string& owner, int lease_s, const std::vector<uint64_t>& ids) {
  constexpr size_t kChunk = 1000;
  for (size_t i = 0; i < ids.size(); i += kChunk) {
    std::vector<uint64_t> chunk(ids.begin() + static_cast<std::ptrdiff_t>(i),
                                ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), i + kChunk)));
    std::vector<Param> params = {lease_s};
    std::string in = InList(chunk, params);
    params.emplace_back(owner);
    TAYORI_RETURN_IF_ERROR(db.Run("UPDATE deliveries SET lease_expires_at = UTC_TIMESTAMP(6) + INTERVAL ? SECOND "
                                  "WHERE id IN (" + in + ") AND state = 'leased' AND lease_owner = ?",
                                  params));
  }
  return Status::Ok();
}

Result<int> ReleaseLeases(Connection& db, const std::string& owner, const std::vector<uint64_t>& ids) {
  std::vector<Param> params = {owner};
  std::string where = "state = 'leased' AND lease_owner = ?";
  if (!ids.empty()) where += " AND id IN (" + InList(ids, params) + ")";
  TAYORI_RETURN_IF_ERROR(
      db.Run("UPDATE deliveries SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL WHERE " + where,
             params));
  return static_cast<int>(db.affected_rows());
}

Result<TakeOver> TakeOverExpiredLeases(Connection& db, const std::string& me, const std::string& my_beat_at,
                                       int alive_window_s, int limit) {
  TakeOver out;
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  auto rows = db.Select(
      "SELECT d.id, d.campaign_id, c.state IN ('cancelled','failed') FROM deliveries d JOIN campaigns c ON "
      "c.id = d.campaign_id WHERE d.state = 'leased' AND d.lease_expires_at < UTC_TIMESTAMP(6) AND "
      "d.lease_owner <> ? AND NOT EXISTS (SELECT 1 FROM engine_instances i WHERE i.name = d.lease_owner AND "
      "i.state <> 'stopped' AND i.heartbeat_at >= TIMESTAMP(?) - INTERVAL ? SECOND) ORDER BY d.id LIMIT ? "
      "FOR UPDATE SKIP LOCKED",
      {me, my_beat_at, alive_window_s, limit});
  if (!rows.ok()) return rows.status();
  std::vector<uint64_t> requeue, cancel;
  std::map<uint64_t, int> cancelled_per_campaign;
  for (const auto& r : rows->rows) {
    if (r.Bool(2)) {
      cancel.push_back(r.U64(0));
      ++cancelled_per_campaign[r.U64(1)];
    } else {
      requeue.push_back(r.U64(0));
    }
  }
  if (!requeue.empty()) {
    Status st = db.Execute("UPDATE deliveries SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL "
                           "WHERE state = 'leased' AND id IN (" + IdList(requeue) + ")");
    if (!st.ok()) return st;
    out.requeued = static_cast<int>(db.affected_rows());
  }
  if (!cancel.empty()) {
    Status st = db.Execute("UPDATE deliveries SET state = 'cancelled', lease_owner = NULL, lease_expires_at = NULL "
                           "WHERE state = 'leased' AND id IN (" + IdList(cancel) + ")");
    if (!st.ok()) return st;
    out.cancelled = static_cast<int>(db.affected_rows());
    // Rows are locked FOR UPDATE above, so each moved: counters by campaign.
    for (const auto& [campaign, n] : cancelled_per_campaign) {
      st = db.Execute("UPDATE campaigns SET cancelled_count = cancelled_count + " + std::to_string(n) +
                      " WHERE id = " + std::to_string(campaign));
      if (!st.ok()) return st;
    }
  }
  TAYORI_RETURN_IF_ERROR(tx.Commit());
  return out;
}

Result<int> ReleaseLeasesExcept(Connection& db, const std::string& owner, const std::vector<uint64_t>& keep) {
  TAYORI_ASSIGN_OR_RETURN(Table rows,
                          db.Select("SELECT id FROM deliveries WHERE state = 'leased' AND lease_owner = ?", {owner}));
  std::vector<uint64_t> release;
  for (const auto& r : rows.rows) {
    uint64_t id = r.U64(0);
    if (!std::binary_search(keep.begin(), keep.end(), id)) release.push_back(id);
  }
  int n = 0;
  for (size_t i = 0; i < release.size(); i += 1000) {
    std::vector<uint64_t> chunk(release.begin() + static_cast<std::ptrdiff_t>(i),
                                release.begin() + static_cast<std::ptrdiff_t>(std::min(release.size(), i + 1000)));
    TAYORI_ASSIGN_OR_RETURN(int k, ReleaseLeases(db, owner, chunk));
    n += k;
  }
  return n;
}

Result<int> ReleaseForgottenLeases(Connection& db, const std::string& me, const std::vector<uint64_t>& held) {
  TAYORI_ASSIGN_OR_RETURN(Table rows, db.Select("SELECT id FROM deliveries WHERE state = 'leased' AND lease_owner = ? "
                                                "AND lease_expires_at < UTC_TIMESTAMP(6) LIMIT 5000",
                                                {me}));
  std::vector<uint64_t> forgotten;
  for (const auto& r : rows.rows) {
    uint64_t id = r.U64(0);
    if (!std::binary_search(held.begin(), held.end(), id)) forgotten.push_back(id);
  }
  if (forgotten.empty()) return 0;
  return ReleaseLeases(db, me, forgotten);
}

namespace {

// Text that came from a relay or a message on its way into a column of
// `chars` characters: valid UTF-8, cut on a character boundary (a relay may
// answer in Latin-1, or a long multibyte reply may be cut anywhere).
Param NullableColumn(const std::string& v, size_t chars) {
  return v.empty() ? Param(nullptr) : Param(ScrubUtf8(v, chars));
}

// Terminal states and the campaign counter each one moves ('deferred' and
// 'queued' are not final and move none).
constexpr std::pair<const char*, const char*> kCounters[] = {
    {"sent", "sent_count"},         {"failed", "failed_count"},   {"bounced", "bounced_count"},
    {"suppressed", "suppressed_count"}, {"expired", "expired_count"}, {"unknown", "unknown_count"},
    {"cancelled", "cancelled_count"}};

Status ApplySideEffects(Connection& db, const DeliveryOutcome& o) {
  if (o.suppress_address && o.tenant_id) {
    ShopSuppression s;
    s.tenant_id = o.tenant_id;
    s.email = o.email;
    s.reason = "bounce";
    s.source = "smtp " + o.enhanced;
    s.campaign_id = o.campaign_id;
    s.detail = "hard bounce from campaign " + std::to_string(o.campaign_id) + ": " + o.reply;
    s.actor = "engine";
    TAYORI_RETURN_IF_ERROR(SuppressForShop(db, s).status());
  }
  if (o.pause_sender_domain && o.sender_domain_id) {
    TAYORI_RETURN_IF_ERROR(PauseSenderDomain(db, o.sender_domain_id,
                                             "authentication failure reported by receiver: " +
                                                 std::to_string(o.code) + " " + o.enhanced + " " + o.reply,
                                             "engine")
                               .status());
  }
  return Status::Ok();
}

}  // namespace

// A flush goes to the database as one multi-row INSERT into a per-connection
// temporary table and one UPDATE joined to it, instead of one UPDATE per
// delivery: per-statement work was most of MariaDB's share of the CPU in the
// engine benchmark. The temporary table is MEMORY (never written to disk, not
// transactional): it is emptied before each use, so what a failed flush left
// there is harmless.
namespace {

constexpr const char* kBatchTable = "tayori_outcome_batch";

Status PrepareBatchTable(Connection& db) {
  TAYORI_RETURN_IF_ERROR(db.Execute(
      std::string("CREATE TEMPORARY TABLE IF NOT EXISTS ") + kBatchTable +
      " (id BIGINT UNSIGNED NOT NULL, campaign_id BIGINT UNSIGNED NOT NULL, state VARCHAR(16) NOT NULL, "
      "counts_attempt TINYINT NOT NULL, next_attempt_at DATETIME(6) NULL, has_reply TINYINT NOT NULL, "
      "last_code SMALLINT UNSIGNED NULL, last_enhanced VARCHAR(16) NULL, last_reply VARCHAR(512) NULL, "
      "message_id VARCHAR(255) NULL, relay VARCHAR(64) NULL, relay_queue_id VARCHAR(64) NULL, "
      "applied TINYINT NOT NULL DEFAULT 0, PRIMARY KEY USING BTREE (id)) "
      "ENGINE=MEMORY DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"));
  return db.Execute(std::string("DELETE FROM ") + kBatchTable);
}

// One outcome's values for the batch table's 12 columns.
void BatchRow(const DeliveryOutcome& o, std::vector<Param>& out) {
  bool has_reply = o.code || !o.reply.empty();
  bool reschedules = o.state == scheduler::DeliveryState::kDeferred || o.state == scheduler::DeliveryState::kQueued;
  out.emplace_back(o.delivery_id);
  out.emplace_back(o.campaign_id);
  out.emplace_back(scheduler::Name(o.state));
  out.emplace_back(o.counts_attempt ? 1 : 0);
  out.emplace_back(reschedules ? Param(o.next_attempt_unix) : Param(nullptr));
  out.emplace_back(has_reply ? 1 : 0);
  out.emplace_back(has_reply && o.code ? Param(o.code) : Param(nullptr));
  out.emplace_back(has_reply ? NullableColumn(o.enhanced, 16) : Param(nullptr));
  out.emplace_back(has_reply ? NullableColumn(o.reply, 512) : Param(nullptr));
  out.emplace_back(NullableColumn(o.message_id, 255));
  out.emplace_back(NullableColumn(o.relay, 64));
  out.emplace_back(NullableColumn(o.queue_id, 64));
}

// Fills the batch table, one row per delivery in id order (the join then
// locks deliveries in ascending id order, which keeps deadlocks between
// instances rare). A second outcome for one delivery would be a bug
// upstream; the first wins. Rows go in power-of-two chunks (batch.h), each
// row once.
Status FillBatch(Connection& db, const std::vector<DeliveryOutcome>& outcomes) {
  std::vector<const DeliveryOutcome*> sorted;
  sorted.reserve(outcomes.size());
  for (const auto& o : outcomes) sorted.push_back(&o);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const DeliveryOutcome* a, const DeliveryOutcome* b) { return a->delivery_id < b->delivery_id; });
  sorted.erase(std::unique(sorted.begin(), sorted.end(),
                           [](const DeliveryOutcome* a, const DeliveryOutcome* b) {
                             return a->delivery_id == b->delivery_id;
                           }),
               sorted.end());
  TAYORI_RETURN_IF_ERROR(PrepareBatchTable(db));
  std::vector<Param> params;
  return ForEachChunk(sorted.size(), [&](size_t start, size_t rows) {
    params.clear();
    params.reserve(rows * 12);
    for (size_t i = 0; i < rows; ++i) BatchRow(*sorted[start + i], params);
    return db.Run(std::string("INSERT INTO ") + kBatchTable +
                      " (id, campaign_id, state, counts_attempt, next_attempt_at, has_reply, "
                      "last_code, last_enhanced, last_reply, message_id, relay, relay_queue_id) "
                      "VALUES " +
                      RepeatGroup("(?, ?, ?, ?, FROM_UNIXTIME(?), ?, ?, ?, ?, ?, ?, ?)", rows),
                  params);
  });
}

// Applies the rows of the batch table whose delivery this owner still
// leases, marks them applied, and moves the campaigns' counters by exactly
// those rows.
Status ApplyBatch(Connection& db, const std::string& owner) {
  // A column keeps its value where the outcome has none; each assignment
  // reads only its own column's old value.
  TAYORI_RETURN_IF_ERROR(db.Run(
      std::string("UPDATE deliveries d JOIN ") + kBatchTable + " b ON b.id = d.id SET b.applied = 1, "
      "d.state = b.state, d.lease_owner = NULL, d.lease_expires_at = NULL, "
      "d.attempts = d.attempts + b.counts_attempt, "
      "d.next_attempt_at = COALESCE(b.next_attempt_at, d.next_attempt_at), "
      "d.last_code = IF(b.has_reply, b.last_code, d.last_code), "
      "d.last_enhanced = IF(b.has_reply, b.last_enhanced, d.last_enhanced), "
      "d.last_reply = IF(b.has_reply, b.last_reply, d.last_reply), "
      "d.message_id = COALESCE(b.message_id, d.message_id), d.relay = COALESCE(b.relay, d.relay), "
      "d.relay_queue_id = COALESCE(b.relay_queue_id, d.relay_queue_id) "
      "WHERE d.state = 'leased' AND d.lease_owner = ?",
      {owner}));
  std::string sums, sets;
  for (const auto& [state, counter] : kCounters) {
    sums += std::string(", SUM(state = '") + state + "') AS " + state;
    sets += std::string(sets.empty() ? "" : ", ") + "c." + counter + " = c." + counter + " + x." + state;
  }
  return db.Execute("UPDATE campaigns c JOIN (SELECT campaign_id" + sums + " FROM " + kBatchTable +
                    " WHERE applied = 1 GROUP BY campaign_id) x ON x.campaign_id = c.id SET " + sets);
}

}  // namespace

Result<WriteBackResult> WriteOutcomes(Connection& db, const std::string& owner,
                                      const std::vector<DeliveryOutcome>& outcomes) {
  WriteBackResult result;
  if (outcomes.empty()) return result;
  TAYORI_RETURN_IF_ERROR(FillBatch(db, outcomes));
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  Status st = ApplyBatch(db, owner);
  if (!st.ok()) return st;
  auto applied = db.Select(std::string("SELECT COUNT(*) FROM ") + kBatchTable + " WHERE applied = 1");
  if (!applied.ok()) return applied.status();
  result.written = applied->rows.at(0).Int(0);
  // A hard bounce suppresses the address, an authentication failure pauses
  // the domain: only for outcomes that applied (a lost lease is another
  // instance's business now). Rare, so asked for only when present.
  std::vector<uint64_t> with_effects;
  for (const auto& o : outcomes)
    if (o.suppress_address || o.pause_sender_domain) with_effects.push_back(o.delivery_id);
  if (!with_effects.empty()) {
    auto rows = db.Select(std::string("SELECT id FROM ") + kBatchTable + " WHERE applied = 1 AND id IN (" +
                          IdList(with_effects) + ")");
    if (!rows.ok()) return rows.status();
    std::unordered_set<uint64_t> ids;
    for (const auto& r : rows->rows) ids.insert(r.U64(0));
    for (const auto& o : outcomes) {
      if (!(o.suppress_address || o.pause_sender_domain) || !ids.contains(o.delivery_id)) continue;
      st = ApplySideEffects(db, o);
      if (!st.ok()) return st;
    }
  }
  TAYORI_RETURN_IF_ERROR(tx.Commit());
  return result;
}

}  // namespace tayori::store
