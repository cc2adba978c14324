// `tayori send-test --campaign ID --to ADDRESS`: renders and signs the
// campaign for one test recipient and submits it through the configured
// relays at once, printing the relay's answer. Nothing is recorded as a
// delivery (an event notes the test send), and the campaign's state is not
// touched; a shop owner previews the real thing in a real mailbox.
#include <cstdio>

#include "cli/cli.h"
#include "cli/support.h"
#include "daemon/message_factory.h"
#include "base/log.h"
#include "loop/loop.h"
#include "mime/address.h"
#include "smtp/submitter.h"
#include "store/admin.h"
#include "store/campaigns.h"
#include "store/keys.h"

namespace tayori::cli {
namespace {

int RunSendTest(const std::string& config_path, uint64_t campaign_id, const std::string& to) {
  const char* kWhat = "send-test";
  auto cfg = config::LoadConfigFile(config_path);
  if (!cfg.ok()) return ReportFailure(cfg.status(), kWhat);
  auto rcpt = mime::ParseAddrSpec(to);
  if (!rcpt.ok()) return ReportFailure(rcpt.status().WithContext("--to"), kWhat);
  auto password = config::ResolveSecret(cfg->database.password_env, "database.password_env");
  if (!password.ok()) return ReportFailure(password.status(), kWhat);
  auto db = store::Connection::Open(cfg->database, *password);
  if (!db.ok()) return ReportFailure(db.status(), kWhat);
  auto row = store::LoadCampaign(**db, campaign_id);
  if (!row.ok()) return ReportFailure(row.status(), kWhat);
  auto keys = store::ActiveDomainKeys(**db, row->sender_domain_id);
  if (!keys.ok()) return ReportFailure(keys.status(), kWhat);
  auto secrets = daemon::LoadFactorySecrets(*cfg);
  if (!secrets.ok()) return ReportFailure(secrets.status(), kWhat);
  crypto::KeyCache cache(4);
  auto prepared = daemon::PrepareCampaign(*row, *keys, *cfg, *secrets, cache, SystemClock::Instance());
  if (!prepared.ok()) return ReportFailure(prepared.status(), kWhat);

  store::LeasedDelivery d;
  d.campaign_id = campaign_id;
  d.email = rcpt->AddrSpec();
  d.display_name = "Test";
  render::SystemRandom random;
  auto built = daemon::BuildMessage(**prepared, d, SystemClock::Instance().Now(), random);
  if (!built.ok()) return ReportFailure(built.status(), kWhat);

  loop::Loop loop;
  smtp::SubmitResult result;
  {
    auto submitter = smtp::Submitter::Create(loop, *cfg, SystemClock::Instance());
    if (!submitter.ok()) return ReportFailure(submitter.status(), kWhat);
    (*submitter)->Submit(smtp::Submission{0, built->envelope_to, built->data}, [&](smtp::SubmitResult r) {
      result = std::move(r);
      loop.Stop();
    });
    loop.Run();
  }
  (void)store::RecordEvent(**db, row->tenant_id, "campaign", campaign_id, "test_send", "cli",
                           "test message to " + d.email + ": " + result.reply.ToString());
  std::printf("test message %s for campaign %llu to %s via %s: %s (%s)\n", built->message_id.c_str(),
              static_cast<unsigned long long>(campaign_id), d.email.c_str(), result.relay.c_str(),
              result.reply.ToString().c_str(), std::string(smtp::OutcomeName(result.classification.outcome)).c_str());
  return result.classification.outcome == smtp::Outcome::kDelivered ? kExitOk : kExitFailure;
}

}  // namespace

void AddSendTestCommand(CLI::App& app, CliContext& ctx) {
  auto* send_test = app.add_subcommand("send-test", "render, sign and send a campaign to one test address now");
  auto test_id = std::make_shared<uint64_t>(0);
  auto test_to = std::make_shared<std::string>();
  send_test->add_option("--campaign", *test_id, "campaign id")->required();
  send_test->add_option("--to", *test_to, "test recipient address")->required();
  send_test->callback([&ctx, test_id, test_to] {
    ctx.run = [&ctx, test_id, test_to] { return RunSendTest(ctx.config_path, *test_id, *test_to); };
  });
}

}  // namespace tayori::cli
