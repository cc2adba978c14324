#include "ratelimit/shaper.h"

#include <gtest/gtest.h>

namespace tayori::ratelimit {
namespace {

using namespace std::chrono_literals;

config::RateLimits Limits() {
  config::RateLimits r;
  r.global_per_second = 10;
  r.global_burst = 10;
  r.default_per_second = 2;
  r.default_burst = 2;
  r.default_max_connections = 10;
  config::DomainGroup g;
  g.name = "gmail";
  g.domains = {"gmail.com", "GoogleMail.com"};
  g.per_second = 5;
  g.burst = 5;
  g.max_connections = 10;
  r.groups.push_back(g);
  return r;
}

TEST(ShaperTest, GroupsShareLimitsAndOtherDomainsStandAlone) {
  FakeClock clock;
  Shaper s(Limits(), clock.Steady());
  EXPECT_EQ(s.KeyOf("gmail.com"), "group:gmail");
  EXPECT_EQ(s.KeyOf("googlemail.com"), "group:gmail");
  EXPECT_EQ(s.KeyOf("example.jp"), "example.jp");
  // gmail.com and googlemail.com draw from one bucket of 5.
  int allowed = 0;
  for (int i = 0; i < 4; ++i) allowed += s.TryReserve(s.KeyOf("gmail.com"), clock.Steady()).allowed;
  for (int i = 0; i < 4; ++i) allowed += s.TryReserve(s.KeyOf("googlemail.com"), clock.Steady()).allowed;
  EXPECT_EQ(allowed, 5);
  // An ungrouped domain has its own default bucket of 2.
  EXPECT_TRUE(s.TryReserve("example.jp", clock.Steady()).allowed);
  EXPECT_TRUE(s.TryReserve("example.jp", clock.Steady()).allowed);
  EXPECT_FALSE(s.TryReserve("example.jp", clock.Steady()).allowed);
}

TEST(ShaperTest, GlobalLimitCapsAllDestinationsAndTakesNothingWhenRefused) {
  FakeClock clock;
  Shaper s(Limits(), clock.Steady());
  int allowed = 0;
  for (int d = 0; d < 20; ++d) allowed += s.TryReserve("d" + std::to_string(d) + ".example", clock.Steady()).allowed;
  EXPECT_EQ(allowed, 10);
  Decision refused = s.TryReserve("other.example", clock.Steady());
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, 100ms);
  // The refused destination kept its tokens: after the global refill it can send twice.
  clock.Advance(1s);
  EXPECT_TRUE(s.TryReserve("other.example", clock.Steady()).allowed);
  EXPECT_TRUE(s.TryReserve("other.example", clock.Steady()).allowed);
}

TEST(ShaperTest, ThrottledDestinationDoesNotBlockOthers) {
  FakeClock clock;
  Shaper s(Limits(), clock.Steady());
  std::string gmail = s.KeyOf("gmail.com");
  ASSERT_TRUE(s.TryReserve(gmail, clock.Steady()).allowed);
  s.Finish(gmail, Feedback::kThrottled, clock.Steady());
  EXPECT_TRUE(s.Paused(gmail, clock.Steady()));
  EXPECT_FALSE(s.TryReserve(gmail, clock.Steady()).allowed);
  EXPECT_TRUE(s.TryReserve("example.jp", clock.Steady()).allowed);
}

TEST(ShaperTest, GlobalShareDividesRateAndBurst) {
  FakeClock clock;
  Shaper s(Limits(), clock.Steady());
  s.SetGlobalShare(5, 2, clock.Steady());  // a third of 15/s with burst 6, say
  int allowed = 0;
  for (int d = 0; d < 10; ++d) allowed += s.TryReserve("d" + std::to_string(d) + ".example", clock.Steady()).allowed;
  EXPECT_EQ(allowed, 2);
  EXPECT_EQ(s.PeekGlobal(clock.Steady()).retry_after, std::chrono::milliseconds(200));
}

}  // namespace
}  // namespace tayori::ratelimit
