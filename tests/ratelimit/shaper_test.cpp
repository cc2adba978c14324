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

TEST(ShaperTest, IdleDestinationsAreForgottenButNotBusyOrPausedOnes) {
  FakeClock clock;
  config::RateLimits limits = Limits();
  limits.global_per_second = 1e6;
  limits.global_burst = 1e6;
  limits.throttle_pause_s = 3600;
  limits.throttle_initial_pause_s = 3600;
  Shaper s(limits, clock.Steady());
  for (int i = 0; i < 1000; ++i) {
    std::string key = s.KeyOf("d" + std::to_string(i) + ".example");
    ASSERT_TRUE(s.TryReserve(key, clock.Steady()).allowed);
    s.Finish(key, Feedback::kDelivered, clock.Steady());
  }
  ASSERT_TRUE(s.TryReserve("busy.example", clock.Steady()).allowed);  // still in flight
  ASSERT_TRUE(s.TryReserve("throttled.example", clock.Steady()).allowed);
  s.Finish("throttled.example", Feedback::kThrottled, clock.Steady());  // paused for an hour
  EXPECT_EQ(s.size(), 1002u);
  clock.Advance(5min);
  ASSERT_TRUE(s.TryReserve("recent.example", clock.Steady()).allowed);
  s.Finish("recent.example", Feedback::kDelivered, clock.Steady());
  EXPECT_EQ(s.ForgetIdle(10min, clock.Steady()), 0u);
  clock.Advance(6min);
  EXPECT_EQ(s.ForgetIdle(10min, clock.Steady()), 1000u);
  EXPECT_NE(s.Find("busy.example"), nullptr);
  EXPECT_NE(s.Find("recent.example"), nullptr);
  EXPECT_NE(s.Find("throttled.example"), nullptr);
  EXPECT_TRUE(s.Paused("throttled.example", clock.Steady()));
  // Seen again, a forgotten destination starts at its configured limits.
  EXPECT_TRUE(s.TryReserve("d1.example", clock.Steady()).allowed);
}

TEST(ShaperTest, ReconfigureChangesKnownDestinationsAndGroupsAtOnce) {
  FakeClock clock;
  Shaper s(Limits(), clock.Steady());
  // Known destinations: the gmail group and an ungrouped domain.
  ASSERT_TRUE(s.TryReserve("group:gmail", clock.Steady()).allowed);
  s.Finish("group:gmail", Feedback::kDelivered, clock.Steady());
  ASSERT_TRUE(s.TryReserve("example.jp", clock.Steady()).allowed);
  s.Finish("example.jp", Feedback::kDelivered, clock.Steady());
  config::RateLimits next = Limits();
  next.default_per_second = 40;
  next.default_burst = 40;
  next.groups[0].per_second = 1;
  next.groups[0].burst = 1;
  next.groups[0].domains = {"gmail.com"};  // googlemail.com leaves the group
  s.Reconfigure(next, clock.Steady());
  s.SetGlobalShare(1000, 1000, clock.Steady());  // the global rate is the engine's to set
  EXPECT_DOUBLE_EQ(s.Find("group:gmail")->limits().per_second, 1);
  EXPECT_DOUBLE_EQ(s.Find("example.jp")->limits().per_second, 40);
  EXPECT_EQ(s.KeyOf("googlemail.com"), "googlemail.com");
  EXPECT_EQ(s.KeyOf("gmail.com"), "group:gmail");
  // The new rates hold from now: one second later the group gives about one
  // message, the default domain many more than the old two.
  clock.Advance(1s);
  int group = 0, other = 0;
  for (int i = 0; i < 10; ++i) group += s.TryReserve("group:gmail", clock.Steady()).allowed;
  for (int i = 0; i < 10; ++i) other += s.TryReserve("example.jp", clock.Steady()).allowed;
  EXPECT_LE(group, 1);
  EXPECT_EQ(other, 10);
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

TEST(ShaperTest, InstancesShareEachDestinationsRateAndConnections) {
  DestinationLimits l;
  l.per_second = 60;
  l.burst = 6;
  l.max_connections = 7;
  // 7 connections over 3 instances: 3, 2, 2.
  EXPECT_EQ(Shaper::ShareOf(l, 3, 0).max_connections, 3);
  EXPECT_EQ(Shaper::ShareOf(l, 3, 1).max_connections, 2);
  EXPECT_EQ(Shaper::ShareOf(l, 3, 2).max_connections, 2);
  EXPECT_DOUBLE_EQ(Shaper::ShareOf(l, 3, 2).per_second, 20);
  EXPECT_DOUBLE_EQ(Shaper::ShareOf(l, 3, 2).burst, 2);
  // More instances than connections: one each, never none.
  l.max_connections = 2;
  EXPECT_EQ(Shaper::ShareOf(l, 5, 4).max_connections, 1);
  EXPECT_EQ(Shaper::ShareOf(l, 1, 0).max_connections, 2);

  FakeClock clock;
  config::RateLimits limits = Limits();
  limits.global_per_second = 1e6;
  limits.global_burst = 1e6;
  limits.default_max_connections = 4;
  Shaper s(limits, clock.Steady());
  ASSERT_TRUE(s.TryReserve("d.example", clock.Steady()).allowed);
  EXPECT_EQ(s.Find("d.example")->connection_cap(), 4);
  s.SetInstanceShare(2, 1, clock.Steady());
  EXPECT_EQ(s.Find("d.example")->connection_cap(), 2);
  EXPECT_DOUBLE_EQ(s.Find("d.example")->current_rate(), limits.default_per_second / 2);
  s.SetInstanceShare(1, 0, clock.Steady());  // the other instance stopped
  EXPECT_EQ(s.Find("d.example")->connection_cap(), 4);
  EXPECT_DOUBLE_EQ(s.Find("d.example")->current_rate(), limits.default_per_second);
  // A destination seen for the first time gets the share at once.
  s.SetInstanceShare(4, 0, clock.Steady());
  ASSERT_TRUE(s.TryReserve("new.example", clock.Steady()).allowed);
  EXPECT_EQ(s.Find("new.example")->connection_cap(), 1);
}

}  // namespace
}  // namespace tayori::ratelimit
