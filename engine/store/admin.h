// Operator and web-app style writes used by the CLI: shops, lists,
// campaigns, subscriber imports, campaign status. The platform's web app
// writes the same rows directly (docs/schema.md); these exist so operators and
// the demo can do it from the command line.
#pragma once

#include <cstdint>
#include <memory>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "scheduler/states.h"
#include "store/connection.h"

namespace tayori::store {

// fields_json: "" or a JSON object of strings (shop.<key> template variables).
Result<uint64_t> AddTenant(Connection& db, const std::string& slug, const std::string& name,
                           const std::string& sender_id, const std::string& fields_json);
Result<uint64_t> AddList(Connection& db, uint64_t tenant_id, const std::string& slug, const std::string& name);
Result<uint64_t> ListIdBySlug(Connection& db, uint64_t tenant_id, const std::string& slug);

struct NewCampaign {
  uint64_t tenant_id = 0;
  uint64_t list_id = 0;
  uint64_t sender_domain_id = 0;
  std::string from_address, from_name, reply_to;
  std::string subject_template, text_template, html_template;
  std::string mail_type = "newsletter";
  std::string fields_json;  // "" or a JSON object (campaign.<key> template variables)
};
Result<uint64_t> CreateCampaign(Connection& db, const NewCampaign& c);
// scheduled_at: "YYYY-MM-DD HH:MM:SS" UTC, or empty for now.
Result<bool> ScheduleCampaign(Connection& db, uint64_t id, const std::string& at_utc, const std::string& actor);

struct ImportRow {
  std::string email;         // validated, domain in A-label form
  std::string display_name;
  std::string fields_json;   // "" or a JSON object
};
// Upserts subscribers of the tenant and adds them to the list (subscribed).
// Returns how many rows were new list members.
Result<int> ImportSubscribers(Connection& db, uint64_t tenant_id, uint64_t list_id, const std::vector<ImportRow>& rows);

struct CampaignSummary {
  uint64_t id = 0;
  std::string tenant_slug, list_slug, domain;
  scheduler::CampaignState state = scheduler::CampaignState::kDraft;
  std::string state_reason, scheduled_at, started_at, finished_at;
  uint64_t total = 0, sent = 0, failed = 0, bounced = 0, suppressed = 0, expired = 0, unknown = 0, cancelled = 0;
  bool expanded = false;
  std::map<std::string, uint64_t> by_state;  // deliveries per state, from the deliveries table
};
Result<CampaignSummary> GetCampaignSummary(Connection& db, uint64_t id);
// Cancels: the campaign and every delivery not yet sent or leased.
Result<int> CancelCampaignDeliveries(Connection& db, uint64_t id);

// One row of the audit trail (events). `detail` is made valid UTF-8 and cut
// to fit; never a secret or a message body.
Status RecordEvent(Connection& db, uint64_t tenant_id, const std::string& subject_type, uint64_t subject_id,
                   const std::string& kind, const std::string& actor, const std::string& detail);

// A MariaDB named lock (GET_LOCK) held while the object lives, released when
// it is destroyed (or when the session ends). Acquire fails kPermanent when
// another session holds it for longer than `wait_s`.
class NamedLock {
 public:
  static Result<std::unique_ptr<NamedLock>> Acquire(Connection& db, const std::string& name, int wait_s);
  ~NamedLock();
  NamedLock(const NamedLock&) = delete;
  NamedLock& operator=(const NamedLock&) = delete;

 private:
  NamedLock(Connection& db, std::string name) : db_(db), name_(std::move(name)) {}
  Connection& db_;
  std::string name_;
};

}  // namespace tayori::store
