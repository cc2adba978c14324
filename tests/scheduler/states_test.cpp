#include "scheduler/states.h"

#include <gtest/gtest.h>

namespace tayori::scheduler {
namespace {

TEST(StatesTest, NamesRoundTrip) {
  for (auto s : {CampaignState::kDraft, CampaignState::kScheduled, CampaignState::kSending, CampaignState::kSent,
                 CampaignState::kPaused, CampaignState::kCancelled, CampaignState::kFailed})
    EXPECT_EQ(ParseCampaignState(Name(s)), s);
  EXPECT_FALSE(ParseCampaignState("bogus").has_value());
  EXPECT_EQ(ParseDeliveryState("unknown"), DeliveryState::kUnknown);
}

TEST(StatesTest, CampaignLifecycle) {
  EXPECT_TRUE(CampaignTransitionAllowed(CampaignState::kDraft, CampaignState::kScheduled));
  EXPECT_TRUE(CampaignTransitionAllowed(CampaignState::kScheduled, CampaignState::kSending));
  EXPECT_TRUE(CampaignTransitionAllowed(CampaignState::kSending, CampaignState::kPaused));
  EXPECT_TRUE(CampaignTransitionAllowed(CampaignState::kPaused, CampaignState::kScheduled));
  EXPECT_TRUE(CampaignTransitionAllowed(CampaignState::kSending, CampaignState::kSent));
  EXPECT_FALSE(CampaignTransitionAllowed(CampaignState::kSent, CampaignState::kSending));
  EXPECT_FALSE(CampaignTransitionAllowed(CampaignState::kCancelled, CampaignState::kScheduled));
  EXPECT_FALSE(CampaignTransitionAllowed(CampaignState::kDraft, CampaignState::kSending));
}

TEST(StatesTest, TerminalDeliveryStates) {
  EXPECT_FALSE(IsTerminal(DeliveryState::kQueued));
  EXPECT_FALSE(IsTerminal(DeliveryState::kLeased));
  EXPECT_FALSE(IsTerminal(DeliveryState::kDeferred));
  for (auto s : {DeliveryState::kSent, DeliveryState::kFailed, DeliveryState::kBounced, DeliveryState::kSuppressed,
                 DeliveryState::kExpired, DeliveryState::kUnknown, DeliveryState::kCancelled})
    EXPECT_TRUE(IsTerminal(s)) << Name(s);
}

TEST(StatesTest, KeyStatesAndLegalMoves) {
  for (auto s : {KeyState::kPending, KeyState::kPublished, KeyState::kActive, KeyState::kRetiring, KeyState::kRevoked})
    EXPECT_EQ(ParseKeyState(Name(s)), s);
  EXPECT_EQ(ParseKeyState("retiring"), KeyState::kRetiring);
  EXPECT_FALSE(ParseKeyState("deleted").has_value());
  EXPECT_TRUE(KeyTransitionAllowed(KeyState::kPending, KeyState::kPublished));
  EXPECT_TRUE(KeyTransitionAllowed(KeyState::kPublished, KeyState::kActive));
  EXPECT_TRUE(KeyTransitionAllowed(KeyState::kActive, KeyState::kRetiring));
  EXPECT_TRUE(KeyTransitionAllowed(KeyState::kRetiring, KeyState::kRevoked));
  EXPECT_TRUE(KeyTransitionAllowed(KeyState::kPublished, KeyState::kRevoked));  // a superseded spare
  EXPECT_FALSE(KeyTransitionAllowed(KeyState::kActive, KeyState::kRevoked));   // never without a grace period
  EXPECT_FALSE(KeyTransitionAllowed(KeyState::kRetiring, KeyState::kActive));
  EXPECT_FALSE(KeyTransitionAllowed(KeyState::kRevoked, KeyState::kActive));
}

TEST(StatesTest, DomainStatesAndLegalMoves) {
  for (auto s : {DomainState::kPending, DomainState::kVerified, DomainState::kPaused})
    EXPECT_EQ(ParseDomainState(Name(s)), s);
  EXPECT_FALSE(ParseDomainState("active").has_value());
  EXPECT_TRUE(DomainTransitionAllowed(DomainState::kPending, DomainState::kVerified));
  EXPECT_TRUE(DomainTransitionAllowed(DomainState::kVerified, DomainState::kPaused));
  EXPECT_TRUE(DomainTransitionAllowed(DomainState::kPending, DomainState::kPaused));
  EXPECT_TRUE(DomainTransitionAllowed(DomainState::kPaused, DomainState::kVerified));
  EXPECT_FALSE(DomainTransitionAllowed(DomainState::kVerified, DomainState::kPending));
  EXPECT_FALSE(DomainTransitionAllowed(DomainState::kPaused, DomainState::kPending));
}

}  // namespace
}  // namespace tayori::scheduler
