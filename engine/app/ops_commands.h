// Operator commands: shops, lists, campaigns, subscriber
// imports, and the daemon itself (sender domains: domain_commands.h). Each returns the process exit code
// (commands.h) and prints errors as "tayori: <command>: <reason>".
#pragma once

#include <cstdint>
#include <string>

namespace tayori::app {

int RunEngine(const std::string& config_path, const std::string& instance, bool exit_when_idle);

// fields_file: "" or a JSON file with an object of strings (shop.<key> variables).
int RunTenantAdd(const std::string& config_path, const std::string& slug, const std::string& name,
                 const std::string& sender_id, const std::string& fields_file);
int RunListAdd(const std::string& config_path, const std::string& tenant, const std::string& slug,
               const std::string& name);

struct CampaignCreateOptions {
  std::string tenant, list, domain, from, from_name, reply_to;
  std::string template_dir;          // subject.mustache, text.mustache, html.mustache
  std::string subject, text_file, html_file;
  std::string mail_type = "newsletter";
  std::string fields_file;           // JSON object of strings: campaign.<key> variables
  bool schedule = false;
  std::string at;                    // "YYYY-MM-DD HH:MM:SS" UTC
};
int RunCampaignCreate(const std::string& config_path, const CampaignCreateOptions& o);
int RunCampaignSchedule(const std::string& config_path, uint64_t id, const std::string& at);
int RunCampaignPause(const std::string& config_path, uint64_t id);
int RunCampaignResume(const std::string& config_path, uint64_t id);
int RunCampaignCancel(const std::string& config_path, uint64_t id);
int RunCampaignStatus(const std::string& config_path, uint64_t id, bool json, bool watch);

int RunSubscribersImport(const std::string& config_path, const std::string& tenant, const std::string& list,
                         const std::string& file);

}  // namespace tayori::app
