#include "cli/support.h"

#include <filesystem>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "mime/header_safety.h"

namespace tayori::cli {

int ReportFailure(const Status& status, const char* context) {
  std::string_view prefix = log::PriorityPrefix(log::Level::kError);
  std::fprintf(stderr, "%.*stayori: %s: %s\n", static_cast<int>(prefix.size()), prefix.data(), context,
               status.message().c_str());
  switch (status.error_class()) {
    case ErrorClass::kConfig:
    case ErrorClass::kInvalidInput:
      return kExitUsage;
    default:
      return kExitFailure;
  }
}

void ApplyLogging(const config::Config& cfg) { config::ApplyLogging(cfg.logging); }

int WithDb(const std::string& config_path, const char* command,
           const std::function<Status(const config::Config&, store::Connection&)>& fn) {
  auto cfg = config::LoadConfigFile(config_path);
  if (!cfg.ok()) return ReportFailure(cfg.status(), command);
  ApplyLogging(*cfg);
  auto password = config::ResolveSecret(cfg->database.password_env, "database.password_env");
  if (!password.ok()) return ReportFailure(password.status(), command);
  auto db = store::Connection::Open(cfg->database, *password);
  if (!db.ok()) return ReportFailure(db.status(), command);
  Status st = fn(*cfg, **db);
  if (!st.ok()) return ReportFailure(st, command);
  return kExitOk;
}

std::string DefaultConfigPath() {
  std::error_code ec;
  if (std::filesystem::exists("config/tayori.toml", ec)) return "config/tayori.toml";
  return TAYORI_INSTALLED_CONFIG;
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidInput(path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<std::string> ReadFieldsFile(const std::string& path) {
  if (path.empty()) return std::string();
  TAYORI_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return InvalidInput(path + ": expected a JSON object of strings");
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it->is_string()) return InvalidInput(path + ": field '" + it.key() + "' is not a string");
    TAYORI_RETURN_IF_ERROR(mime::CheckBodyText(it.key(), it->get<std::string>()));
  }
  return j.dump();
}

}  // namespace tayori::cli
