// `tayori suppress add|remove|list|import`: addresses a shop must not mail.
// `--list` is a list slug of the shop; without it the suppression covers the
// whole shop (list_id 0). Addresses are checked with mime::ParseAddrSpec and
// stored in the form subscriber imports use (domain in lower-case A-labels),
// so a suppression matches the subscriber it names. `import` reads a CSV whose
// first column is the address; bad rows are reported by line and the command
// exits 2 after writing the good ones.
#include "cli/cli.h"
#include "cli/json_print.h"
#include "cli/support.h"
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>
#include <vector>

#include "cli/csv_import.h"
#include "base/log.h"
#include "config/config.h"
#include "csv/reader.h"
#include "mime/address.h"
#include "mime/utf8.h"
#include "store/admin.h"
#include "store/keys.h"
#include "store/suppressions.h"

namespace tayori::cli {
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
        PrintJsonLine({{"email", r.email}, {"list_id", r.list_id}, {"reason", r.reason}, {"source", r.source},
                       {"campaign_id", r.campaign_id}, {"created_at", r.created_at}});
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
      TAYORI_ASSIGN_OR_RETURN(uint64_t n, store::ImportSuppressions(db, scope.tenant_id, scope.list_id, batch, "csv import"));
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

}  // namespace

void AddSuppressCommands(CLI::App& app, CliContext& ctx) {
  auto* suppress = app.add_subcommand("suppress", "addresses a shop must not mail (per shop, or per list)");
  suppress->require_subcommand(1);
  struct Options {
    std::string tenant, list, address, file;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  auto common = [o](CLI::App* cmd) {
    cmd->add_option("--tenant", o->tenant, "shop slug")->required();
    cmd->add_option("--list", o->list, "list slug (default: the whole shop)");
  };

  auto* add = suppress->add_subcommand("add", "suppress an address");
  common(add);
  add->add_option("address", o->address, "the address")->required();
  add->callback([&ctx, o] { ctx.run = [&ctx, o] { return RunSuppressAdd(ctx.config_path, o->tenant, o->list, o->address); }; });

  auto* remove = suppress->add_subcommand("remove", "lift a suppression");
  common(remove);
  remove->add_option("address", o->address, "the address")->required();
  remove->callback(
      [&ctx, o] { ctx.run = [&ctx, o] { return RunSuppressRemove(ctx.config_path, o->tenant, o->list, o->address); }; });

  auto* list = suppress->add_subcommand("list", "show a shop's suppressions");
  common(list);
  list->add_option("address", o->address, "only this address");
  list->add_flag("--json", o->json, "one JSON object per line");
  list->callback([&ctx, o] {
    ctx.run = [&ctx, o] { return RunSuppressList(ctx.config_path, o->tenant, o->list, o->address, o->json); };
  });

  auto* import = suppress->add_subcommand("import", "import an existing suppression list (CSV, address first)");
  common(import);
  import->add_option("file", o->file, "CSV file")->required();
  import->callback(
      [&ctx, o] { ctx.run = [&ctx, o] { return RunSuppressImport(ctx.config_path, o->tenant, o->list, o->file); }; });
}

}  // namespace tayori::cli
