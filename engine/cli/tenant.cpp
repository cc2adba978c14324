// `tayori tenant add`: shops (tenants).
#include <cstdio>

#include "cli/cli.h"
#include "cli/support.h"
#include "mime/header_safety.h"
#include "store/admin.h"

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
}

}  // namespace tayori::cli
