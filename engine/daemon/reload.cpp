#include "daemon/reload.h"

#include <map>
#include <sstream>
#include <utility>

namespace tayori::daemon {
namespace {

// The effective configuration as ordered (setting, value) pairs, from the
// same text `tayori config check` prints: every setting is compared the way
// an operator sees it, and a setting added to config.h is covered without
// touching this file. A [[table]] array is one setting (its whole text).
std::vector<std::pair<std::string, std::string>> Flatten(const config::Config& c) {
  std::vector<std::pair<std::string, std::string>> out;
  std::map<std::string, size_t> array_at;
  std::istringstream in(config::Describe(c));
  std::string line, section;
  bool array = false;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("[[", 0) == 0) {
      section = line.substr(2, line.find("]]") - 2);
      array = true;
      if (!array_at.contains(section)) {
        array_at[section] = out.size();
        out.emplace_back(section, "");
      }
      out[array_at[section]].second += line + "\n";
      continue;
    }
    if (line[0] == '[') {
      section = line.substr(1, line.find(']') - 1);
      array = false;
      continue;
    }
    if (array) {
      out[array_at[section]].second += line + "\n";
      continue;
    }
    auto eq = line.find(" = ");
    if (eq == std::string::npos) continue;
    out.emplace_back(section + "." + line.substr(0, eq), line.substr(eq + 3));
  }
  return out;
}

// Copies the restart-only settings of `running` into `next`.
void KeepRestartOnly(const config::Config& running, config::Config& next) {
  next.database = running.database;
  next.http = running.http;
  next.admin.listen_address = running.admin.listen_address;
  next.admin.port = running.admin.port;
  next.inbound = running.inbound;
  next.envelope = running.envelope;
  next.dkim = running.dkim;
  next.engine.instance_name = running.engine.instance_name;
  next.engine.worker_threads = running.engine.worker_threads;
  next.engine.lease_s = running.engine.lease_s;
  next.engine.poll_interval_ms = running.engine.poll_interval_ms;
  next.readiness.interval_s = running.readiness.interval_s;
}

std::vector<std::string> Differences(const std::vector<std::pair<std::string, std::string>>& a,
                                     const std::vector<std::pair<std::string, std::string>>& b) {
  std::map<std::string, std::string> before(a.begin(), a.end());
  std::vector<std::string> out;
  for (const auto& [key, value] : b) {
    auto it = before.find(key);
    if (it == before.end() || it->second != value) out.push_back(key);
  }
  // A [[table]] array that disappeared entirely is a change too.
  std::map<std::string, std::string> after(b.begin(), b.end());
  for (const auto& [key, value] : a)
    if (!after.contains(key)) out.push_back(key);
  return out;
}

}  // namespace

bool ReloadPlan::Changed(std::string_view section) const {
  for (const auto& name : applied)
    if (name == section || (name.size() > section.size() && name.compare(0, section.size(), section) == 0 &&
                            name[section.size()] == '.'))
      return true;
  return false;
}

ReloadPlan PlanReload(const config::Config& running, const config::Config& file) {
  ReloadPlan plan;
  plan.next = file;
  KeepRestartOnly(running, plan.next);
  auto running_flat = Flatten(running);
  auto file_flat = Flatten(file);
  auto next_flat = Flatten(plan.next);
  plan.applied = Differences(running_flat, next_flat);
  plan.need_restart = Differences(next_flat, file_flat);
  return plan;
}

std::string JoinSettings(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace tayori::daemon
