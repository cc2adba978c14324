#include "smtp/classify.h"

#include <gtest/gtest.h>

namespace tayori::smtp {
namespace {

Classification C(const std::string& line, Stage stage = Stage::kAfterDot) {
  return Classify(ParseReply({line}), stage);
}

TEST(ClassifyTest, TheTableFromMailRules) {
  struct Row {
    const char* reply;
    Stage stage;
    Outcome outcome;
  } rows[] = {
      {"250 2.0.0 Ok: queued as A1", Stage::kAfterDot, Outcome::kDelivered},
      {"421 4.7.28 Our system has detected an unusual rate", Stage::kAfterDot, Outcome::kThrottled},
      {"450 4.2.1 The user you are trying to contact is receiving mail too quickly", Stage::kEnvelope,
       Outcome::kThrottled},
      {"451 4.3.0 queue file write error", Stage::kAfterDot, Outcome::kTransient},
      {"421 4.3.2 shutting down", Stage::kEnvelope, Outcome::kTransient},
      {"550 5.1.1 The email account that you tried to reach does not exist", Stage::kEnvelope,
       Outcome::kHardBounce},
      {"550 5.1.10 RESOLVER.ADR.RecipientNotFound", Stage::kEnvelope, Outcome::kHardBounce},
      {"550 5.2.1 The email account that you tried to reach is disabled", Stage::kEnvelope, Outcome::kHardBounce},
      {"550 5.7.26 This mail is unauthenticated", Stage::kAfterDot, Outcome::kAuthFailure},
      {"550 5.7.27 SPF fail", Stage::kAfterDot, Outcome::kAuthFailure},
      {"550 5.7.30 DKIM alignment", Stage::kAfterDot, Outcome::kAuthFailure},
      {"550 5.7.32 From header not aligned", Stage::kAfterDot, Outcome::kAuthFailure},
      {"421 4.7.40 missing DKIM", Stage::kAfterDot, Outcome::kAuthFailure},
      {"554 5.7.1 message content rejected", Stage::kAfterDot, Outcome::kPermanent},
      {"553 5.1.3 bad address syntax", Stage::kEnvelope, Outcome::kPermanent},
  };
  for (const auto& r : rows) EXPECT_EQ(C(r.reply, r.stage).outcome, r.outcome) << r.reply;
}

TEST(ClassifyTest, ActionsFollowTheOutcome) {
  auto bounce = C("550 5.1.1 no such user", Stage::kEnvelope);
  EXPECT_TRUE(bounce.suppress_address);
  EXPECT_FALSE(bounce.retry);
  auto auth = C("550 5.7.26 unauthenticated");
  EXPECT_TRUE(auth.pause_sender_domain);
  EXPECT_FALSE(auth.suppress_address);
  auto throttle = C("421 4.7.28 unusual rate");
  EXPECT_TRUE(throttle.pause_destination);
  EXPECT_TRUE(throttle.retry);
  auto failed = C("554 5.7.1 rejected");
  EXPECT_FALSE(failed.retry);
  EXPECT_EQ(failed.reason, "554 5.7.1 rejected");
}

TEST(ClassifyTest, NoReplyDependsOnWhereItStopped) {
  Reply none;
  none.text = "connection reset";
  EXPECT_EQ(Classify(none, Stage::kAfterDot).outcome, Outcome::kUnknown);
  EXPECT_FALSE(Classify(none, Stage::kAfterDot).retry);
  auto connect = Classify(none, Stage::kConnect);
  EXPECT_EQ(connect.outcome, Outcome::kTransient);
  EXPECT_TRUE(connect.relay_fault);
  EXPECT_TRUE(connect.retry);
}

TEST(ClassifyTest, RelayRefusingTheSessionIsARelayFault) {
  auto c = C("554 5.3.2 no service", Stage::kConnect);
  EXPECT_EQ(c.outcome, Outcome::kTransient);
  EXPECT_TRUE(c.relay_fault);
}

}  // namespace
}  // namespace tayori::smtp
