// Integration: the STARTTLS probe against the fault relay, the one-click
// probe against a small HTTPS server, both on loopback.
#include "readiness/probes.h"

#include <gtest/gtest.h>

#include "readiness_testing.h"
#include "testing/child_process.h"
#include "testing/test_env.h"

namespace tayori::readiness {
namespace {

using Outcome = ProbeResult::Outcome;
constexpr std::chrono::seconds kTimeout{10};

std::vector<std::string> OneClickServer(const testing::TestCertificate* cert) {
  std::vector<std::string> argv{"/usr/bin/python3", tayori::testing::SourcePath("tests/readiness/one_click_server.py")};
  if (cert) argv.insert(argv.end(), {"--cert", cert->cert, "--key", cert->key});
  return argv;
}

TEST(ProbesTest, StartTlsVerifiesTheRelaysCertificate) {
  testing::TestCertificate cert;
  tayori::testing::ChildProcess relay(tayori::testing::FaultRelayCommand({"--tls", cert.cert, cert.key}));
  ASSERT_TRUE(relay.ok());
  ProbeResult ok = ProbeStartTls(StartTlsTarget{"127.0.0.1", relay.port(), false, cert.cert, "probe.test"}, kTimeout);
  EXPECT_EQ(ok.outcome, Outcome::kOk) << ok.error;
  ProbeResult untrusted = ProbeStartTls(StartTlsTarget{"127.0.0.1", relay.port(), false, "", "probe.test"}, kTimeout);
  EXPECT_EQ(untrusted.outcome, Outcome::kBadCertificate) << untrusted.error;
  EXPECT_NE(untrusted.error.find("certificate"), std::string::npos) << untrusted.error;
}

TEST(ProbesTest, ARelayWithoutStartTlsOrNotListening) {
  tayori::testing::ChildProcess relay(tayori::testing::FaultRelayCommand());
  ASSERT_TRUE(relay.ok());
  ProbeResult plain = ProbeStartTls(StartTlsTarget{"127.0.0.1", relay.port(), false, "", "probe.test"}, kTimeout);
  EXPECT_EQ(plain.outcome, Outcome::kNoStartTls) << plain.error;
  relay.Stop();
  ProbeResult gone = ProbeStartTls(StartTlsTarget{"127.0.0.1", relay.port(), false, "", "probe.test"}, kTimeout);
  EXPECT_EQ(gone.outcome, Outcome::kUnreachable) << gone.error;
}

TEST(ProbesTest, OneClickPostIsSentAsMailboxProvidersSendIt) {
  testing::TestCertificate cert;
  tayori::testing::ChildProcess server(OneClickServer(&cert));
  ASSERT_TRUE(server.ok());
  const std::string base = "https://127.0.0.1:" + std::to_string(server.port()) + "/u/";
  // The server answers 200 only to the exact one-click body and type.
  ProbeResult ok = PostOneClick(OneClickTarget{base + "k1.TOKEN", cert.cert}, kTimeout);
  ASSERT_EQ(ok.outcome, Outcome::kOk) << ok.error;
  EXPECT_EQ(ok.status, 200);
  ProbeResult redirect = PostOneClick(OneClickTarget{base + "redirect", cert.cert}, kTimeout);
  ASSERT_EQ(redirect.outcome, Outcome::kOk) << redirect.error;
  EXPECT_EQ(redirect.status, 301);
  EXPECT_EQ(redirect.location, "https://elsewhere.invalid/u/x");  // reported, not followed
  EXPECT_EQ(PostOneClick(OneClickTarget{base + "missing", cert.cert}, kTimeout).status, 404);
  ProbeResult untrusted = PostOneClick(OneClickTarget{base + "k1.TOKEN", ""}, kTimeout);
  EXPECT_EQ(untrusted.outcome, Outcome::kBadCertificate) << untrusted.error;
  ProbeResult scheme = PostOneClick(OneClickTarget{"file:///etc/passwd", ""}, kTimeout);
  EXPECT_NE(scheme.outcome, Outcome::kOk);
}

TEST(ProbesTest, OneClickPostToAClosedPort) {
  tayori::testing::ChildProcess server(OneClickServer(nullptr));
  ASSERT_TRUE(server.ok());
  const int port = server.port();
  EXPECT_EQ(PostOneClick(OneClickTarget{"http://127.0.0.1:" + std::to_string(port) + "/u/t", ""}, kTimeout).status, 200);
  server.Stop();
  ProbeResult gone = PostOneClick(OneClickTarget{"http://127.0.0.1:" + std::to_string(port) + "/u/t", ""}, kTimeout);
  EXPECT_EQ(gone.outcome, Outcome::kUnreachable) << gone.error;
}

}  // namespace
}  // namespace tayori::readiness
