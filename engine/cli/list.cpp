// `tayori list add|list`: a shop's mailing lists.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/json_print.h"
#include "cli/support.h"
#include "mime/header_safety.h"
#include "store/admin.h"
#include "store/keys.h"
#include "store/listing.h"

namespace tayori::cli {
namespace {

int RunListAdd(const std::string& config_path, const std::string& tenant, const std::string& slug,
               const std::string& name) {
  return WithDb(config_path, "list add", [&](const config::Config&, store::Connection& db) -> Status {
    TAYORI_RETURN_IF_ERROR(mime::CheckHeaderText("--name", name));
    TAYORI_ASSIGN_OR_RETURN(uint64_t tenant_id, store::TenantIdBySlug(db, tenant));
    TAYORI_ASSIGN_OR_RETURN(uint64_t id, store::AddList(db, tenant_id, slug, name));
    std::printf("list %s of shop %s added (id %llu)\n", slug.c_str(), tenant.c_str(), static_cast<unsigned long long>(id));
    return Status::Ok();
  });
}

int RunListList(const std::string& config_path, const std::string& tenant, bool json, int limit) {
  return WithDb(config_path, "list list", [&](const config::Config&, store::Connection& db) -> Status {
    uint64_t tenant_id = 0;
    if (!tenant.empty()) {
      TAYORI_ASSIGN_OR_RETURN(tenant_id, store::TenantIdBySlug(db, tenant));
    }
    TAYORI_ASSIGN_OR_RETURN(auto lists, store::ListLists(db, tenant_id, limit));
    if (!json) std::printf("%-6s %-20s %-20s %11s %13s  %s\n", "ID", "SHOP", "LIST", "SUBSCRIBED", "UNSUBSCRIBED", "NAME");
    for (const auto& l : lists) {
      if (json) {
        PrintJsonLine({{"id", l.id}, {"tenant", l.tenant_slug}, {"slug", l.slug}, {"name", l.name},
                       {"created_at", l.created_at}, {"subscribed", l.subscribed}, {"unsubscribed", l.unsubscribed}});
      } else {
        std::printf("%-6llu %-20s %-20s %11llu %13llu  %s\n", static_cast<unsigned long long>(l.id),
                    l.tenant_slug.c_str(), l.slug.c_str(), static_cast<unsigned long long>(l.subscribed),
                    static_cast<unsigned long long>(l.unsubscribed), l.name.c_str());
      }
    }
    if (!json && static_cast<int>(lists.size()) == limit)
      std::fprintf(stderr, "tayori: list list: the first %d lists shown; --limit shows more\n", limit);
    return Status::Ok();
  });
}

}  // namespace

void AddListCommands(CLI::App& app, CliContext& ctx) {
  auto* list = app.add_subcommand("list", "mailing lists");
  list->require_subcommand(1);
  auto* ladd = list->add_subcommand("add", "add a list to a shop");
  auto l = std::make_shared<std::array<std::string, 3>>();
  ladd->add_option("slug", (*l)[1], "list short name (used in List-Id)")->required();
  ladd->add_option("--tenant", (*l)[0], "shop slug")->required();
  ladd->add_option("--name", (*l)[2], "list name")->required();
  ladd->callback([&ctx, l] { ctx.run = [&ctx, l] { return RunListAdd(ctx.config_path, (*l)[0], (*l)[1], (*l)[2]); }; });
  struct ListOptions {
    std::string tenant;
    bool json = false;
    int limit = 100000;
  };
  auto lo = std::make_shared<ListOptions>();
  auto* llist = list->add_subcommand("list", "list mailing lists with their subscriber counts");
  llist->add_option("--tenant", lo->tenant, "only this shop's lists");
  llist->add_flag("--json", lo->json, "one JSON object per list");
  llist->add_option("--limit", lo->limit, "at most this many lists")->check(CLI::Range(1, 10000000))->capture_default_str();
  llist->callback([&ctx, lo] {
    ctx.run = [&ctx, lo] { return RunListList(ctx.config_path, lo->tenant, lo->json, lo->limit); };
  });
}

}  // namespace tayori::cli
