#include "store/report.h"

#include "store/state_columns.h"
#include "store/values.h"

namespace tayori::store {

Result<std::vector<CampaignFeedback>> CampaignFeedbackReport(Connection& db, uint64_t tenant_id, uint64_t campaign_id,
                                                             int limit) {
  std::string where = "1";
  if (tenant_id) where += " AND c.tenant_id = " + std::to_string(tenant_id);
  if (campaign_id) where += " AND c.id = " + std::to_string(campaign_id);
  TAYORI_ASSIGN_OR_RETURN(
      Rows rows,
      db.Query("SELECT c.id, c.tenant_id, t.slug, d.domain, c.state, COALESCE(c.state_reason, ''), "
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
    f.campaign_id = U64(r[0]);
    f.tenant_id = U64(r[1]);
    f.tenant_slug = Str(r[2]);
    f.domain = Str(r[3]);
    TAYORI_ASSIGN_OR_RETURN(f.state, ReadCampaignState(r[4], "campaigns.state"));
    f.state_reason = Str(r[5]);
    f.started_at = Str(r[6]);
    f.total = U64(r[7]);
    f.sent = U64(r[8]);
    f.hard_bounces = U64(r[9]);
    f.complaints = U64(r[10]);
    f.suppressed = U64(r[11]);
    f.failed = U64(r[12]);
    f.async_bounces = U64(r[13]);
    f.soft_bounces = U64(r[14]);
    f.unsubscribes = U64(r[15]);
    f.sender_domain_id = U64(r[16]);
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace tayori::store
