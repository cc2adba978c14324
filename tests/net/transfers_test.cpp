// Integration: libcurl multi on the loop against real SMTP servers on
// loopback (smtp-sink from scripts/services, and the aiosmtpd fault relay).
#include "net/transfers.h"

#include <map>

#include <gtest/gtest.h>

#include "testing/child_process.h"
#include "testing/test_env.h"

namespace tayori::net {
namespace {

std::shared_ptr<const std::string> Message(const std::string& to) {
  return std::make_shared<const std::string>("From: a@shop.example\r\nTo: " + to +
                                             "\r\nSubject: test\r\nMessage-ID: <x@shop.example>\r\n\r\n"
                                             ".leading dot line\r\nbody\r\n");
}

SmtpRequest Request(int port, const std::string& rcpt) {
  SmtpRequest r;
  r.host = "127.0.0.1";
  r.port = port;
  r.mail_from = "bounces@platform.example";
  r.rcpt = rcpt;
  r.message = Message(rcpt);
  r.connect_timeout = std::chrono::seconds(5);
  r.command_timeout = std::chrono::seconds(5);
  return r;
}

// Submits each recipient once and runs the loop until all are done.
std::vector<SmtpResult> SubmitAll(int port, const std::vector<std::string>& rcpts, PoolOptions options,
                                  std::chrono::seconds command_timeout = std::chrono::seconds(5)) {
  loop::Loop loop;
  std::vector<SmtpResult> results(rcpts.size());
  size_t done = 0;
  {
    Transfers transfers(loop, options);
    for (size_t i = 0; i < rcpts.size(); ++i) {
      SmtpRequest r = Request(port, rcpts[i]);
      r.command_timeout = command_timeout;
      transfers.Smtp(std::move(r), [&, i](SmtpResult res) {
        results[i] = std::move(res);
        if (++done == rcpts.size()) loop.Stop();
      });
    }
    loop.Run();
  }
  return results;
}

TEST(TransfersTest, ManyMessagesOverFewReusedConnectionsToSmtpSink) {
  int port = std::atoi(testing::RequireEnv("TAYORI_TEST_SINK_PORT").c_str());
  ASSERT_GT(port, 0);
  std::vector<std::string> rcpts;
  for (int i = 0; i < 200; ++i) rcpts.push_back("r" + std::to_string(i) + "@dest.example");
  auto results = SubmitAll(port, rcpts, PoolOptions{4, 0});
  int connections = 0;
  for (const auto& r : results) {
    EXPECT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.stage, SmtpStage::kAfterDot);
    ASSERT_FALSE(r.reply.empty());
    EXPECT_EQ(r.reply.back().substr(0, 3), "250");
    connections += r.new_connection;
  }
  EXPECT_LE(connections, 4);
  EXPECT_GE(connections, 1);
}

TEST(TransfersTest, MaxMessagesPerConnectionOpensFreshConnections) {
  int port = std::atoi(testing::RequireEnv("TAYORI_TEST_SINK_PORT").c_str());
  std::vector<std::string> rcpts(60, "r@dest.example");
  auto results = SubmitAll(port, rcpts, PoolOptions{2, 10});
  int connections = 0;
  std::map<long, int> per_port;  // messages per connection (local port; ports are not reused at once)
  for (const auto& r : results) {
    EXPECT_TRUE(r.ok) << r.error;
    connections += r.new_connection;
    ++per_port[r.local_port];
  }
  // 60 messages at most 10 per connection: at least 6 connections (a busy
  // machine may see curl open one more while another is closing).
  EXPECT_GE(connections, 6);
  EXPECT_LE(connections, 8);
  for (const auto& [port, n] : per_port) EXPECT_LE(n, 10) << "connection from port " << port;
}

TEST(TransfersTest, RepliesAndStagesFromTheFaultRelay) {
  testing::ChildProcess relay(testing::FaultRelayCommand());
  ASSERT_TRUE(relay.ok());
  auto results = SubmitAll(relay.port(),
                           {"ok@d.example", "bounce@d.example", "auth@d.example", "drop@d.example",
                            "tmp@d.example", "policy@d.example", "ok2@d.example"},
                           PoolOptions{1, 0});
  EXPECT_TRUE(results[0].ok);
  EXPECT_EQ(results[0].reply.back().rfind("250 2.0.0 Ok: queued as FR", 0), 0u);

  EXPECT_FALSE(results[1].ok);
  EXPECT_EQ(results[1].stage, SmtpStage::kEnvelope);
  EXPECT_EQ(results[1].reply.back().substr(0, 9), "550 5.1.1");

  EXPECT_FALSE(results[2].ok);
  EXPECT_EQ(results[2].stage, SmtpStage::kAfterDot);
  EXPECT_EQ(results[2].reply.back().substr(0, 10), "550 5.7.26");

  // Dropped after the final dot: no final reply, stage after dot (outcome unknown).
  EXPECT_FALSE(results[3].ok);
  EXPECT_EQ(results[3].stage, SmtpStage::kAfterDot);
  EXPECT_TRUE(results[3].reply.empty()) << results[3].reply.back();

  EXPECT_EQ(results[4].reply.back().substr(0, 9), "451 4.3.0");
  EXPECT_EQ(results[5].reply.back().substr(0, 9), "554 5.7.1");
  EXPECT_TRUE(results[6].ok) << results[6].error;
}

TEST(TransfersTest, StalledRelayTimesOut) {
  testing::ChildProcess relay(testing::FaultRelayCommand());
  ASSERT_TRUE(relay.ok());
  auto results = SubmitAll(relay.port(), {"stall@d.example"}, PoolOptions{1, 0}, std::chrono::seconds(1));
  EXPECT_FALSE(results[0].ok);
  EXPECT_EQ(results[0].stage, SmtpStage::kAfterDot);
  EXPECT_FALSE(results[0].error.empty());
}

TEST(TransfersTest, ConnectionRefusedIsAConnectStageFailure) {
  testing::ChildProcess relay(testing::FaultRelayCommand());
  int dead_port = relay.port();
  relay.Stop();
  auto results = SubmitAll(dead_port, {"ok@d.example"}, PoolOptions{1, 0});
  EXPECT_FALSE(results[0].ok);
  EXPECT_EQ(results[0].stage, SmtpStage::kConnect);
  EXPECT_TRUE(results[0].reply.empty());
}

}  // namespace
}  // namespace tayori::net
