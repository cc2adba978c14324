#include "store/listing.h"

#include <algorithm>

#include "store/state_columns.h"
#include "store/values.h"

namespace tayori::store {

Result<std::vector<TenantListing>> ListTenants(Connection& db, int limit) {
  // Counts by correlated subqueries over indexed foreign keys: one row per
  // shop without a GROUP BY over three joins.
  TAYORI_ASSIGN_OR_RETURN(
      Rows r, db.Query("SELECT t.id, t.slug, t.name, t.sender_id, t.created_at, "
                       "(SELECT COUNT(*) FROM lists l WHERE l.tenant_id = t.id), "
                       "(SELECT COUNT(*) FROM sender_domains d WHERE d.tenant_id = t.id), "
                       "(SELECT COUNT(*) FROM campaigns c WHERE c.tenant_id = t.id) "
                       "FROM tenants t ORDER BY t.slug LIMIT " + std::to_string(std::max(limit, 0))));
  std::vector<TenantListing> out;
  out.reserve(r.rows.size());
  for (const auto& x : r.rows) {
    TenantListing t;
    t.id = U64(x[0]);
    t.slug = Str(x[1]);
    t.name = Str(x[2]);
    t.sender_id = Str(x[3]);
    t.created_at = Str(x[4]);
    t.lists = U64(x[5]);
    t.sender_domains = U64(x[6]);
    t.campaigns = U64(x[7]);
    out.push_back(std::move(t));
  }
  return out;
}

Result<std::vector<ListListing>> ListLists(Connection& db, uint64_t tenant_id, int limit) {
  std::string where = tenant_id ? " WHERE l.tenant_id = " + std::to_string(tenant_id) : "";
  TAYORI_ASSIGN_OR_RETURN(
      Rows r, db.Query("SELECT l.id, t.slug, l.slug, l.name, l.created_at, "
                       "(SELECT COUNT(*) FROM list_members m WHERE m.list_id = l.id AND m.state = 'subscribed'), "
                       "(SELECT COUNT(*) FROM list_members m WHERE m.list_id = l.id AND m.state = 'unsubscribed') "
                       "FROM lists l JOIN tenants t ON t.id = l.tenant_id" + where +
                       " ORDER BY t.slug, l.slug LIMIT " + std::to_string(std::max(limit, 0))));
  std::vector<ListListing> out;
  out.reserve(r.rows.size());
  for (const auto& x : r.rows) {
    ListListing l;
    l.id = U64(x[0]);
    l.tenant_slug = Str(x[1]);
    l.slug = Str(x[2]);
    l.name = Str(x[3]);
    l.created_at = Str(x[4]);
    l.subscribed = U64(x[5]);
    l.unsubscribed = U64(x[6]);
    out.push_back(std::move(l));
  }
  return out;
}

Result<std::vector<CampaignListing>> ListCampaigns(Connection& db, uint64_t tenant_id,
                                                   std::optional<scheduler::CampaignState> state, int limit) {
  std::string where;
  if (tenant_id) where += " AND c.tenant_id = " + std::to_string(tenant_id);
  if (state) where += " AND c.state = " + Literal(*state);
  // The newest `limit` campaigns, shown oldest first.
  TAYORI_ASSIGN_OR_RETURN(
      Rows r, db.Query("SELECT * FROM (SELECT c.id, t.slug, l.slug AS list_slug, d.domain, c.state, "
                       "COALESCE(c.state_reason, ''), COALESCE(c.scheduled_at, ''), COALESCE(c.started_at, ''), "
                       "COALESCE(c.finished_at, ''), c.total_count, c.sent_count, c.failed_count, c.bounced_count, "
                       "c.suppressed_count, c.expired_count, c.unknown_count, c.cancelled_count FROM campaigns c "
                       "JOIN tenants t ON t.id = c.tenant_id JOIN lists l ON l.id = c.list_id "
                       "JOIN sender_domains d ON d.id = c.sender_domain_id WHERE 1 = 1" + where +
                       " ORDER BY c.id DESC LIMIT " + std::to_string(std::max(limit, 0)) + ") newest ORDER BY id"));
  std::vector<CampaignListing> out;
  out.reserve(r.rows.size());
  for (const auto& x : r.rows) {
    CampaignListing c;
    c.id = U64(x[0]);
    c.tenant_slug = Str(x[1]);
    c.list_slug = Str(x[2]);
    c.domain = Str(x[3]);
    TAYORI_ASSIGN_OR_RETURN(c.state, ReadCampaignState(x[4], "campaigns.state"));
    c.state_reason = Str(x[5]);
    c.scheduled_at = Str(x[6]);
    c.started_at = Str(x[7]);
    c.finished_at = Str(x[8]);
    c.total = U64(x[9]);
    c.sent = U64(x[10]);
    c.failed = U64(x[11]);
    c.bounced = U64(x[12]);
    c.suppressed = U64(x[13]);
    c.expired = U64(x[14]);
    c.unknown = U64(x[15]);
    c.cancelled = U64(x[16]);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace tayori::store
