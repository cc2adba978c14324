#include "store/campaigns.h"

#include <algorithm>
#include <set>

#include "store/batch.h"
#include "store/state_columns.h"
#include "store/transaction.h"

namespace tayori::store {

std::string IdList(const std::vector<uint64_t>& ids) {
  std::string out;
  for (uint64_t id : ids) {
    if (!out.empty()) out += ',';
    out += std::to_string(id);
  }
  return out.empty() ? "NULL" : out;
}

Result<std::string> OwnershipProblem(Connection& db, uint64_t campaign_id) {
  TAYORI_ASSIGN_OR_RETURN(Table rows, db.Select("SELECT c.tenant_id, c.list_id, l.tenant_id, c.sender_domain_id, "
                                                "d.tenant_id FROM campaigns c LEFT JOIN lists l ON l.id = c.list_id "
                                                "LEFT JOIN sender_domains d ON d.id = c.sender_domain_id WHERE c.id = ?",
                                                {campaign_id}));
  if (rows.empty()) return NotFound("campaign " + std::to_string(campaign_id) + " does not exist");
  const Row& r = rows.rows[0];
  std::string shop = std::to_string(r.U64(0));
  auto check = [&](const char* what, uint64_t id, std::optional<uint64_t> owner) -> std::string {
    if (!owner) return std::string(what) + " " + std::to_string(id) + " does not exist";
    if (std::to_string(*owner) != shop)
      return std::string(what) + " " + std::to_string(id) + " belongs to shop " + std::to_string(*owner) +
             ", not to the campaign's shop " + shop;
    return "";
  };
  std::string problem = check("list", r.U64(1), r.OptU64(2));
  if (problem.empty()) problem = check("sender domain", r.U64(3), r.OptU64(4));
  return problem;
}

Result<std::vector<uint64_t>> ClaimDueCampaigns(Connection& db, const std::string& instance, int lease_s, int limit) {
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  TAYORI_ASSIGN_OR_RETURN(Table rows,
                          db.Select("SELECT id FROM campaigns WHERE state = 'scheduled' AND scheduled_at <= "
                                    "UTC_TIMESTAMP(6) ORDER BY scheduled_at LIMIT ? FOR UPDATE SKIP LOCKED",
                                    {limit}));
  std::vector<uint64_t> ids;
  for (const auto& r : rows.rows) {
    uint64_t id = r.U64(0);
    TAYORI_ASSIGN_OR_RETURN(std::string problem, OwnershipProblem(db, id));
    if (problem.empty()) {
      ids.push_back(id);
      continue;
    }
    // Never send it: pause with the reason, so the operator sees it.
    std::string reason = "refused by the engine: " + problem;
    TAYORI_RETURN_IF_ERROR(db.Run("UPDATE campaigns SET state = 'paused', state_reason = ? WHERE id = ?", {reason, id}));
    TAYORI_RETURN_IF_ERROR(db.Run(
        "INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) SELECT tenant_id, 'campaign', "
        "id, 'alert', ?, ? FROM campaigns WHERE id = ?",
        {instance, "scheduled -> paused: " + reason, id}));
  }
  if (ids.empty()) {
    TAYORI_RETURN_IF_ERROR(tx.Commit());
    return ids;
  }
  std::vector<Param> params = {instance, lease_s};
  std::string in = InList(ids, params);
  TAYORI_RETURN_IF_ERROR(db.Run("UPDATE campaigns SET state = 'sending', state_reason = NULL, claimed_by = ?, "
                                "claimed_until = UTC_TIMESTAMP(6) + INTERVAL ? SECOND, "
                                "started_at = COALESCE(started_at, UTC_TIMESTAMP(6)) WHERE id IN (" + in + ")",
                                params));
  params = {instance};
  in = InList(ids, params);
  TAYORI_RETURN_IF_ERROR(db.Run("INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) "
                                "SELECT tenant_id, 'campaign', id, 'state_change', ?, 'scheduled -> sending' "
                                "FROM campaigns WHERE id IN (" + in + ") ORDER BY id",
                                params));
  TAYORI_RETURN_IF_ERROR(tx.Commit());
  return ids;
}

Result<std::vector<uint64_t>> ClaimUnexpandedCampaigns(Connection& db, const std::string& instance, int lease_s,
                                                       int limit) {
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  TAYORI_ASSIGN_OR_RETURN(
      Table rows, db.Select("SELECT id FROM campaigns WHERE state = 'sending' AND expanded = 0 AND "
                            "(claimed_by IS NULL OR claimed_by = ? OR claimed_until < UTC_TIMESTAMP(6)) "
                            "ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED",
                            {instance, limit}));
  std::vector<uint64_t> ids;
  for (const auto& r : rows.rows) ids.push_back(r.U64(0));
  if (ids.empty()) {
    TAYORI_RETURN_IF_ERROR(tx.Commit());
    return ids;
  }
  std::vector<Param> params = {instance, lease_s};
  std::string in = InList(ids, params);
  TAYORI_RETURN_IF_ERROR(db.Run("UPDATE campaigns SET claimed_by = ?, claimed_until = UTC_TIMESTAMP(6) + INTERVAL ? "
                                "SECOND WHERE id IN (" + in + ")",
                                params));
  TAYORI_RETURN_IF_ERROR(tx.Commit());
  return ids;
}

Result<CampaignRow> LoadCampaign(Connection& db, uint64_t id) {
  TAYORI_ASSIGN_OR_RETURN(
      Table rows,
      db.Select("SELECT c.id, c.tenant_id, c.list_id, c.sender_domain_id, c.state, t.slug, t.name, t.sender_id, "
                "l.slug, l.name, d.domain, d.state, COALESCE(d.state_reason, ''), c.from_address, c.from_name, "
                "COALESCE(c.reply_to, ''), c.subject_template, COALESCE(c.text_template, ''), "
                "COALESCE(c.html_template, ''), c.mail_type, c.expanded, COALESCE(t.fields, ''), COALESCE(c.fields, '') "
                "FROM campaigns c JOIN tenants t ON t.id = c.tenant_id "
                "JOIN lists l ON l.id = c.list_id AND l.tenant_id = c.tenant_id "
                "JOIN sender_domains d ON d.id = c.sender_domain_id AND d.tenant_id = c.tenant_id WHERE c.id = ?",
                {id}));
  if (rows.empty()) {
    TAYORI_ASSIGN_OR_RETURN(std::string problem, OwnershipProblem(db, id));
    if (!problem.empty()) return Permanent("campaign " + std::to_string(id) + " refused: " + problem);
    return NotFound("campaign " + std::to_string(id) + " does not exist");
  }
  const Row& r = rows.rows[0];
  CampaignRow c;
  c.id = r.U64(0);
  c.tenant_id = r.U64(1);
  c.list_id = r.U64(2);
  c.sender_domain_id = r.U64(3);
  TAYORI_ASSIGN_OR_RETURN(c.state, ReadCampaignState(r.OptStr(4), "campaigns.state"));
  c.tenant_slug = r.Str(5);
  c.tenant_name = r.Str(6);
  c.sender_id = r.Str(7);
  c.list_slug = r.Str(8);
  c.list_name = r.Str(9);
  c.domain = r.Str(10);
  TAYORI_ASSIGN_OR_RETURN(c.domain_state, ReadDomainState(r.OptStr(11), "sender_domains.state"));
  c.domain_state_reason = r.Str(12);
  c.from_address = r.Str(13);
  c.from_name = r.OptStr(14).value_or("");
  c.reply_to = r.Str(15);
  c.subject_template = r.Str(16);
  c.text_template = r.Str(17);
  c.html_template = r.Str(18);
  c.mail_type = r.Str(19);
  c.expanded = r.Bool(20);
  c.shop_fields_json = r.Str(21);
  c.campaign_fields_json = r.Str(22);
  return c;
}

Result<ExpandResult> ExpandChunk(Connection& db, uint64_t campaign_id, const std::string& instance, int lease_s,
                                 int chunk) {
  // READ COMMITTED: INSERT … SELECT then reads list_members, subscribers and
  // suppressions as a consistent read, without the shared next-key locks
  // REPEATABLE READ takes, so expansion and the web app's imports of
  // subscribers and suppressions never block each other.
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db, Transaction::Isolation::kReadCommitted));
  TAYORI_ASSIGN_OR_RETURN(Table c, db.Select("SELECT list_id, tenant_id, expand_cursor, claimed_by, expanded, state "
                                             "FROM campaigns WHERE id = ? FOR UPDATE",
                                             {campaign_id}));
  if (c.empty()) return NotFound("campaign " + std::to_string(campaign_id) + " does not exist");
  const Row& row = c.rows[0];
  ExpandResult out;
  if (row.Bool(4)) {
    out.done = true;
    TAYORI_RETURN_IF_ERROR(tx.Commit());
    return out;
  }
  TAYORI_ASSIGN_OR_RETURN(scheduler::CampaignState state, ReadCampaignState(row.OptStr(5), "campaigns.state"));
  if (state != scheduler::CampaignState::kSending) {
    out.stopped = true;
    out.stop_reason = "campaign is " + std::string(scheduler::Name(state));
    TAYORI_RETURN_IF_ERROR(tx.Commit());
    return out;
  }
  std::optional<std::string> claimed_by = row.OptStr(3);
  if (claimed_by.value_or("") != instance) {
    out.stopped = true;
    out.stop_reason = "expansion claimed by " + claimed_by.value_or("nobody");
    TAYORI_RETURN_IF_ERROR(tx.Commit());
    return out;
  }
  TAYORI_ASSIGN_OR_RETURN(std::string problem, OwnershipProblem(db, campaign_id));
  if (!problem.empty()) {
    std::string reason = "refused by the engine: " + problem;
    TAYORI_RETURN_IF_ERROR(db.Run("UPDATE campaigns SET state = 'paused', state_reason = ?, claimed_by = NULL, "
                                  "claimed_until = NULL WHERE id = ?",
                                  {reason, campaign_id}));
    TAYORI_RETURN_IF_ERROR(db.Run(
        "INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) SELECT tenant_id, 'campaign', "
        "id, 'alert', ?, ? FROM campaigns WHERE id = ?",
        {instance, "sending -> paused: " + reason, campaign_id}));
    out.stopped = true;
    out.stop_reason = reason;
    TAYORI_RETURN_IF_ERROR(tx.Commit());
    return out;
  }
  uint64_t list_id = row.U64(0), tenant_id = row.U64(1), cursor = row.U64(2);
  // The upper bound of this chunk, so the cursor moves exactly over it.
  TAYORI_ASSIGN_OR_RETURN(Table last, db.Select("SELECT MAX(subscriber_id), COUNT(*) FROM (SELECT subscriber_id FROM "
                                                "list_members WHERE list_id = ? AND subscriber_id > ? "
                                                "ORDER BY subscriber_id LIMIT ?) t",
                                                {list_id, cursor, chunk}));
  if (last.rows.at(0).IsNull(0)) {
    TAYORI_RETURN_IF_ERROR(db.Run("UPDATE campaigns SET expanded = 1, claimed_by = NULL, claimed_until = NULL "
                                  "WHERE id = ?",
                                  {campaign_id}));
    out.done = true;
    TAYORI_RETURN_IF_ERROR(tx.Commit());
    return out;
  }
  uint64_t upto = last.rows[0].U64(0);
  // Unsubscribed members are skipped; suppressed ones (for the shop, list_id 0,
  // or this list) become terminal 'suppressed' deliveries so they are counted.
  // In list order, so deliveries go out in it: with values bound instead of
  // written into the text the optimizer may pick another join order.
  TAYORI_RETURN_IF_ERROR(db.Run(
      "INSERT IGNORE INTO deliveries (campaign_id, subscriber_id, email, dest_domain, state, next_attempt_at) "
      "SELECT ?, s.id, s.email, LOWER(SUBSTRING_INDEX(s.email, '@', -1)), "
      "IF(EXISTS (SELECT 1 FROM suppressions x WHERE x.tenant_id = ? AND x.email = s.email AND x.list_id IN (0, ?)), "
      "'suppressed', 'queued'), UTC_TIMESTAMP(6) "
      "FROM list_members m JOIN subscribers s ON s.id = m.subscriber_id AND s.tenant_id = ? "
      "WHERE m.list_id = ? AND m.state = 'subscribed' AND m.subscriber_id > ? AND m.subscriber_id <= ? "
      "ORDER BY m.subscriber_id",
      {campaign_id, tenant_id, list_id, tenant_id, list_id, cursor, upto}));
  out.inserted = static_cast<int>(db.affected_rows());
  TAYORI_ASSIGN_OR_RETURN(Table sup, db.Select("SELECT COUNT(*) FROM deliveries WHERE campaign_id = ? AND "
                                               "state = 'suppressed' AND subscriber_id > ? AND subscriber_id <= ?",
                                               {campaign_id, cursor, upto}));
  out.suppressed = sup.rows.at(0).Int(0);
  // A chunk shorter than asked was the list's end: expanded now, without
  // another transaction to find nothing (one per campaign, thousands when
  // many small campaigns send). A member added later is not included
  // either way.
  out.done = last.rows[0].I64(1) < chunk;
  if (out.done)
    TAYORI_RETURN_IF_ERROR(db.Run("UPDATE campaigns SET expand_cursor = ?, total_count = total_count + ?, "
                                  "suppressed_count = suppressed_count + ?, expanded = 1, claimed_by = NULL, "
                                  "claimed_until = NULL WHERE id = ?",
                                  {upto, out.inserted, out.suppressed, campaign_id}));
  else
    TAYORI_RETURN_IF_ERROR(db.Run("UPDATE campaigns SET expand_cursor = ?, total_count = total_count + ?, "
                                  "suppressed_count = suppressed_count + ?, "
                                  "claimed_until = UTC_TIMESTAMP(6) + INTERVAL ? SECOND WHERE id = ?",
                                  {upto, out.inserted, out.suppressed, lease_s, campaign_id}));
  TAYORI_RETURN_IF_ERROR(tx.Commit());
  return out;
}

Result<std::map<uint64_t, std::string>> SigningKeyVersions(Connection& db, const std::vector<uint64_t>& domain_ids) {
  std::map<uint64_t, std::string> out;
  if (domain_ids.empty()) return out;
  TAYORI_ASSIGN_OR_RETURN(
      Table rows, db.Select("SELECT d.id, CONCAT(d.state, '|', COALESCE(GROUP_CONCAT(k.id ORDER BY k.id), '')) FROM "
                            "sender_domains d LEFT JOIN domain_keys k ON k.sender_domain_id = d.id AND "
                            "k.state = 'active' WHERE d.id IN (" + IdList(domain_ids) + ") GROUP BY d.id, d.state"));
  for (const auto& r : rows.rows) out[r.U64(0)] = r.Str(1);
  return out;
}

Result<SendingSet> SendingCampaigns(Connection& db) {
  SendingSet out;
  TAYORI_ASSIGN_OR_RETURN(Table rows, db.Select("SELECT id FROM campaigns WHERE state = 'sending'"));
  for (const auto& r : rows.rows) out.sending.push_back(r.U64(0));
  TAYORI_ASSIGN_OR_RETURN(Table due, db.Select("SELECT EXISTS (SELECT 1 FROM campaigns WHERE state = 'scheduled' "
                                               "AND scheduled_at <= UTC_TIMESTAMP(6))"));
  out.any_due = due.rows.at(0).Bool(0);
  return out;
}

Result<std::vector<CampaignStateRow>> CampaignStates(Connection& db, const std::vector<uint64_t>& ids) {
  std::vector<CampaignStateRow> out;
  if (ids.empty()) return out;
  TAYORI_ASSIGN_OR_RETURN(Table rows, db.Select("SELECT id, state, COALESCE(state_reason, '') FROM campaigns "
                                                "WHERE id IN (" + IdList(ids) + ")"));
  for (const auto& r : rows.rows) {
    TAYORI_ASSIGN_OR_RETURN(scheduler::CampaignState state, ReadCampaignState(r.OptStr(1), "campaigns.state"));
    out.push_back({r.U64(0), state, r.Str(2)});
  }
  return out;
}
Result<std::vector<uint64_t>> FinishCompletedCampaigns(Connection& db, const std::vector<uint64_t>& ids) {
  std::vector<uint64_t> finished;
  if (ids.empty()) return finished;
  // Three statements for any number of campaigns: with thousands of small
  // campaigns sending, one UPDATE each per housekeeping poll was most of
  // the database's work.
  //
  // The campaign rows are locked first (an expansion holds them while it
  // inserts deliveries and sets `expanded`); only then are the deliveries
  // read, by a statement of its own under READ COMMITTED, so it sees what
  // that expansion committed. One statement with NOT EXISTS would read the
  // deliveries from a snapshot older than the lock wait and could end a
  // campaign whose deliveries had just been inserted.
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db, Transaction::Isolation::kReadCommitted));
  TAYORI_ASSIGN_OR_RETURN(Table expanded, db.Select("SELECT id FROM campaigns WHERE id IN (" + IdList(ids) +
                                                    ") AND state = 'sending' AND expanded = 1 FOR UPDATE"));
  std::vector<uint64_t> candidates;
  for (const auto& r : expanded.rows) candidates.push_back(r.U64(0));
  if (candidates.empty()) {
    TAYORI_RETURN_IF_ERROR(tx.Commit());
    return finished;
  }
  // One row at most per campaign (LIMIT 1 each): a campaign with many
  // retries waiting is not scanned at every poll.
  std::string any_open;
  for (uint64_t id : candidates)
    any_open += std::string(any_open.empty() ? "" : " UNION ALL ") +
                "(SELECT campaign_id FROM deliveries WHERE campaign_id = " + std::to_string(id) +
                " AND state IN ('queued','leased','deferred') LIMIT 1)";
  TAYORI_ASSIGN_OR_RETURN(Table open, db.Select(any_open));
  std::set<uint64_t> still_sending;
  for (const auto& r : open.rows) still_sending.insert(r.U64(0));
  for (uint64_t id : candidates)
    if (!still_sending.contains(id)) finished.push_back(id);
  if (finished.empty()) {
    TAYORI_RETURN_IF_ERROR(tx.Commit());
    return finished;
  }
  std::string list = IdList(finished);
  TAYORI_RETURN_IF_ERROR(db.Execute(
      "UPDATE campaigns SET state = 'sent', finished_at = UTC_TIMESTAMP(6), claimed_by = NULL, claimed_until = NULL "
      "WHERE id IN (" + list + ")"));
  TAYORI_RETURN_IF_ERROR(db.Execute("INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) "
                                    "SELECT tenant_id, 'campaign', id, 'state_change', 'engine', 'sending -> sent' "
                                    "FROM campaigns WHERE id IN (" + list + ")"));
  TAYORI_RETURN_IF_ERROR(tx.Commit());
  return finished;
}

Result<bool> MoveCampaign(Connection& db, uint64_t id, const std::vector<scheduler::CampaignState>& from,
                          scheduler::CampaignState to, const std::string& reason, const std::string& actor) {
  using scheduler::CampaignState;
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  TAYORI_ASSIGN_OR_RETURN(Table cur, db.Select("SELECT state FROM campaigns WHERE id = ? FOR UPDATE", {id}));
  if (cur.empty()) return NotFound("campaign " + std::to_string(id) + " does not exist");
  TAYORI_ASSIGN_OR_RETURN(CampaignState was, ReadCampaignState(cur.rows[0].OptStr(0), "campaigns.state"));
  if (std::find(from.begin(), from.end(), was) == from.end()) {
    TAYORI_RETURN_IF_ERROR(tx.Commit());
    return false;
  }
  std::string extra;
  if (to == CampaignState::kCancelled || to == CampaignState::kFailed) extra = ", finished_at = UTC_TIMESTAMP(6)";
  TAYORI_RETURN_IF_ERROR(db.Run("UPDATE campaigns SET state = ?, state_reason = ?" + extra + " WHERE id = ?",
                                {scheduler::Name(to), reason.empty() ? Param(nullptr) : Param(reason), id}));
  TAYORI_RETURN_IF_ERROR(db.Run(
      "INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) SELECT tenant_id, 'campaign', "
      "id, 'state_change', ?, ? FROM campaigns WHERE id = ?",
      {actor,
       std::string(scheduler::Name(was)) + " -> " + std::string(scheduler::Name(to)) +
           (reason.empty() ? "" : ": " + reason),
       id}));
  TAYORI_RETURN_IF_ERROR(tx.Commit());
  return true;
}

}  // namespace tayori::store
