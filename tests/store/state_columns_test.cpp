#include "store/state_columns.h"

#include <gtest/gtest.h>

namespace tayori::store {
namespace {

using scheduler::CampaignState;
using scheduler::DomainState;
using scheduler::KeyState;

TEST(StateColumnsTest, KnownValuesReadAsEnums) {
  EXPECT_EQ(*ReadCampaignState(std::string("sending"), "campaigns.state"), CampaignState::kSending);
  EXPECT_EQ(*ReadDomainState(std::string("paused"), "sender_domains.state"), DomainState::kPaused);
  EXPECT_EQ(*ReadKeyState(std::string("retiring"), "domain_keys.state"), KeyState::kRetiring);
  EXPECT_EQ(*ReadDeliveryState(std::string("deferred"), "deliveries.state"), scheduler::DeliveryState::kDeferred);
}

TEST(StateColumnsTest, UnknownValueIsAnErrorNamingColumnAndValue) {
  auto r = ReadCampaignState(std::string("archived"), "campaigns.state");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().error_class(), ErrorClass::kInternal);
  EXPECT_NE(r.status().message().find("campaigns.state"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("'archived'"), std::string::npos) << r.status().message();
  auto k = ReadKeyState(std::string("Active"), "domain_keys.state");  // ENUM names are exact
  EXPECT_FALSE(k.ok());
  auto n = ReadDomainState(std::nullopt, "sender_domains.state");
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.status().message().find("NULL"), std::string::npos);
}

TEST(StateColumnsTest, LiteralIsTheQuotedEnumName) {
  EXPECT_EQ(Literal(CampaignState::kCancelled), "'cancelled'");
  EXPECT_EQ(Literal(KeyState::kPublished), "'published'");
  EXPECT_EQ(Literal(DomainState::kVerified), "'verified'");
}

}  // namespace
}  // namespace tayori::store
