#include "store/report.h"

#include "store/state_columns.h"

namespace tayori::store {

Result<std::vector<CampaignFeedback>> CampaignFeedbackReport(Connection& db, uint64_t tenant_id, uint64_t campaign_id,
                                                             int limit) {
  std::string where = "1";
  if (tenant_id) where += " AND c.tenant_id = " + std::to_string(tenant_id);
  if (campaign_id) where += " AND c.id = " + std::to_string(campaign_id);
  TAYORI_ASSIGN_OR_RETURN(
      Table rows,
      db.Select("SELECT c.id, c.tenant_id, t.slug, d.domain, c.state, COALESCE(c.state_reason, ''), "
               "COALESCE(DATE_FORMAT(c.started_at, '%Y-%m-%d %H:%i:%s'), ''), c.total_count, c.sent_count, "
               "c.bounced_count, c.complaint_count, c.suppressed_count, c.failed_count, "
               "(SELECT COUNT(*) FROM feedback_events f WHERE f.campaign_id = c.id AND f.effect = 'bounce_and_suppress'), "
               "(SELECT COUNT(*) FROM feedback_events f WHERE f.campaign_id = c.id AND f.type = 'bounce' AND f.hard = 0 AND f.effect = 'record'), "
               "(SELECT COUNT(*) FROM suppressions x WHERE x.campaign_id = c.id AND x.reason = 'unsubscribe'), c.sender_domain_id "
               "FROM campaigns c JOIN tenants t ON t.id = c.tenant_id JOIN sender_domains d ON d.id = c.sender_domain_id "
               "WHERE " + where + " ORDER BY c.id DESC LIMIT " + std::to_string(limit)));
  std::vector<CampaignFeedback> out;
  for (const auto& r : rows.rows) {
    CampaignFeedback f;
    f.campaign_id = r.U64(0);
    f.tenant_id = r.U64(1);
    f.tenant_slug = r.Str(2);
    f.domain = r.Str(3);
    TAYORI_ASSIGN_OR_RETURN(f.state, ReadCampaignState(r.OptStr(4), "campaigns.state"));
    f.state_reason = r.Str(5);
    f.started_at = r.Str(6);
    f.total = r.U64(7);
    f.sent = r.U64(8);
    f.hard_bounces = r.U64(9);
    f.complaints = r.U64(10);
    f.suppressed = r.U64(11);
    f.failed = r.U64(12);
    f.async_bounces = r.U64(13);
    f.soft_bounces = r.U64(14);
    f.unsubscribes = r.U64(15);
    f.sender_domain_id = r.U64(16);
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace tayori::store
