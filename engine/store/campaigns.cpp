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

Result<std::map<uint64_t, std::string>> OwnershipProblems(Connection& db, const std::vector<uint64_t>& ids) {
  std::map<uint64_t, std::string> out;
  if (ids.empty()) return out;
  TAYORI_ASSIGN_OR_RETURN(Table rows, db.Select("SELECT c.id, c.tenant_id, c.list_id, l.tenant_id, c.sender_domain_id, "
                                                "d.tenant_id FROM campaigns c LEFT JOIN lists l ON l.id = c.list_id "
                                                "LEFT JOIN sender_domains d ON d.id = c.sender_domain_id WHERE c.id IN (" +
                                                IdList(ids) + ")"));
  for (const Row& r : rows.rows) {
    std::string shop = std::to_string(r.U64(1));
    auto check = [&](const char* what, uint64_t id, std::optional<uint64_t> owner) -> std::string {
      if (!owner) return std::string(what) + " " + std::to_string(id) + " does not exist";
      if (std::to_string(*owner) != shop)
        return std::string(what) + " " + std::to_string(id) + " belongs to shop " + std::to_string(*owner) +
               ", not to the campaign's shop " + shop;
      return "";
    };
    std::string problem = check("list", r.U64(2), r.OptU64(3));
    if (problem.empty()) problem = check("sender domain", r.U64(4), r.OptU64(5));
    out[r.U64(0)] = std::move(problem);
  }
  return out;
}

Result<std::vector<uint64_t>> ClaimDueCampaigns(Connection& db, const std::string& instance, int lease_s, int limit) {
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  TAYORI_ASSIGN_OR_RETURN(Table rows,
                          db.Select("SELECT id FROM campaigns WHERE state = 'scheduled' AND scheduled_at <= "
                                    "UTC_TIMESTAMP(6) ORDER BY scheduled_at LIMIT ? FOR UPDATE SKIP LOCKED",
                                    {limit}));
  std::vector<uint64_t> due;
  for (const auto& r : rows.rows) due.push_back(r.U64(0));
  // One statement for the whole claim, not one per campaign.
  TAYORI_ASSIGN_OR_RETURN(auto problems, OwnershipProblems(db, due));
  std::vector<uint64_t> ids;
  for (uint64_t id : due) {
    const std::string& problem = problems[id];
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

namespace {

constexpr const char* kCampaignRowSelect =
    "SELECT c.id, c.tenant_id, c.list_id, c.sender_domain_id, c.state, t.slug, t.name, t.sender_id, "
    "l.slug, l.name, d.domain, d.state, COALESCE(d.state_reason, ''), c.from_address, c.from_name, "
    "COALESCE(c.reply_to, ''), c.subject_template, COALESCE(c.text_template, ''), "
    "COALESCE(c.html_template, ''), c.mail_type, c.expanded, COALESCE(t.fields, ''), COALESCE(c.fields, '') "
    "FROM campaigns c JOIN tenants t ON t.id = c.tenant_id "
    "JOIN lists l ON l.id = c.list_id AND l.tenant_id = c.tenant_id "
    "JOIN sender_domains d ON d.id = c.sender_domain_id AND d.tenant_id = c.tenant_id ";

Result<CampaignRow> ReadCampaignRow(const Row& r) {
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

}  // namespace

Result<CampaignRow> LoadCampaign(Connection& db, uint64_t id) {
  TAYORI_ASSIGN_OR_RETURN(auto rows, LoadCampaigns(db, {id}));
  return rows.at(id);
}

Result<std::map<uint64_t, Result<CampaignRow>>> LoadCampaigns(Connection& db, const std::vector<uint64_t>& ids) {
  std::map<uint64_t, Result<CampaignRow>> out;
  if (ids.empty()) return out;
  TAYORI_ASSIGN_OR_RETURN(Table rows, db.Select(std::string(kCampaignRowSelect) + "WHERE c.id IN (" + IdList(ids) + ")"));
  for (const Row& r : rows.rows) out.insert_or_assign(r.U64(0), ReadCampaignRow(r));
  // Not found by the joins: another shop's list or domain, or gone.
  std::vector<uint64_t> missing;
  for (uint64_t id : ids)
    if (!out.contains(id)) missing.push_back(id);
  if (missing.empty()) return out;
  TAYORI_ASSIGN_OR_RETURN(auto problems, OwnershipProblems(db, missing));
  for (uint64_t id : missing) {
    auto p = problems.find(id);
    if (p != problems.end() && !p->second.empty())
      out.insert_or_assign(id, Permanent("campaign " + std::to_string(id) + " refused: " + p->second));
    else
      out.insert_or_assign(id, NotFound("campaign " + std::to_string(id) + " does not exist"));
  }
  return out;
}

namespace {

// A campaign's next chunk: its list members in (lo, hi].
struct ChunkBounds {
  uint64_t campaign_id = 0, tenant_id = 0, list_id = 0, lo = 0, hi = 0;
  int members = 0;
};

}  // namespace

Result<std::map<uint64_t, ExpandResult>> ExpandCampaigns(Connection& db, const std::vector<uint64_t>& campaign_ids,
                                                         const std::string& instance, int lease_s, int chunk) {
  std::map<uint64_t, ExpandResult> out;
  if (campaign_ids.empty()) return out;
  // READ COMMITTED: INSERT … SELECT then reads list_members, subscribers and
  // suppressions as a consistent read, without the shared next-key locks
  // REPEATABLE READ takes, so expansion and the web app's imports of
  // subscribers and suppressions never block each other.
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db, Transaction::Isolation::kReadCommitted));
  TAYORI_ASSIGN_OR_RETURN(Table rows,
                          db.Select("SELECT id, list_id, tenant_id, expand_cursor, claimed_by, expanded, state FROM "
                                    "campaigns WHERE id IN (" + IdList(campaign_ids) + ") ORDER BY id FOR UPDATE"));
  std::vector<ChunkBounds> open;
  for (const Row& row : rows.rows) {
    uint64_t id = row.U64(0);
    ExpandResult& r = out[id];
    if (row.Bool(5)) {
      r.done = true;
      continue;
    }
    TAYORI_ASSIGN_OR_RETURN(scheduler::CampaignState state, ReadCampaignState(row.OptStr(6), "campaigns.state"));
    std::optional<std::string> claimed_by = row.OptStr(4);
    if (state != scheduler::CampaignState::kSending) {
      r.stopped = true;
      r.stop_reason = "campaign is " + std::string(scheduler::Name(state));
    } else if (claimed_by.value_or("") != instance) {
      r.stopped = true;
      r.stop_reason = "expansion claimed by " + claimed_by.value_or("nobody");
    } else {
      open.push_back({id, row.U64(2), row.U64(1), row.U64(3), row.U64(3), 0});
    }
  }
  // Gone (deleted by the web app): that one stops, the others go on.
  for (uint64_t id : campaign_ids)
    if (!out.contains(id)) {
      out[id].stopped = true;
      out[id].stop_reason = "campaign does not exist";
    }
  // Locked in id order (as every statement that locks campaigns), fitted in
  // the caller's order: the engine puts a campaign with more to go behind
  // the others, and that order must hold here.
  std::map<uint64_t, size_t> position;
  for (size_t i = 0; i < campaign_ids.size(); ++i) position.try_emplace(campaign_ids[i], i);
  std::stable_sort(open.begin(), open.end(), [&](const ChunkBounds& a, const ChunkBounds& b) {
    return position[a.campaign_id] < position[b.campaign_id];
  });
  // Checked again at expansion, whatever was checked at the claim: the web
  // app may have rewritten the row since (one statement for all).
  std::vector<uint64_t> ids;
  for (const auto& c : open) ids.push_back(c.campaign_id);
  TAYORI_ASSIGN_OR_RETURN(auto problems, OwnershipProblems(db, ids));
  std::vector<ChunkBounds> owned;
  for (const auto& c : open) {
    const std::string& problem = problems[c.campaign_id];
    if (problem.empty()) {
      owned.push_back(c);
      continue;
    }
    std::string reason = "refused by the engine: " + problem;
    TAYORI_RETURN_IF_ERROR(db.Run("UPDATE campaigns SET state = 'paused', state_reason = ?, claimed_by = NULL, "
                                  "claimed_until = NULL WHERE id = ?",
                                  {reason, c.campaign_id}));
    TAYORI_RETURN_IF_ERROR(db.Run(
        "INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) SELECT tenant_id, 'campaign', "
        "id, 'alert', ?, ? FROM campaigns WHERE id = ?",
        {instance, "sending -> paused: " + reason, c.campaign_id}));
    out[c.campaign_id].stopped = true;
    out[c.campaign_id].stop_reason = reason;
  }
  if (owned.empty()) {
    TAYORI_RETURN_IF_ERROR(tx.Commit());
    return out;
  }
  // Each campaign's next chunk: its upper bound, so the cursor moves exactly
  // over it, and its size. One statement, a part per campaign.
  std::string parts;
  for (const auto& c : owned)
    parts += std::string(parts.empty() ? "" : " UNION ALL ") + "(SELECT " + std::to_string(c.campaign_id) +
             ", MAX(subscriber_id), COUNT(*) FROM (SELECT subscriber_id FROM list_members WHERE list_id = " +
             std::to_string(c.list_id) + " AND subscriber_id > " + std::to_string(c.lo) +
             " ORDER BY subscriber_id LIMIT " + std::to_string(chunk) + ") t)";
  TAYORI_ASSIGN_OR_RETURN(Table bounds, db.Select(parts));
  std::map<uint64_t, std::pair<std::optional<uint64_t>, int>> next;
  for (const Row& r : bounds.rows) next[r.U64(0)] = {r.OptU64(1), static_cast<int>(r.I64(2))};
  // Together within one chunk's rows, so a transaction stays the size of
  // one chunk: the first campaign always goes, the others while they fit;
  // those left out are not in the result (the caller asks again).
  std::vector<ChunkBounds> batch;
  int rows_in_batch = 0;
  for (auto c : owned) {
    auto [upto, members] = next[c.campaign_id];
    if (!batch.empty() && rows_in_batch + members > chunk) {
      out.erase(c.campaign_id);
      continue;
    }
    rows_in_batch += members;
    c.hi = upto.value_or(c.lo);
    c.members = members;
    batch.push_back(c);
  }
  // Unsubscribed members are skipped; suppressed ones (for the shop, list_id
  // 0, or this list) become terminal 'suppressed' deliveries so they are
  // counted. In list order, so deliveries go out in it.
  //
  // Two forms of one statement. When every chunk is its whole list (cursor 0,
  // list shorter than a chunk: the many-small-campaigns case; a member added
  // since the bounds were read stays out, beyond hi), one join from a table
  // of the chunks reads each list once, which MariaDB plans far
  // quicker than a hundred parts. Otherwise a part per campaign with its
  // bounds written as numbers (ids and cursors read above), so each reads
  // only its chunk's range of list_members' primary key: bounds taken from a
  // joined table would be read as a ref on list_id alone, the whole list for
  // every chunk.
  bool whole_lists = std::all_of(batch.begin(), batch.end(),
                                 [&](const ChunkBounds& c) { return c.lo == 0 && c.members < chunk; });
  std::string members;
  for (const auto& c : batch) {
    std::string cid = std::to_string(c.campaign_id), tid = std::to_string(c.tenant_id),
                lid = std::to_string(c.list_id), lo = std::to_string(c.lo), hi = std::to_string(c.hi);
    std::string sep = members.empty() ? "" : " UNION ALL ";
    if (whole_lists)
      members += sep + "SELECT " + cid + (sep.empty() ? " AS cid, " : ", ") + tid + (sep.empty() ? " AS tid, " : ", ") +
                 lid + (sep.empty() ? " AS lid, " : ", ") + hi + (sep.empty() ? " AS hi" : "");
    else
      members += sep + "SELECT " + cid +
                 " AS cid, s.id AS sid, s.email, LOWER(SUBSTRING_INDEX(s.email, '@', -1)) AS dest, "
                 "IF(EXISTS (SELECT 1 FROM suppressions x WHERE x.tenant_id = " + tid +
                 " AND x.email = s.email AND x.list_id IN (0, " + lid + ")), 'suppressed', 'queued') AS state "
                 "FROM list_members m JOIN subscribers s ON s.id = m.subscriber_id AND s.tenant_id = " + tid +
                 " WHERE m.list_id = " + lid + " AND m.state = 'subscribed' AND m.subscriber_id > " + lo +
                 " AND m.subscriber_id <= " + hi;
  }
  // RETURNING (MariaDB 10.5+) names each row the INSERT IGNORE actually
  // wrote, so what each chunk inserted and how many of those are suppressed
  // come with the insert. A separate count over (lo, hi] of every chunk was
  // a statement of one part per campaign, as costly as the insert's own
  // bookkeeping with thousands of small campaigns.
  const std::string insert =
      "INSERT IGNORE INTO deliveries (campaign_id, subscriber_id, email, dest_domain, state, next_attempt_at) ";
  const std::string returning = " RETURNING campaign_id, state = 'suppressed'";
  const std::string select =
      whole_lists
          ? "SELECT STRAIGHT_JOIN b.cid, s.id, s.email, LOWER(SUBSTRING_INDEX(s.email, '@', -1)), "
            "IF(EXISTS (SELECT 1 FROM suppressions x WHERE x.tenant_id = b.tid AND x.email = s.email AND "
            "x.list_id IN (0, b.lid)), 'suppressed', 'queued'), UTC_TIMESTAMP(6) FROM (" + members + ") b "
            "JOIN list_members m ON m.list_id = b.lid AND m.subscriber_id <= b.hi "
            "JOIN subscribers s ON s.id = m.subscriber_id AND s.tenant_id = b.tid "
            "WHERE m.state = 'subscribed' ORDER BY b.cid, m.subscriber_id"
          : "SELECT cid, sid, email, dest, state, UTC_TIMESTAMP(6) FROM (" + members + ") u ORDER BY cid, sid";
  Table inserted;
  if (rows_in_batch > 0) {
    TAYORI_ASSIGN_OR_RETURN(inserted, db.Select(insert + select + returning));
  }
  for (const Row& r : inserted.rows) {
    ExpandResult& res = out[r.U64(0)];
    ++res.inserted;
    if (r.I64(1) != 0) ++res.suppressed;
  }
  std::string values;
  for (const auto& c : batch) {
    ExpandResult& res = out[c.campaign_id];
    // A chunk shorter than asked was the list's end: expanded now, without
    // another transaction to find nothing (one per campaign, thousands when
    // many small campaigns send). A member added later is not included
    // either way.
    res.done = c.members < chunk;
    values += std::string(values.empty() ? "SELECT " : " UNION ALL SELECT ") + std::to_string(c.campaign_id) +
              (values.empty() ? " AS cid, " : ", ") + std::to_string(c.hi) + (values.empty() ? " AS hi, " : ", ") +
              std::to_string(res.inserted) + (values.empty() ? " AS ins, " : ", ") + std::to_string(res.suppressed) +
              (values.empty() ? " AS sup, " : ", ") + (res.done ? "1" : "0") + (values.empty() ? " AS done" : "");
  }
  // One statement moves every cursor and counter; a finished expansion
  // gives up its claim, an unfinished one extends it.
  // The claim is given up by letting it lapse now: claimed_by keeps naming
  // the instance that expanded it (cleared when the campaign is sent).
  // Clearing both columns to NULL would change the row's length, and InnoDB
  // then rewrites the whole record, templates and all (about 5 KB, in the
  // redo log too); a value for a value of the same size is updated in place.
  // With thousands of ten-recipient campaigns that rewrite was a tenth of the
  // database's time.
  // (Text, not prepared: the statement differs with every batch.)
  TAYORI_RETURN_IF_ERROR(db.Execute(
      "UPDATE campaigns c JOIN (" + values + ") v ON v.cid = c.id SET c.expand_cursor = v.hi, "
      "c.total_count = c.total_count + v.ins, c.suppressed_count = c.suppressed_count + v.sup, c.expanded = v.done, "
      "c.claimed_until = IF(v.done, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) + INTERVAL " + std::to_string(lease_s) +
      " SECOND)"));
  TAYORI_RETURN_IF_ERROR(tx.Commit());
  return out;
}

Result<ExpandResult> ExpandChunk(Connection& db, uint64_t campaign_id, const std::string& instance, int lease_s,
                                 int chunk) {
  TAYORI_ASSIGN_OR_RETURN(auto results, ExpandCampaigns(db, {campaign_id}, instance, lease_s, chunk));
  const ExpandResult& r = results.at(campaign_id);
  if (r.stopped && r.stop_reason == "campaign does not exist")
    return NotFound("campaign " + std::to_string(campaign_id) + " does not exist");
  return r;
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
  // A subquery per campaign that stops at its first open delivery, so a
  // campaign with many retries waiting is not scanned at every poll. (A
  // UNION ALL of one LIMIT 1 part per campaign did the same, but with a
  // thousand campaigns held its parsing and planning took about 50 ms per
  // poll.) Not EXISTS: MariaDB turns that into a semi-join and, with many
  // small campaigns, materialises every open delivery of the table (32,000
  // index rows read for 200 campaigns in `scripts/bench engine-many`); a
  // LIMIT keeps it a dependent subquery, and the index is named because the
  // statistics of a table filling this fast pick a worse one.
  TAYORI_ASSIGN_OR_RETURN(
      Table open, db.Select("SELECT c.id FROM campaigns c WHERE c.id IN (" + IdList(candidates) +
                            ") AND (SELECT 1 FROM deliveries d FORCE INDEX (ix_deliveries_due) WHERE d.campaign_id = "
                            "c.id AND d.state IN ('queued','leased','deferred') LIMIT 1) IS NOT NULL"));
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
