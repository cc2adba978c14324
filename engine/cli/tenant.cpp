// `tayori tenant add|list`: shops (tenants).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/json_print.h"
#include "cli/support.h"
#include "mime/header_safety.h"
#include "store/admin.h"
#include "store/listing.h"

namespace tayori::cli {
namespace {

int RunTenantAdd(const std::string& config_path, const std::string& slug, const std::string& name,
                 const std::string& sender_id, const std::string& fields_file) {
  return WithDb(config_path, "tenant add", [&](const config::Config&, store::Connection& db) -> Status {
    if (sender_id.size() < 5 || sender_id.size() > 15)
      return InvalidInput("--sender-id '" + sender_id + "' must be 5 to 15 characters (Feedback-ID SenderId)");
    TAYORI_RETURN_IF_ERROR(mime::CheckHeaderText("--name", name));
    TAYORI_ASSIGN_OR_RETURN(std::string fields, ReadFieldsFile(fields_file));
    TAYORI_ASSIGN_OR_RETURN(uint64_t id, store::AddTenant(db, slug, name, sender_id, fields));
    std::printf("shop %s added (id %llu)\n", slug.c_str(), static_cast<unsigned long long>(id));
    return Status::Ok();
  });
}

int RunTenantList(const std::string& config_path, bool json, int limit) {
  return WithDb(config_path, "tenant list", [&](const config::Config&, store::Connection& db) -> Status {
    TAYORI_ASSIGN_OR_RETURN(auto shops, store::ListTenants(db, limit));
    if (!json) std::printf("%-6s %-20s %-15s %6s %8s %10s  %s\n", "ID", "SLUG", "SENDER-ID", "LISTS", "DOMAINS",
                           "CAMPAIGNS", "NAME");
    for (const auto& t : shops) {
      if (json) {
        PrintJsonLine({{"id", t.id}, {"slug", t.slug}, {"name", t.name}, {"sender_id", t.sender_id},
                       {"created_at", t.created_at}, {"lists", t.lists}, {"sender_domains", t.sender_domains},
                       {"campaigns", t.campaigns}});
      } else {
        std::printf("%-6llu %-20s %-15s %6llu %8llu %10llu  %s\n", static_cast<unsigned long long>(t.id),
                    t.slug.c_str(), t.sender_id.c_str(), static_cast<unsigned long long>(t.lists),
                    static_cast<unsigned long long>(t.sender_domains), static_cast<unsigned long long>(t.campaigns),
                    t.name.c_str());
      }
    }
    if (!json && static_cast<int>(shops.size()) == limit)
      std::fprintf(stderr, "tayori: tenant list: the first %d shops shown; --limit shows more\n", limit);
    return Status::Ok();
  });
}

}  // namespace

void AddTenantCommands(CLI::App& app, CliContext& ctx) {
  auto* tenant = app.add_subcommand("tenant", "shops (tenants)");
  tenant->require_subcommand(1);
  auto* tadd = tenant->add_subcommand("add", "add a shop");
  auto t = std::make_shared<std::array<std::string, 4>>();
  tadd->add_option("slug", (*t)[0], "short name")->required();
  tadd->add_option("--name", (*t)[1], "shop name shown to subscribers")->required();
  tadd->add_option("--sender-id", (*t)[2], "Feedback-ID SenderId, 5-15 characters")->required();
  tadd->add_option("--fields", (*t)[3], "JSON file: object of strings, the shop.<key> template variables");
  tadd->callback([&ctx, t] {
    ctx.run = [&ctx, t] { return RunTenantAdd(ctx.config_path, (*t)[0], (*t)[1], (*t)[2], (*t)[3]); };
  });
  struct ListOptions {
    bool json = false;
    int limit = 100000;
  };
  auto lo = std::make_shared<ListOptions>();
  auto* tlist = tenant->add_subcommand("list", "list the shops with their lists, domains and campaigns");
  tlist->add_flag("--json", lo->json, "one JSON object per shop");
  tlist->add_option("--limit", lo->limit, "at most this many shops")->check(CLI::Range(1, 10000000))->capture_default_str();
  tlist->callback([&ctx, lo] { ctx.run = [&ctx, lo] { return RunTenantList(ctx.config_path, lo->json, lo->limit); }; });
}

}  // namespace tayori::cli
