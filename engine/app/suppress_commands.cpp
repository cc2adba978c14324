#include "app/command_support.h"
#include "app/suppress_commands.h"

#include <csignal>
#include <cstdio>
#include <functional>
#include <set>
#include <string_view>
#include <vector>

#include "app/commands.h"
#include "app/csv_import.h"
#include "app/exit_code.h"
#include "app/http_service.h"
#include "base/log.h"
#include "config/config.h"
#include "csv/reader.h"
#include "loop/loop.h"
#include "mime/address.h"
#include "mime/utf8.h"
#include "store/admin.h"
#include "store/db_worker.h"
#include "store/keys.h"
#include "store/suppressions.h"

namespace tayori::app {
namespace {

constexpr size_t kImportBatch = 500;
constexpr int kListLimit = 10'000'000;

struct Scope {
  uint64_t tenant_id = 0;
  uint64_t list_id = 0;  // 0: the whole shop
};

// Loads the config, connects, resolves --tenant/--list, runs `fn`.
int WithScope(const std::string& config_path, const char* command, const std::string& tenant,
              const std::string& list, const std::function<Status(store::Connection&, const Scope&)>& fn) {
  auto cfg = config::LoadConfigFile(config_path);
  if (!cfg.ok()) return ReportFailure(cfg.status(), command);
  ApplyLogging(*cfg);
  auto password = config::ResolveSecret(cfg->database.password_env, "database.password_env");
  if (!password.ok()) return ReportFailure(password.status(), command);
  auto db = store::Connection::Open(cfg->database, *password);
  if (!db.ok()) return ReportFailure(db.status(), command);
  Scope scope;
  auto tenant_id = store::TenantIdBySlug(**db, tenant);
  if (!tenant_id.ok()) return ReportFailure(tenant_id.status(), command);
  scope.tenant_id = *tenant_id;
  if (!list.empty()) {
    auto list_id = store::ListIdBySlug(**db, scope.tenant_id, list);
    if (!list_id.ok()) return ReportFailure(list_id.status(), command);
    scope.list_id = *list_id;
  }
  Status st = fn(**db, scope);
  if (!st.ok()) return ReportFailure(st, command);
  return kExitOk;
}

Result<std::string> NormalizeAddress(std::string_view text) {
  if (!mime::IsValidUtf8(text)) return InvalidInput("the address is not UTF-8");
  TAYORI_ASSIGN_OR_RETURN(mime::Mailbox m, mime::ParseAddrSpec(text));
  return m.AddrSpec();
}

std::string Where(const std::string& tenant, const std::string& list) {
  return list.empty() ? "shop " + tenant : "shop " + tenant + ", list " + list;
}

// One transaction: the new rows, and one audit event per new row (the same
// event AddSuppression writes). Returns how many rows were new.
Result<uint64_t> InsertBatch(store::Connection& db, const Scope& scope, const std::vector<std::string>& emails,
                             const std::string& source) {
  if (emails.empty()) return uint64_t{0};
  std::string values, in;
  for (const auto& e : emails) {
    std::string q = db.Quote(e);
    if (!values.empty()) {
      values += ", ";
      in += ", ";
    }
    values += "(" + std::to_string(scope.tenant_id) + ", " + q + ", " + std::to_string(scope.list_id) + ", 'import', " +
              db.Quote(source) + ")";
    in += q;
  }
  TAYORI_RETURN_IF_ERROR(db.Execute("START TRANSACTION"));
  auto fail = [&db](Status st) -> Result<uint64_t> {
    (void)db.Execute("ROLLBACK");
    return st;
  };
  Status st = db.Execute("INSERT IGNORE INTO suppressions (tenant_id, email, list_id, reason, source) VALUES " + values);
  if (!st.ok()) return fail(st);
  uint64_t added = db.affected_rows();
  if (added > 0) {
    // LAST_INSERT_ID() is the first id this statement generated; rows that
    // already existed are older, so "id >= first" picks exactly the new ones.
    uint64_t first = db.last_insert_id();
    std::string detail = std::string("import via ") + source + (scope.list_id ? " for list " + std::to_string(scope.list_id)
                                                                              : std::string(" for the whole shop"));
    st = db.Execute("INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) "
                    "SELECT tenant_id, 'suppression', id, 'suppressed', 'cli', " + db.Quote(detail) +
                    " FROM suppressions WHERE tenant_id = " + std::to_string(scope.tenant_id) +
                    " AND list_id = " + std::to_string(scope.list_id) + " AND id >= " + std::to_string(first) +
                    " AND email IN (" + in + ")");
    if (!st.ok()) return fail(st);
  }
  st = db.Execute("COMMIT");
  if (!st.ok()) return fail(st);
  return added;
}

}  // namespace

int RunSuppressAdd(const std::string& config_path, const std::string& tenant, const std::string& list,
                   const std::string& address) {
  return WithScope(config_path, "suppress add", tenant, list, [&](store::Connection& db, const Scope& scope) -> Status {
    TAYORI_ASSIGN_OR_RETURN(std::string email, NormalizeAddress(address));
    store::SuppressionRow row;
    row.tenant_id = scope.tenant_id;
    row.email = email;
    row.list_id = scope.list_id;
    row.reason = "operator";
    row.source = "cli";
    TAYORI_ASSIGN_OR_RETURN(bool added, store::AddSuppression(db, row, "cli"));
    std::printf("%s %s at %s\n", added ? "suppressed" : "already suppressed:", email.c_str(), Where(tenant, list).c_str());
    return Status::Ok();
  });
}

int RunSuppressRemove(const std::string& config_path, const std::string& tenant, const std::string& list,
                      const std::string& address) {
  return WithScope(config_path, "suppress remove", tenant, list, [&](store::Connection& db, const Scope& scope) -> Status {
    TAYORI_ASSIGN_OR_RETURN(std::string email, NormalizeAddress(address));
    TAYORI_ASSIGN_OR_RETURN(bool removed, store::RemoveSuppression(db, scope.tenant_id, email, scope.list_id, "cli"));
    if (!removed) return NotFound(email + " is not suppressed at " + Where(tenant, list));
    std::printf("removed the suppression of %s at %s\n", email.c_str(), Where(tenant, list).c_str());
    return Status::Ok();
  });
}

int RunSuppressList(const std::string& config_path, const std::string& tenant, const std::string& list,
                    const std::string& address, bool json) {
  return WithScope(config_path, "suppress list", tenant, list, [&](store::Connection& db, const Scope& scope) -> Status {
    std::string email;
    if (!address.empty()) {
      TAYORI_ASSIGN_OR_RETURN(email, NormalizeAddress(address));
    }
    TAYORI_ASSIGN_OR_RETURN(auto rows, store::ListSuppressions(db, scope.tenant_id, kListLimit));
    if (!json) std::printf("%-40s %-8s %-12s %-14s %-10s %s\n", "EMAIL", "LIST", "REASON", "SOURCE", "CAMPAIGN", "CREATED");
    for (const auto& r : rows) {
      if (!list.empty() && r.list_id != scope.list_id) continue;
      if (!email.empty() && r.email != email) continue;
      std::string list_col = r.list_id ? std::to_string(r.list_id) : "*";
      std::string campaign = r.campaign_id ? std::to_string(r.campaign_id) : "-";
      if (json) {
        std::printf("{\"email\":\"%s\",\"list_id\":%llu,\"reason\":\"%s\",\"source\":\"%s\",\"campaign_id\":%llu,"
                    "\"created_at\":\"%s\"}\n",
                    log::JsonEscape(r.email).c_str(), static_cast<unsigned long long>(r.list_id),
                    log::JsonEscape(r.reason).c_str(), log::JsonEscape(r.source).c_str(),
                    static_cast<unsigned long long>(r.campaign_id), log::JsonEscape(r.created_at).c_str());
      } else {
        std::printf("%-40s %-8s %-12s %-14s %-10s %s\n", r.email.c_str(), list_col.c_str(), r.reason.c_str(),
                    r.source.c_str(), campaign.c_str(), r.created_at.c_str());
      }
    }
    return Status::Ok();
  });
}

int RunSuppressImport(const std::string& config_path, const std::string& tenant, const std::string& list,
                      const std::string& file) {
  return WithScope(config_path, "suppress import", tenant, list, [&](store::Connection& db, const Scope& scope) -> Status {
    // One address per row in the first column; other columns (a reason, a
    // date) are the exporter's and ignored. A header line is optional, and
    // lines starting with '#' are comments.
    csv::ReaderOptions options;
    options.skip_comment_lines = true;
    CsvImport csv("suppress import", file, options);
    TAYORI_RETURN_IF_ERROR(csv.Open());
    std::vector<std::string> batch;
    std::set<std::string> in_batch;
    uint64_t good = 0, added = 0;
    auto flush = [&]() -> Status {
      TAYORI_ASSIGN_OR_RETURN(uint64_t n, InsertBatch(db, scope, batch, "csv import"));
      added += n;
      batch.clear();
      in_batch.clear();
      return Status::Ok();
    };
    csv::Record rec;
    bool first = true;
    while (csv.Next(&rec)) {
      std::string_view field = TrimBlanks(rec.fields[0]);
      if (first && (field == "email" || field == "Email" || field == "EMAIL" || field == "address")) {
        first = false;
        continue;
      }
      first = false;
      auto email = NormalizeAddress(field);
      if (!email.ok()) {
        csv.Reject(rec, email.status().message());
        continue;
      }
      ++good;
      if (in_batch.insert(*email).second) batch.push_back(std::move(email).value());
      if (batch.size() >= kImportBatch) TAYORI_RETURN_IF_ERROR(flush());
    }
    TAYORI_RETURN_IF_ERROR(flush());
    std::printf("imported %llu addresses (%llu new suppressions) into %s; %llu rows rejected\n",
                static_cast<unsigned long long>(good), static_cast<unsigned long long>(added),
                Where(tenant, list).c_str(), static_cast<unsigned long long>(csv.rejected()));
    return csv.Finish();
  });
}

int RunServeUnsubscribe(const std::string& config_path) {
  const char* command = "serve-unsubscribe";
  auto cfg = config::LoadConfigFile(config_path);
  if (!cfg.ok()) return ReportFailure(cfg.status(), command);
  ApplyLogging(*cfg);
  auto password = config::ResolveSecret(cfg->database.password_env, "database.password_env");
  if (!password.ok()) return ReportFailure(password.status(), command);
  loop::Loop loop;
  int rc = kExitOk;
  {
    store::DbWorker db("db-unsubscribe", cfg->database, *password, loop);
    HttpService service(loop, *cfg, db);
    Status st = service.Start();
    if (!st.ok()) {
      rc = ReportFailure(st, command);
    } else {
      loop::SignalWatcher term(loop, SIGTERM, [&loop] { loop.Stop(); });
      loop::SignalWatcher intr(loop, SIGINT, [&loop] { loop.Stop(); });
      std::printf("listening on %s:%d\n", cfg->http.listen_address.c_str(), service.port());
      std::fflush(stdout);
      loop.Run();
      log::Info("http", "stopping on signal");
    }
  }
  return rc;
}

}  // namespace tayori::app
