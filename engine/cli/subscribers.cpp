// `tayori subscribers import`: a CSV streamed into a list (cli/csv_import.h).
#include <chrono>
#include <nlohmann/json.hpp>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "cli/cli.h"
#include "cli/csv_import.h"
#include "cli/support.h"
#include "base/log.h"
#include "csv/reader.h"
#include "mime/address.h"
#include "mime/header_safety.h"
#include "mime/utf8.h"
#include "store/admin.h"
#include "store/keys.h"

namespace tayori::cli {
namespace {

// subscribers.display_name is VARCHAR(255): MariaDB counts characters.
constexpr size_t kMaxNameChars = 255;

size_t CountCodePoints(std::string_view utf8) {
  size_t n = 0;
  for (unsigned char c : utf8) n += (c & 0xC0) != 0x80;
  return n;
}

// Checks one row of a subscriber CSV against its header and builds the row
// to store; the error says what is wrong with it (for "FILE:LINE: reason").
Result<store::ImportRow> SubscriberRow(const std::vector<std::string>& header, const std::vector<std::string>& rec) {
  if (rec.size() != header.size())
    return InvalidInput(std::to_string(rec.size()) + (rec.size() == 1 ? " field" : " fields") + " where the header has " +
                        std::to_string(header.size()));
  std::string_view email = TrimBlanks(rec[0]);
  if (!mime::IsValidUtf8(email)) return InvalidInput("email: invalid UTF-8");
  TAYORI_ASSIGN_OR_RETURN(mime::Mailbox mailbox, mime::ParseAddrSpec(email));
  store::ImportRow row;
  row.email = mailbox.AddrSpec();
  if (rec.size() > 1) {
    TAYORI_RETURN_IF_ERROR(mime::CheckHeaderText("name", rec[1]));  // valid UTF-8 first, so characters count
    size_t chars = CountCodePoints(rec[1]);
    if (chars > kMaxNameChars)
      return InvalidInput("name: " + std::to_string(chars) + " characters, longer than the " +
                          std::to_string(kMaxNameChars) + " of subscribers.display_name");
    row.display_name = rec[1];
  }
  if (rec.size() > 2) {
    nlohmann::json fields = nlohmann::json::object();
    for (size_t i = 2; i < rec.size(); ++i) {
      TAYORI_RETURN_IF_ERROR(mime::CheckBodyText(header[i], rec[i]));
      if (!mime::IsValidUtf8(header[i])) return InvalidInput("column " + std::to_string(i + 1) + ": invalid UTF-8 in the header");
      fields[header[i]] = rec[i];
    }
    row.fields_json = fields.dump();
  }
  return row;
}

int RunSubscribersImport(const std::string& config_path, const std::string& tenant, const std::string& list,
                         const std::string& file) {
  return WithDb(config_path, "subscribers import", [&](const config::Config&, store::Connection& db) -> Status {
    TAYORI_ASSIGN_OR_RETURN(uint64_t tenant_id, store::TenantIdBySlug(db, tenant));
    TAYORI_ASSIGN_OR_RETURN(uint64_t list_id, store::ListIdBySlug(db, tenant_id, list));
    CsvImport csv("subscribers import", file);
    TAYORI_RETURN_IF_ERROR(csv.Open());
    csv::Record rec;
    TAYORI_RETURN_IF_ERROR(csv.ReadHeader(&rec));
    std::vector<std::string> header = std::move(rec.fields);
    std::string where = file + ":" + std::to_string(rec.line) + ": header: ";
    if (std::string_view first = TrimBlanks(header[0]); first != "email" && first != "Email" && first != "EMAIL")
      return InvalidInput(where + "the first column must be 'email' (header: email,name,field...)");
    for (const auto& h : header)
      if (!mime::IsValidUtf8(h)) return InvalidInput(where + "a column name is not valid UTF-8");
    std::vector<store::ImportRow> batch;
    long good = 0, added = 0;
    auto t0 = std::chrono::steady_clock::now();
    auto flush = [&]() -> Status {
      TAYORI_ASSIGN_OR_RETURN(int n, store::ImportSubscribers(db, tenant_id, list_id, batch));
      added += n;
      batch.clear();
      return Status::Ok();
    };
    while (csv.Next(&rec)) {
      auto row = SubscriberRow(header, rec.fields);
      if (!row.ok()) {
        csv.Reject(rec, row.status().message());
        continue;
      }
      batch.push_back(std::move(row).value());
      ++good;
      if (batch.size() >= 1000) TAYORI_RETURN_IF_ERROR(flush());
      if (good % 100000 == 0)
        std::fprintf(stderr, "tayori: subscribers import: %ld rows imported...\n", good);
    }
    TAYORI_RETURN_IF_ERROR(flush());
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("imported %ld rows (%ld new list members) into %s/%s in %.1f s; %llu rows rejected\n", good, added,
                tenant.c_str(), list.c_str(), secs, static_cast<unsigned long long>(csv.rejected()));
    return csv.Finish();
  });
}

}  // namespace

void AddSubscribersCommands(CLI::App& app, CliContext& ctx) {
  auto* subscribers = app.add_subcommand("subscribers", "subscribers of a shop");
  subscribers->require_subcommand(1);
  auto s = std::make_shared<std::array<std::string, 3>>();
  auto* import = subscribers->add_subcommand("import", "stream a CSV (email,name,field...) into a list");
  import->add_option("--tenant", (*s)[0], "shop slug")->required();
  import->add_option("--list", (*s)[1], "list slug")->required();
  import->add_option("file", (*s)[2], "CSV file with a header row")->required();
  import->callback([&ctx, s] {
    ctx.run = [&ctx, s] { return RunSubscribersImport(ctx.config_path, (*s)[0], (*s)[1], (*s)[2]); };
  });
}

}  // namespace tayori::cli
