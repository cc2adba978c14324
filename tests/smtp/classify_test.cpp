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

TEST(ClassifyTest, OnlyTheReplyToTheFinalDotDelivers) {
  Reply ok = ParseReply({"250 2.0.0 Ok"});
  EXPECT_EQ(Classify(ok, Stage::kAfterDot).outcome, Outcome::kDelivered);
  // A 250 while the message was still being sent answered an earlier command.
  auto early = Classify(ok, Stage::kData);
  EXPECT_EQ(early.outcome, Outcome::kTransient);
  EXPECT_TRUE(early.retry);
  EXPECT_EQ(Classify(ok, Stage::kEnvelope).outcome, Outcome::kTransient);
}

TEST(ClassifyTest, RelayRefusingTheSessionIsARelayFault) {
  auto c = C("554 5.3.2 no service", Stage::kConnect);
  EXPECT_EQ(c.outcome, Outcome::kTransient);
  EXPECT_TRUE(c.relay_fault);
}

// --- Bounce reports ----------------------------------------------------------

std::string Category(std::string_view status, int reply, std::string_view text) {
  return std::string(BounceCategoryName(ClassifyBounce(status, reply, text).category));
}

TEST(ClassifyBounceTest, TheTableFromTheIssue) {
  struct Row {
    const char* status;
    int reply;
    const char* text;
    const char* category;
    bool hard;
    bool auth;
  } rows[] = {
      // hard: no such user, no such domain, mailbox disabled or moved
      {"5.1.1", 550, "User unknown", "unknown_user", true, false},
      {"5.1.10", 550, "RESOLVER.ADR.RecipientNotFound", "unknown_user", true, false},
      {"5.1.2", 550, "Host unknown", "unknown_domain", true, false},
      {"5.2.1", 550, "The email account that you tried to reach is disabled", "mailbox_disabled", true, false},
      {"5.1.6", 551, "User has moved", "mailbox_moved", true, false},
      {"5.4.4", 0, "Host or domain name not found. Name service error", "unknown_domain", true, false},
      // soft: mailbox full, temporary, policy, content, reputation …
      {"5.2.2", 552, "Mailbox full", "mailbox_full", false, false},
      {"4.2.2", 452, "over quota", "mailbox_full", false, false},
      {"5.3.4", 552, "Message size exceeds fixed limit", "message_too_large", false, false},
      {"4.3.0", 451, "Temporary system failure", "temporary", false, false},
      {"4.7.1", 451, "Greylisted, please try again later", "temporary", false, false},
      {"5.7.1", 554, "Message rejected as spam by Content Filtering", "content", false, false},
      {"5.7.1", 550, "Client host blocked using Spamhaus; listed at zen", "reputation", false, false},
      {"5.7.28", 550, "unusual rate of unsolicited mail", "reputation", false, false},
      {"5.7.9", 554, "Message not accepted for policy reasons", "policy", false, false},
      {"5.7.1", 550, "Relaying denied", "policy", false, false},
      {"5.4.7", 550, "delivery time expired", "expired", false, false},
      {"4.4.1", 0, "Connection timed out", "routing", false, false},
      {"5.4.4", 0, "no route to host", "routing", false, false},
      {"5.3.0", 554, "", "other", false, false},
      // authentication: the sender domain pauses
      {"5.7.26", 550, "This mail has been blocked because the sender is unauthenticated", "authentication", false, true},
      {"5.7.515", 550, "sending domain doesn't meet the required authentication level", "authentication", false, true},
      {"5.7.509", 550, "Access denied, sending domain does not pass DMARC verification", "authentication", false, true},
      {"5.7.1", 550, "Email rejected per DMARC policy", "authentication", false, true},
      {"4.7.40", 421, "", "authentication", false, true},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(std::string(r.status) + " " + r.text);
    BounceClassification c = ClassifyBounce(r.status, r.reply, r.text);
    EXPECT_EQ(BounceCategoryName(c.category), r.category);
    EXPECT_EQ(c.hard, r.hard);
    EXPECT_EQ(c.auth_failure, r.auth);
  }
}

TEST(ClassifyBounceTest, AGenericStatusLetsTheWordsDecide) {
  // docomo: Status 5.2.0 with "550 Unknown user"; Courier: 5.0.0.
  EXPECT_EQ(Category("5.2.0", 550, "550 Unknown user reader@docomo.example.ne.jp"), "unknown_user");
  EXPECT_TRUE(ClassifyBounce("5.0.0", 550, "No such user here").hard);
  EXPECT_EQ(Category("5.0.0", 550, "Unrouteable address"), "unknown_domain");
  EXPECT_EQ(Category("5.0.0", 550, "account has been disabled"), "mailbox_disabled");
  EXPECT_EQ(Category("5.0.0", 550, "mailbox is full"), "mailbox_full");
  EXPECT_EQ(Category("", 554, "delivery error: dd This user doesn't have a yahoo.example account"), "unknown_user");
  EXPECT_EQ(Category("5.0.0", 550, ""), "other");
  EXPECT_EQ(Category("4.0.0", 450, ""), "temporary");
  EXPECT_EQ(Category("5.7.0", 550, ""), "policy");
  // Temporary words do not make a permanent failure temporary.
  EXPECT_EQ(Category("5.0.0", 550, "temporarily unavailable"), "other");
}

TEST(ClassifyBounceTest, ASpecificStatusWinsOverTheWords) {
  EXPECT_EQ(Category("5.2.2", 552, "user unknown or mailbox full"), "mailbox_full");
  EXPECT_EQ(Category("5.1.1", 550, "message contains spam"), "unknown_user");
  // x.7.x words choose among the refusals only, never "unknown user".
  EXPECT_EQ(Category("5.7.1", 550, "User unknown"), "policy");
}

TEST(ClassifyBounceTest, OnlyAPermanentFailureIsHard) {
  EXPECT_FALSE(ClassifyBounce("4.1.1", 450, "Recipient address rejected: unverified address").hard);
  EXPECT_EQ(Category("4.1.1", 450, ""), "unknown_user");
  EXPECT_FALSE(ClassifyBounce("", 450, "user unknown").hard);
  EXPECT_TRUE(ClassifyBounce("", 550, "user unknown").hard);
  EXPECT_FALSE(ClassifyBounce("", 0, "user unknown").hard);  // no code at all: not proven permanent
}

TEST(ClassifyBounceTest, InferredStatusFollowsTheReplyCodeAndWords) {
  EXPECT_EQ(InferBounceStatus(550, "User unknown", '5'), "5.1.1");
  EXPECT_EQ(InferBounceStatus(554, "dd This user doesn't have a yahoo.com account", '5'), "5.1.1");
  EXPECT_EQ(InferBounceStatus(0, "Unrouteable address", '5'), "5.1.2");
  EXPECT_EQ(InferBounceStatus(452, "Mailbox full", '5'), "4.2.2");  // the reply code's class wins
  EXPECT_EQ(InferBounceStatus(0, "As their mailbox is full.", '5'), "5.2.2");
  EXPECT_EQ(InferBounceStatus(550, "message looks like spam", '5'), "5.7.1");
  EXPECT_EQ(InferBounceStatus(0, "retry timeout exceeded", '5'), "5.4.7");
  EXPECT_EQ(InferBounceStatus(0, "Network error on destination MXs", '4'), "4.0.0");
  EXPECT_EQ(InferBounceStatus(550, "", '5'), "5.0.0");
  EXPECT_EQ(InferBounceStatus(250, "Ok", '5'), "2.0.0");
  EXPECT_EQ(InferBounceStatus(0, "", 'x'), "");
}

TEST(ClassifyBounceTest, RelayTableIsUnchangedByTheBounceTable) {
  // The same words through the relay table keep its answers.
  EXPECT_EQ(C("550 5.1.1 User unknown", Stage::kEnvelope).outcome, Outcome::kHardBounce);
  EXPECT_EQ(C("552 5.2.2 Mailbox full").outcome, Outcome::kPermanent);
}

TEST(ClassifyBounceTest, EveryCategoryHasAName) {
  for (int i = 0; i <= static_cast<int>(BounceCategory::kOther); ++i)
    EXPECT_NE(BounceCategoryName(static_cast<BounceCategory>(i)), "?");
}

}  // namespace
}  // namespace tayori::smtp
