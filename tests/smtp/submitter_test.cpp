// Integration: the Submitter against real relays on loopback (smtp-sink and
// the aiosmtpd fault relay), checking outcomes, failover, TLS and reconnects.
#include "smtp/submitter.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "testing/child_process.h"
#include "testing/test_env.h"

namespace tayori::smtp {
namespace {

config::Relay RelayAt(const std::string& name, int port, int weight = 1) {
  config::Relay r;
  r.name = name;
  r.host = "127.0.0.1";
  r.port = port;
  r.tls = TlsMode::kNone;
  r.weight = weight;
  r.max_connections = 2;
  r.connect_timeout_s = 3;
  r.command_timeout_s = 3;
  return r;
}

config::Config ConfigWith(std::vector<config::Relay> relays) {
  config::Config c;
  c.relays = std::move(relays);
  c.envelope.return_path = "bounces+{delivery_id}@bounce.platform.example";
  return c;
}

std::shared_ptr<const std::string> Msg() {
  return std::make_shared<const std::string>("From: a@shop.example\r\nSubject: x\r\n\r\nhello\r\n");
}

// Submits every recipient and runs the loop until all results are in.
std::vector<SubmitResult> SubmitAll(const config::Config& cfg, const std::vector<std::string>& rcpts,
                              std::vector<RelayHealth>* health = nullptr) {
  loop::Loop loop;
  std::vector<SubmitResult> out(rcpts.size());
  {
    auto sub = Submitter::Create(loop, cfg, SystemClock::Instance());
    EXPECT_TRUE(sub.ok()) << sub.status().ToString();
    if (!sub.ok()) return out;
    size_t done = 0;
    for (size_t i = 0; i < rcpts.size(); ++i) {
      (*sub)->Submit(Submission{i + 1, rcpts[i], Msg()}, [&, i](SubmitResult r) {
        out[i] = std::move(r);
        if (++done == rcpts.size()) loop.Stop();
      });
    }
    loop.Run();
    if (health) *health = (*sub)->Health();
  }
  return out;
}

TEST(SubmitterTest, EveryReplyMapsToExactlyOneOutcomeWithItsText) {
  testing::ChildProcess relay(testing::FaultRelayCommand());
  ASSERT_TRUE(relay.ok());
  struct Case {
    std::string rcpt;
    Outcome outcome;
    std::string reply_prefix;
  } cases[] = {
      {"ok@gmail.example", Outcome::kDelivered, "250 2.0.0 Ok: queued as FR"},
      {"thr@gmail.example", Outcome::kThrottled, "421 4.7.28"},
      {"rate@gmail.example", Outcome::kThrottled, "450 4.2.1"},
      {"tmp@gmail.example", Outcome::kTransient, "451 4.3.0"},
      {"bounce@gmail.example", Outcome::kHardBounce, "550 5.1.1"},
      {"auth@gmail.example", Outcome::kAuthFailure, "550 5.7.26"},
      {"dtmp@gmail.example", Outcome::kTransient, "451 4.3.0"},
      {"policy@gmail.example", Outcome::kPermanent, "554 5.7.1"},
      {"drop@gmail.example", Outcome::kUnknown, ""},
      // Dropped on DATA, before 354: never accepted, never "delivered" on
      // the strength of RCPT's 250 (a chaos run found that).
      {"cutdata@gmail.example", Outcome::kTransient, ""},
  };
  std::vector<std::string> rcpts;
  for (auto& c : cases) rcpts.push_back(c.rcpt);
  auto results = SubmitAll(ConfigWith({RelayAt("fault", relay.port())}), rcpts);
  for (size_t i = 0; i < rcpts.size(); ++i) {
    SCOPED_TRACE(cases[i].rcpt);
    EXPECT_EQ(results[i].delivery_id, i + 1);
    EXPECT_EQ(OutcomeName(results[i].classification.outcome), OutcomeName(cases[i].outcome))
        << results[i].reply.ToString() << " / " << results[i].transport_error;
    EXPECT_EQ(results[i].reply.ToString().rfind(cases[i].reply_prefix, 0), 0u) << results[i].reply.ToString();
    EXPECT_EQ(results[i].relay, "fault");
  }
  EXPECT_FALSE(results[0].reply.queue_id.empty());
}

TEST(SubmitterTest, FailsOverFromADeadRelay) {
  testing::ChildProcess dead(testing::FaultRelayCommand());
  int dead_port = dead.port();
  dead.Stop();
  int sink = std::atoi(testing::RequireEnv("TAYORI_TEST_SINK_PORT").c_str());
  std::vector<std::string> rcpts(20, "ok@dest.example");
  std::vector<RelayHealth> health;
  auto results = SubmitAll(ConfigWith({RelayAt("dead", dead_port, 5), RelayAt("sink", sink, 1)}), rcpts, &health);
  for (const auto& r : results) {
    EXPECT_EQ(r.classification.outcome, Outcome::kDelivered) << r.reply.ToString() << r.transport_error;
    EXPECT_EQ(r.relay, "sink");
  }
  ASSERT_EQ(health.size(), 2u);
  EXPECT_FALSE(health[0].up);
  EXPECT_GE(health[0].consecutive_failures, 1);
  EXPECT_TRUE(health[1].up);
}

TEST(SubmitterTest, WeightsShareTheTraffic) {
  testing::ChildProcess a(testing::FaultRelayCommand());
  testing::ChildProcess b(testing::FaultRelayCommand());
  ASSERT_TRUE(a.ok() && b.ok());
  std::vector<std::string> rcpts(200, "ok@dest.example");
  auto results = SubmitAll(ConfigWith({RelayAt("a", a.port(), 3), RelayAt("b", b.port(), 1)}), rcpts);
  int on_a = 0;
  for (const auto& r : results) {
    EXPECT_EQ(r.classification.outcome, Outcome::kDelivered);
    on_a += r.relay == "a";
  }
  // Expected 150 of 200; binomial sd ~6, allow a generous margin.
  EXPECT_GT(on_a, 115);
  EXPECT_LT(on_a, 185);
}

TEST(SubmitterTest, RelayClosingAfterItsOwnCapIsTransparent) {
  testing::ChildProcess relay(testing::FaultRelayCommand({"--max-per-connection", "3"}));
  ASSERT_TRUE(relay.ok());
  std::vector<std::string> rcpts(30, "ok@dest.example");
  auto results = SubmitAll(ConfigWith({RelayAt("capped", relay.port())}), rcpts);
  for (const auto& r : results)
    EXPECT_EQ(r.classification.outcome, Outcome::kDelivered) << r.reply.ToString() << " " << r.transport_error;
}

class TlsRelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tayori-tls-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                      "-addext subjectAltName=IP:127.0.0.1 -keyout " + (dir_ / "key.pem").string() +
                      " -out " + (dir_ / "cert.pem").string() + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl could not make a test certificate";
    relay_ = std::make_unique<testing::ChildProcess>(
        testing::FaultRelayCommand({"--tls", (dir_ / "cert.pem").string(), (dir_ / "key.pem").string()}));
    ASSERT_TRUE(relay_->ok());
  }
  void TearDown() override {
    relay_.reset();
    std::filesystem::remove_all(dir_);
  }
  config::Relay Relay() {
    config::Relay r = RelayAt("tls", relay_->port());
    r.tls = TlsMode::kStartTls;
    return r;
  }
  std::filesystem::path dir_;
  std::unique_ptr<testing::ChildProcess> relay_;
};

TEST_F(TlsRelayTest, UntrustedCertificateFailsWhileVerificationIsOn) {
  auto results = SubmitAll(ConfigWith({Relay()}), {"ok@dest.example"});
  EXPECT_EQ(results[0].classification.outcome, Outcome::kTransient);
  EXPECT_TRUE(results[0].classification.relay_fault);
  EXPECT_NE(results[0].transport_error.find("certificate"), std::string::npos) << results[0].transport_error;
}

TEST_F(TlsRelayTest, DeliversWhenVerificationIsOffOrTheCaIsGiven) {
  config::Relay off = Relay();
  off.verify_peer = false;
  EXPECT_EQ(SubmitAll(ConfigWith({off}), {"ok@dest.example"})[0].classification.outcome, Outcome::kDelivered);
  config::Relay with_ca = Relay();
  with_ca.ca_file = (dir_ / "cert.pem").string();
  auto r = SubmitAll(ConfigWith({with_ca}), {"ok@dest.example"});
  EXPECT_EQ(r[0].classification.outcome, Outcome::kDelivered) << r[0].transport_error;
}

TEST(SubmitterTest, AuthenticatesWithThePasswordFromTheEnvironment) {
  testing::ChildProcess relay(testing::FaultRelayCommand({"--auth", "mailer:s3cret-pw"}));
  ASSERT_TRUE(relay.ok());
  config::Relay r = RelayAt("auth", relay.port());
  r.user = "mailer";
  r.password_env = "TAYORI_TEST_RELAY_PASSWORD";
  ::setenv("TAYORI_TEST_RELAY_PASSWORD", "s3cret-pw", 1);
  auto good = SubmitAll(ConfigWith({r}), {"ok@dest.example"});
  EXPECT_EQ(good[0].classification.outcome, Outcome::kDelivered) << good[0].reply.ToString() << good[0].transport_error;
  ::setenv("TAYORI_TEST_RELAY_PASSWORD", "wrong", 1);
  auto bad = SubmitAll(ConfigWith({r}), {"ok@dest.example"});
  EXPECT_NE(bad[0].classification.outcome, Outcome::kDelivered);
  EXPECT_TRUE(bad[0].classification.relay_fault) << bad[0].reply.ToString();
  EXPECT_EQ(bad[0].reply.ToString().find("wrong"), std::string::npos);
  ::unsetenv("TAYORI_TEST_RELAY_PASSWORD");
  config::Relay missing = r;
  missing.password_env = "TAYORI_TEST_UNSET_RELAY_PASSWORD";
  loop::Loop loop;
  auto sub = Submitter::Create(loop, ConfigWith({missing}), SystemClock::Instance());
  ASSERT_FALSE(sub.ok());
  EXPECT_NE(sub.status().message().find("TAYORI_TEST_UNSET_RELAY_PASSWORD"), std::string::npos);
}

TEST(SubmitterTest, NoRelayConfiguredIsAConfigurationError) {
  loop::Loop loop;
  auto sub = Submitter::Create(loop, config::Config{}, SystemClock::Instance());
  ASSERT_FALSE(sub.ok());
  EXPECT_EQ(sub.status().error_class(), ErrorClass::kConfig);
}

}  // namespace
}  // namespace tayori::smtp
