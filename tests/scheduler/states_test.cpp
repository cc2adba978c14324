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

}  // namespace
}  // namespace tayori::scheduler
