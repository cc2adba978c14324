// `tayori list add`: a shop's mailing lists.
#include <cstdio>

#include "cli/cli.h"
#include "cli/support.h"
#include "mime/header_safety.h"
#include "store/admin.h"
#include "store/keys.h"

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
}

}  // namespace tayori::cli
