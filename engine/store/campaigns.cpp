#include "store/campaigns.h"

#include <set>

#include "store/state_columns.h"
#include "store/transaction.h"
#include "store/values.h"

#include <algorithm>

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
  TAYORI_ASSIGN_OR_RETURN(Rows rows, db.Query("SELECT c.tenant_id, c.list_id, l.tenant_id, c.sender_domain_id, "
                                              "d.tenant_id FROM campaigns c LEFT JOIN lists l ON l.id = c.list_id "
                                              "LEFT JOIN sender_domains d ON d.id = c.sender_domain_id WHERE c.id = " +
                                              std::to_string(campaign_id)));
  if (rows.rows.empty()) return NotFound("campaign " + std::to_string(campaign_id) + " does not exist");
  const auto& r = rows.rows[0];
  std::string shop = Str(r[0]);
  auto check = [&](const char* what, const std::optional<std::string>& id, const std::optional<std::string>& owner)
      -> std::string {
    if (!owner) return std::string(what) + " " + Str(id) + " does not exist";
    if (*owner != shop)
      return std::string(what) + " " + Str(id) + " belongs to shop " + *owner + ", not to the campaign's shop " + shop;
    return "";
  };
  std::string problem = check("list", r[1], r[2]);
  if (problem.empty()) problem = check("sender domain", r[3], r[4]);
  return problem;
}

Result<std::vector<uint64_t>> ClaimDueCampaigns(Connection& db, const std::string& instance, int lease_s, int limit) {
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  TAYORI_ASSIGN_OR_RETURN(Rows rows,
                          db.Query("SELECT id FROM campaigns WHERE state = 'scheduled' AND scheduled_at <= UTC_TIMESTAMP(6) "
                                   "ORDER BY scheduled_at LIMIT " + std::to_string(limit) +
                                   " FOR UPDATE SKIP LOCKED"));
  std::vector<uint64_t> ids;
  for (const auto& r : rows.rows) {
    uint64_t id = U64(r[0]);
    TAYORI_ASSIGN_OR_RETURN(std::string problem, OwnershipProblem(db, id));
    if (problem.empty()) {
      ids.push_back(id);
      continue;
    }
    // Never send it: pause with the reason, so the operator sees it.
    std::string reason = "refused by the engine: " + problem;
    TAYORI_RETURN_IF_ERROR(db.Execute("UPDATE campaigns SET state = 'paused', state_reason = " + db.Quote(reason) +
                                      " WHERE id = " + std::to_string(id)));
    TAYORI_RETURN_IF_ERROR(db.Execute(
        "INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) SELECT tenant_id, 'campaign', "
        "id, 'alert', " + db.Quote(instance) + ", " + db.Quote("scheduled -> paused: " + reason) +
        " FROM campaigns WHERE id = " + std::to_string(id)));
  }
  if (ids.empty()) {
    TAYORI_RETURN_IF_ERROR(tx.Commit());
    return ids;
  }
  TAYORI_RETURN_IF_ERROR(db.Execute(
      "UPDATE campaigns SET state = 'sending', state_reason = NULL, claimed_by = " + db.Quote(instance) +
      ", claimed_until = UTC_TIMESTAMP(6) + INTERVAL " + std::to_string(lease_s) +
      " SECOND, started_at = COALESCE(started_at, UTC_TIMESTAMP(6)) WHERE id IN (" + IdList(ids) + ")"));
  std::string events;
  for (uint64_t id : ids) {
    if (!events.empty()) events += ',';
    events += "((SELECT tenant_id FROM campaigns WHERE id = " + std::to_string(id) + "), 'campaign', " +
              std::to_string(id) + ", 'state_change', " + db.Quote(instance) + ", 'scheduled -> sending')";
  }
  TAYORI_RETURN_IF_ERROR(
      db.Execute("INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) VALUES " + events));
  TAYORI_RETURN_IF_ERROR(tx.Commit());
  return ids;
}

Result<std::vector<uint64_t>> ClaimUnexpandedCampaigns(Connection& db, const std::string& instance, int lease_s,
                                                       int limit) {
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  TAYORI_ASSIGN_OR_RETURN(
      Rows rows, db.Query("SELECT id FROM campaigns WHERE state = 'sending' AND expanded = 0 AND "
                          "(claimed_by IS NULL OR claimed_by = " + db.Quote(instance) +
                          " OR claimed_until < UTC_TIMESTAMP(6)) ORDER BY id LIMIT " + std::to_string(limit) +
                          " FOR UPDATE SKIP LOCKED"));
  std::vector<uint64_t> ids;
  for (const auto& r : rows.rows) ids.push_back(U64(r[0]));
  if (ids.empty()) {
    TAYORI_RETURN_IF_ERROR(tx.Commit());
    return ids;
  }
  TAYORI_RETURN_IF_ERROR(db.Execute("UPDATE campaigns SET claimed_by = " + db.Quote(instance) +
                                    ", claimed_until = UTC_TIMESTAMP(6) + INTERVAL " + std::to_string(lease_s) +
                                    " SECOND WHERE id IN (" + IdList(ids) + ")"));
  TAYORI_RETURN_IF_ERROR(tx.Commit());
  return ids;
}

Result<CampaignRow> LoadCampaign(Connection& db, uint64_t id) {
  TAYORI_ASSIGN_OR_RETURN(
      Rows rows,
      db.Query("SELECT c.id, c.tenant_id, c.list_id, c.sender_domain_id, c.state, t.slug, t.name, t.sender_id, "
               "l.slug, l.name, d.domain, d.state, COALESCE(d.state_reason, ''), c.from_address, c.from_name, "
               "COALESCE(c.reply_to, ''), c.subject_template, COALESCE(c.text_template, ''), "
               "COALESCE(c.html_template, ''), c.mail_type, c.expanded, COALESCE(t.fields, ''), COALESCE(c.fields, '') "
               "FROM campaigns c JOIN tenants t ON t.id = c.tenant_id "
               "JOIN lists l ON l.id = c.list_id AND l.tenant_id = c.tenant_id "
               "JOIN sender_domains d ON d.id = c.sender_domain_id AND d.tenant_id = c.tenant_id WHERE c.id = " + std::to_string(id)));
  if (rows.rows.empty()) {
    TAYORI_ASSIGN_OR_RETURN(std::string problem, OwnershipProblem(db, id));
    if (!problem.empty()) return Permanent("campaign " + std::to_string(id) + " refused: " + problem);
    return NotFound("campaign " + std::to_string(id) + " does not exist");
  }
  const auto& r = rows.rows[0];
  CampaignRow c;
  c.id = U64(r[0]);
  c.tenant_id = U64(r[1]);
  c.list_id = U64(r[2]);
  c.sender_domain_id = U64(r[3]);
  TAYORI_ASSIGN_OR_RETURN(c.state, ReadCampaignState(r[4], "campaigns.state"));
  c.tenant_slug = Str(r[5]);
  c.tenant_name = Str(r[6]);
  c.sender_id = Str(r[7]);
  c.list_slug = Str(r[8]);
  c.list_name = Str(r[9]);
  c.domain = Str(r[10]);
  TAYORI_ASSIGN_OR_RETURN(c.domain_state, ReadDomainState(r[11], "sender_domains.state"));
  c.domain_state_reason = Str(r[12]);
  c.from_address = Str(r[13]);
  c.from_name = Str(r[14]);
  c.reply_to = Str(r[15]);
  c.subject_template = Str(r[16]);
  c.text_template = Str(r[17]);
  c.html_template = Str(r[18]);
  c.mail_type = Str(r[19]);
  c.expanded = Str(r[20]) == "1";
  c.shop_fields_json = Str(r[21]);
  c.campaign_fields_json = Str(r[22]);
  return c;
}

Result<ExpandResult> ExpandChunk(Connection& db, uint64_t campaign_id, const std::string& instance, int lease_s,
                                 int chunk) {
  // READ COMMITTED: INSERT … SELECT then reads list_members, subscribers and
  // suppressions as a consistent read, without the shared next-key locks
  // REPEATABLE READ takes, so expansion and the web app's imports of
  // subscribers and suppressions never block each other.
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db, Transaction::Isolation::kReadCommitted));
  std::string cid = std::to_string(campaign_id);
  TAYORI_ASSIGN_OR_RETURN(Rows c, db.Query("SELECT list_id, tenant_id, expand_cursor, claimed_by, expanded, state "
                                           "FROM campaigns WHERE id = " + cid + " FOR UPDATE"));
  if (c.rows.empty()) return NotFound("campaign " + cid + " does not exist");
  ExpandResult out;
  if (Str(c.rows[0][4]) == "1") {
    out.done = true;
    TAYORI_RETURN_IF_ERROR(tx.Commit());
    return out;
  }
  TAYORI_ASSIGN_OR_RETURN(scheduler::CampaignState state, ReadCampaignState(c.rows[0][5], "campaigns.state"));
  if (state != scheduler::CampaignState::kSending) {
    out.stopped = true;
    out.stop_reason = "campaign is " + std::string(scheduler::Name(state));
    TAYORI_RETURN_IF_ERROR(tx.Commit());
    return out;
  }
  if (Str(c.rows[0][3]) != instance) {
    out.stopped = true;
    out.stop_reason = "expansion claimed by " + (c.rows[0][3] ? *c.rows[0][3] : std::string("nobody"));
    TAYORI_RETURN_IF_ERROR(tx.Commit());
    return out;
  }
  TAYORI_ASSIGN_OR_RETURN(std::string problem, OwnershipProblem(db, campaign_id));
  if (!problem.empty()) {
    std::string reason = "refused by the engine: " + problem;
    TAYORI_RETURN_IF_ERROR(db.Execute("UPDATE campaigns SET state = 'paused', state_reason = " + db.Quote(reason) +
                                      ", claimed_by = NULL, claimed_until = NULL WHERE id = " + cid));
    TAYORI_RETURN_IF_ERROR(db.Execute(
        "INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) SELECT tenant_id, 'campaign', "
        "id, 'alert', " + db.Quote(instance) + ", " + db.Quote("sending -> paused: " + reason) +
        " FROM campaigns WHERE id = " + cid));
    out.stopped = true;
    out.stop_reason = reason;
    TAYORI_RETURN_IF_ERROR(tx.Commit());
    return out;
  }
  std::string list_id = Str(c.rows[0][0]), tenant_id = Str(c.rows[0][1]), cursor = Str(c.rows[0][2]);
  // The upper bound of this chunk, so the cursor moves exactly over it.
  TAYORI_ASSIGN_OR_RETURN(Rows last, db.Query("SELECT MAX(subscriber_id), COUNT(*) FROM (SELECT subscriber_id FROM "
                                              "list_members WHERE list_id = " + list_id +
                                              " AND subscriber_id > " + cursor +
                                              " ORDER BY subscriber_id LIMIT " + std::to_string(chunk) + ") t"));
  if (!last.rows[0][0]) {
    TAYORI_RETURN_IF_ERROR(db.Execute("UPDATE campaigns SET expanded = 1, claimed_by = NULL, claimed_until = NULL "
                                      "WHERE id = " + cid));
    out.done = true;
    TAYORI_RETURN_IF_ERROR(tx.Commit());
    return out;
  }
  std::string upto = *last.rows[0][0];
  // Unsubscribed members are skipped; suppressed ones (for the shop, list_id 0,
  // or this list) become terminal 'suppressed' deliveries so they are counted.
  TAYORI_RETURN_IF_ERROR(db.Execute(
      "INSERT IGNORE INTO deliveries (campaign_id, subscriber_id, email, dest_domain, state, next_attempt_at) "
      "SELECT " + cid + ", s.id, s.email, LOWER(SUBSTRING_INDEX(s.email, '@', -1)), "
      "IF(EXISTS (SELECT 1 FROM suppressions x WHERE x.tenant_id = " + tenant_id +
      " AND x.email = s.email AND x.list_id IN (0, " + list_id + ")), 'suppressed', 'queued'), UTC_TIMESTAMP(6) "
      "FROM list_members m JOIN subscribers s ON s.id = m.subscriber_id AND s.tenant_id = " + tenant_id + " "
      "WHERE m.list_id = " + list_id + " AND m.state = 'subscribed' AND m.subscriber_id > " + cursor +
      " AND m.subscriber_id <= " + upto));
  out.inserted = static_cast<int>(db.affected_rows());
  TAYORI_ASSIGN_OR_RETURN(Rows sup, db.Query("SELECT COUNT(*) FROM deliveries WHERE campaign_id = " + cid +
                                             " AND state = 'suppressed' AND subscriber_id > " + cursor +
                                             " AND subscriber_id <= " + upto));
  out.suppressed = std::stoi(Str(sup.rows[0][0]));
  // A chunk shorter than asked was the list's end: expanded now, without
  // another transaction to find nothing (one per campaign, thousands when
  // many small campaigns send). A member added later is not included
  // either way.
  out.done = std::stoi(Str(last.rows[0][1])) < chunk;
  std::string claim = out.done ? "expanded = 1, claimed_by = NULL, claimed_until = NULL"
                               : "claimed_until = UTC_TIMESTAMP(6) + INTERVAL " + std::to_string(lease_s) + " SECOND";
  TAYORI_RETURN_IF_ERROR(db.Execute(
      "UPDATE campaigns SET expand_cursor = " + upto + ", total_count = total_count + " +
      std::to_string(out.inserted) + ", suppressed_count = suppressed_count + " + std::to_string(out.suppressed) +
      ", " + claim + " WHERE id = " + cid));
  TAYORI_RETURN_IF_ERROR(tx.Commit());
  return out;
}

Result<std::map<uint64_t, std::string>> SigningKeyVersions(Connection& db, const std::vector<uint64_t>& domain_ids) {
  std::map<uint64_t, std::string> out;
  if (domain_ids.empty()) return out;
  TAYORI_ASSIGN_OR_RETURN(
      Rows rows, db.Query("SELECT d.id, CONCAT(d.state, '|', COALESCE(GROUP_CONCAT(k.id ORDER BY k.id), '')) FROM "
                          "sender_domains d LEFT JOIN domain_keys k ON k.sender_domain_id = d.id AND k.state = 'active' "
                          "WHERE d.id IN (" + IdList(domain_ids) + ") GROUP BY d.id, d.state"));
  for (const auto& r : rows.rows) out[U64(r[0])] = Str(r[1]);
  return out;
}

Result<SendingSet> SendingCampaigns(Connection& db) {
  SendingSet out;
  TAYORI_ASSIGN_OR_RETURN(Rows rows, db.Query("SELECT id FROM campaigns WHERE state = 'sending'"));
  for (const auto& r : rows.rows) out.sending.push_back(U64(r[0]));
  TAYORI_ASSIGN_OR_RETURN(Rows due, db.Query("SELECT EXISTS (SELECT 1 FROM campaigns WHERE state = 'scheduled' "
                                             "AND scheduled_at <= UTC_TIMESTAMP(6))"));
  out.any_due = Str(due.rows.at(0).at(0)) == "1";
  return out;
}

Result<std::vector<CampaignStateRow>> CampaignStates(Connection& db, const std::vector<uint64_t>& ids) {
  std::vector<CampaignStateRow> out;
  if (ids.empty()) return out;
  TAYORI_ASSIGN_OR_RETURN(Rows rows, db.Query("SELECT id, state, COALESCE(state_reason, '') FROM campaigns WHERE id IN (" +
                                              IdList(ids) + ")"));
  for (const auto& r : rows.rows) {
    TAYORI_ASSIGN_OR_RETURN(scheduler::CampaignState state, ReadCampaignState(r[1], "campaigns.state"));
    out.push_back({U64(r[0]), state, Str(r[2])});
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
  TAYORI_ASSIGN_OR_RETURN(Rows expanded, db.Query("SELECT id FROM campaigns WHERE id IN (" + IdList(ids) +
                                                  ") AND state = 'sending' AND expanded = 1 FOR UPDATE"));
  std::vector<uint64_t> candidates;
  for (const auto& r : expanded.rows) candidates.push_back(U64(r[0]));
  if (candidates.empty()) {
    TAYORI_RETURN_IF_ERROR(tx.Commit());
    return finished;
  }
  // One row at most per campaign (LIMIT 1 each): a campaign with many
  // retries waiting is not scanned at every poll.
  std::string any_open;
  for (uint64_t id : candidates)
    any_open += std::string(any_open.empty() ? "" : " UNION ALL ") + "(SELECT campaign_id FROM deliveries WHERE campaign_id = " +
                std::to_string(id) + " AND state IN ('queued','leased','deferred') LIMIT 1)";
  TAYORI_ASSIGN_OR_RETURN(Rows open, db.Query(any_open));
  std::set<uint64_t> still_sending;
  for (const auto& r : open.rows) still_sending.insert(U64(r[0]));
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
  std::string cid = std::to_string(id);
  TAYORI_ASSIGN_OR_RETURN(Rows cur, db.Query("SELECT state FROM campaigns WHERE id = " + cid + " FOR UPDATE"));
  if (cur.rows.empty()) return NotFound("campaign " + cid + " does not exist");
  TAYORI_ASSIGN_OR_RETURN(CampaignState was, ReadCampaignState(cur.rows[0][0], "campaigns.state"));
  if (std::find(from.begin(), from.end(), was) == from.end()) {
    TAYORI_RETURN_IF_ERROR(tx.Commit());
    return false;
  }
  std::string extra;
  if (to == CampaignState::kCancelled || to == CampaignState::kFailed) extra = ", finished_at = UTC_TIMESTAMP(6)";
  TAYORI_RETURN_IF_ERROR(db.Execute("UPDATE campaigns SET state = " + Literal(to) + ", state_reason = " +
                                    (reason.empty() ? std::string("NULL") : db.Quote(reason)) + extra +
                                    " WHERE id = " + cid));
  TAYORI_RETURN_IF_ERROR(db.Execute(
      "INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) SELECT tenant_id, 'campaign', "
      "id, 'state_change', " + db.Quote(actor) + ", " + db.Quote(std::string(scheduler::Name(was)) + " -> " + std::string(scheduler::Name(to)) +
                                      (reason.empty() ? "" : ": " + reason)) +
      " FROM campaigns WHERE id = " + cid));
  TAYORI_RETURN_IF_ERROR(tx.Commit());
  return true;
}

}  // namespace tayori::store
