#include "app/command_support.h"

#include "app/commands.h"
#include "app/exit_code.h"
#include "base/log.h"

namespace tayori::app {

void ApplyLogging(const config::Config& cfg) {
  log::Level level = log::Level::kInfo;
  log::Format format = log::Format::kText;
  log::ParseLevel(cfg.logging.level, &level);
  log::ParseFormat(cfg.logging.format, &format);
  log::Configure(level, format);
}

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

}  // namespace tayori::app
