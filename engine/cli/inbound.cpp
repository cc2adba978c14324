// `tayori inbound`: the listener for bounces and complaints (daemon/inbound_service.h)
// until SIGTERM/SIGINT, which stop accepting and let open sessions finish;
// prints "listening on ADDRESS:PORT" once ready.
//
// `tayori inbound parse [--json] FILE...`: the inbound feedback parser alone
// (feedback/parser.h), for operators and tests. For each file, one line per
// reported recipient — a bounce, delay, delivery notice, complaint or
// auto-reply — or one `not-feedback` line; with --json one JSON object per
// line with the fields of docs/feedback.md. delivery_id is set only when the
// VERP address verifies with envelope.mac_key_env's key. Exit 0 when every
// file was read, 2 when one could not be (named on stderr).
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/support.h"
#include "base/log.h"
#include "config/config.h"
#include "daemon/inbound_service.h"
#include "daemon/service_notify.h"
#include "loop/loop.h"
#include "store/db_worker.h"
#include "store/feedback.h"
#include "feedback/parser.h"
#include "feedback/records.h"

namespace tayori::cli {
namespace {

void PrintRecord(const feedback::Record& r, bool json) {
  if (json) {
    nlohmann::json j = {{"file", r.file},
                        {"type", r.type},
                        {"recipient", r.recipient},
                        {"status", r.status},
                        {"reply_code", r.reply_code},
                        {"action", r.action},
                        {"hard", r.hard},
                        {"category", r.category},
                        {"feedback_type", r.feedback_type},
                        {"delivery_id", r.delivery_id ? nlohmann::json(*r.delivery_id) : nlohmann::json(nullptr)},
                        {"diagnostic", r.diagnostic}};
    if (!r.reason.empty()) j["reason"] = r.reason;
    std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    return;
  }
  std::string id = r.delivery_id ? std::to_string(*r.delivery_id) : "-";
  std::cout << r.file << ": " << r.type;
  if (!r.recipient.empty()) std::cout << " " << r.recipient;
  if (!r.status.empty()) std::cout << " " << r.status;
  if (!r.reply_code.empty()) std::cout << " (" << r.reply_code << ")";
  if (!r.category.empty()) std::cout << " " << r.category << (r.hard ? " hard" : "");
  if (!r.feedback_type.empty()) std::cout << " feedback-type=" << r.feedback_type;
  std::cout << " delivery=" << id;
  if (!r.diagnostic.empty()) std::cout << " — " << r.diagnostic;
  if (!r.reason.empty()) std::cout << " [" << r.reason << "]";
  std::cout << '\n';
}

int RunInboundParse(const std::string& config_path, const std::vector<std::string>& files, bool json) {
  const char* command = "inbound parse";
  // The VERP key is optional here: without a configuration (or without
  // {mac}), reports are parsed and no delivery id is claimed.
  feedback::VerpKey verp;
  auto cfg = config::LoadConfigFile(config_path);
  if (cfg.ok()) {
    verp.pattern = cfg->envelope.return_path;
    auto key = config::ResolveSecret(cfg->envelope.mac_key_env, "envelope.mac_key_env");
    if (!key.ok()) return ReportFailure(key.status(), command);
    verp.mac_key = *key;
  } else if (cfg.status().error_class() == ErrorClass::kConfig &&
             cfg.status().message().find("cannot open") == std::string::npos) {
    return ReportFailure(cfg.status(), command);  // a broken file is an error; a missing one is not
  }
  feedback::Parser parser(verp);
  int code = kExitOk;
  for (const auto& path : files) {
    auto report = parser.ParseFile(path);
    if (!report.ok()) {
      (void)ReportFailure(report.status(), command);
      code = kExitUsage;
      continue;
    }
    for (const auto& r : feedback::ToRecords(*report, path)) PrintRecord(r, json);
  }
  std::cout.flush();
  return code;
}

int RunInbound(const std::string& config_path) {
  const char* command = "inbound";
  auto cfg = config::LoadConfigFile(config_path);
  if (!cfg.ok()) return ReportFailure(cfg.status(), command);
  ApplyLogging(*cfg);
  auto password = config::ResolveSecret(cfg->database.password_env, "database.password_env");
  if (!password.ok()) return ReportFailure(password.status(), command);
  {
    auto probe = store::Connection::Open(cfg->database, *password);  // fail fast on a wrong database
    if (!probe.ok()) return ReportFailure(probe.status(), command);
  }
  int code = kExitOk;
  {
    loop::Loop loop;
    std::vector<std::unique_ptr<store::DbWorker>> workers;
    std::vector<store::DbWorker*> worker_ptrs;
    for (int i = 0; i < cfg->inbound.database_connections; ++i) {
      workers.push_back(std::make_unique<store::DbWorker>("db-inbound-" + std::to_string(i + 1), cfg->database,
                                                          *password, loop));
      worker_ptrs.push_back(workers.back().get());
    }
    daemon::InboundService service(loop, *cfg, worker_ptrs);
    Status st = service.Start();
    if (!st.ok()) return ReportFailure(st, command);
    std::printf("listening on %s:%d\n", cfg->inbound.listen_address.c_str(), service.port());
    std::fflush(stdout);
    daemon::ServiceNotifier notifier(loop);  // Type=notify units (config/systemd/)
    notifier.Ready("listening on " + cfg->inbound.listen_address + ":" + std::to_string(service.port()));
    bool draining = false;
    auto drain = [&] {
      if (draining) return;
      draining = true;
      notifier.Stopping("draining: open sessions finish");
      service.Drain([&loop] { loop.Stop(); });
    };
    loop::SignalWatcher term(loop, SIGTERM, drain), intr(loop, SIGINT, drain);
    // A stray HUP (a log rotator, `kill -HUP` meant for `tayori run`) must
    // not kill the listener mid-session: the inbound listener's settings
    // are read at start only.
    loop::SignalWatcher hup(loop, SIGHUP, [] {
      log::Warn("inbound", "SIGHUP ignored: restart `tayori inbound` to apply configuration changes");
    });
    loop.Run();
  }
  return code;
}

int RunInboundReprocess(const std::string& config_path, uint64_t from_id, int limit) {
  int failed = 0;
  int code = WithDb(config_path, "inbound reprocess", [&](const config::Config& cfg, store::Connection& db) -> Status {
    TAYORI_ASSIGN_OR_RETURN(daemon::ReprocessSummary sum,
                            daemon::ReprocessInbound(cfg, db, from_id, limit, [](const std::string& line) {
                              std::printf("  %s\n", line.c_str());
                              std::fflush(stdout);
                            }));
    std::printf("%d message(s) read again: %d matched a delivery, %d deliveries bounced, %d addresses suppressed, "
                "%d complaints, %d failed\n",
                sum.messages, sum.matched, sum.bounced, sum.suppressed, sum.complaints, sum.failed);
    failed = sum.failed;
    return Status::Ok();
  });
  if (code != kExitOk) return code;
  return failed ? kExitFailure : kExitOk;
}

}  // namespace

void AddInboundCommands(CLI::App& app, CliContext& ctx) {
  auto* inbound = app.add_subcommand(
      "inbound", "receive bounces (DSN) and complaints (ARF) over SMTP/LMTP ([inbound]); `inbound parse` reads files");
  inbound->require_subcommand(0, 1);
  inbound->callback([&ctx, inbound] {
    if (inbound->get_subcommands().empty()) ctx.run = [&ctx] { return RunInbound(ctx.config_path); };
  });
  auto files = std::make_shared<std::vector<std::string>>();
  auto json = std::make_shared<bool>(false);
  auto* parse = inbound->add_subcommand("parse", "parse bounce and complaint messages from files (no database)");
  parse->add_option("files", *files, "raw messages (RFC 5322)")->required();
  parse->add_flag("--json", *json, "one JSON object per line per reported recipient");
  parse->callback([&ctx, files, json] { ctx.run = [&ctx, files, json] { return RunInboundParse(ctx.config_path, *files, *json); }; });
  auto from_id = std::make_shared<uint64_t>(1);
  auto limit = std::make_shared<int>(10000);
  auto* reprocess = inbound->add_subcommand(
      "reprocess", "read the stored messages again (after a parser update) and apply their effects anew");
  reprocess->add_option("--from-id", *from_id, "the first inbound message id")->capture_default_str();
  reprocess->add_option("--limit", *limit, "at most this many messages")->capture_default_str();
  reprocess->callback([&ctx, from_id, limit] {
    ctx.run = [&ctx, from_id, limit] { return RunInboundReprocess(ctx.config_path, *from_id, *limit); };
  });
}

}  // namespace tayori::cli
