#include "store/listing.h"

#include <algorithm>

#include "store/state_columns.h"

namespace tayori::store {

Result<std::vector<TenantListing>> ListTenants(Connection& db, int limit) {
  // Counts by correlated subqueries over indexed foreign keys: one row per
  // shop without a GROUP BY over three joins.
  TAYORI_ASSIGN_OR_RETURN(
      Table r, db.Select("SELECT t.id, t.slug, t.name, t.sender_id, t.created_at, "
                       "(SELECT COUNT(*) FROM lists l WHERE l.tenant_id = t.id), "
                       "(SELECT COUNT(*) FROM sender_domains d WHERE d.tenant_id = t.id), "
                       "(SELECT COUNT(*) FROM campaigns c WHERE c.tenant_id = t.id) "
                       "FROM tenants t ORDER BY t.slug LIMIT " + std::to_string(std::max(limit, 0))));
  std::vector<TenantListing> out;
  out.reserve(r.rows.size());
  for (const auto& x : r.rows) {
    TenantListing t;
    t.id = x.U64(0);
    t.slug = x.Str(1);
    t.name = x.Str(2);
    t.sender_id = x.Str(3);
    t.created_at = x.Str(4);
    t.lists = x.U64(5);
    t.sender_domains = x.U64(6);
    t.campaigns = x.U64(7);
    out.push_back(std::move(t));
  }
  return out;
}

Result<std::vector<ListListing>> ListLists(Connection& db, uint64_t tenant_id, int limit) {
  std::string where = tenant_id ? " WHERE l.tenant_id = " + std::to_string(tenant_id) : "";
  TAYORI_ASSIGN_OR_RETURN(
      Table r, db.Select("SELECT l.id, t.slug, l.slug, l.name, l.created_at, "
                       "(SELECT COUNT(*) FROM list_members m WHERE m.list_id = l.id AND m.state = 'subscribed'), "
                       "(SELECT COUNT(*) FROM list_members m WHERE m.list_id = l.id AND m.state = 'unsubscribed') "
                       "FROM lists l JOIN tenants t ON t.id = l.tenant_id" + where +
                       " ORDER BY t.slug, l.slug LIMIT " + std::to_string(std::max(limit, 0))));
  std::vector<ListListing> out;
  out.reserve(r.rows.size());
  for (const auto& x : r.rows) {
    ListListing l;
    l.id = x.U64(0);
    l.tenant_slug = x.Str(1);
    l.slug = x.Str(2);
    l.name = x.Str(3);
    l.created_at = x.Str(4);
    l.subscribed = x.U64(5);
    l.unsubscribed = x.U64(6);
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
      Table r, db.Select("SELECT * FROM (SELECT c.id, t.slug, l.slug AS list_slug, d.domain, c.state, "
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
    c.id = x.U64(0);
    c.tenant_slug = x.Str(1);
    c.list_slug = x.Str(2);
    c.domain = x.Str(3);
    TAYORI_ASSIGN_OR_RETURN(c.state, ReadCampaignState(x.OptStr(4), "campaigns.state"));
    c.state_reason = x.Str(5);
    c.scheduled_at = x.Str(6);
    c.started_at = x.Str(7);
    c.finished_at = x.Str(8);
    c.total = x.U64(9);
    c.sent = x.U64(10);
    c.failed = x.U64(11);
    c.bounced = x.U64(12);
    c.suppressed = x.U64(13);
    c.expired = x.U64(14);
    c.unknown = x.U64(15);
    c.cancelled = x.U64(16);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace tayori::store
