#include "ratelimit/destination.h"

#include <gtest/gtest.h>

#include <vector>

namespace tayori::ratelimit {
namespace {

using namespace std::chrono_literals;

DestinationLimits Limits() {
  DestinationLimits l;
  l.per_second = 100;
  l.burst = 100;
  l.max_connections = 4;
  l.throttle_pause = 10min;
  l.ramp_successes_per_connection = 2;
  return l;
}

TEST(DestinationTest, ConnectionCapLimitsMessagesInFlight) {
  FakeClock clock;
  Destination d("gmail", Limits(), clock.Steady());
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(d.TryStart(clock.Steady()).allowed);
  Decision full = d.TryStart(clock.Steady());
  EXPECT_FALSE(full.allowed);
  // Not a time to wait: the caller waits for one of these four to finish.
  EXPECT_TRUE(full.until_slot_frees);
  EXPECT_EQ(d.free_slots(), 0);
  d.Finish(Feedback::kDelivered, clock.Steady());
  EXPECT_EQ(d.free_slots(), 1);
  EXPECT_TRUE(d.TryStart(clock.Steady()).allowed);
}

TEST(DestinationTest, ThrottleReplyPausesThenResumesOnOneConnectionAndRampsUp) {
  FakeClock clock;
  Destination d("gmail", Limits(), clock.Steady());
  ASSERT_TRUE(d.TryStart(clock.Steady()).allowed);
  d.Finish(Feedback::kThrottled, clock.Steady());  // 421 4.7.28
  Decision paused = d.TryStart(clock.Steady());
  EXPECT_FALSE(paused.allowed);
  EXPECT_FALSE(paused.until_slot_frees);
  EXPECT_EQ(paused.retry_after, 30s) << "the first pause is the initial one";
  clock.Advance(29s);
  EXPECT_FALSE(d.TryStart(clock.Steady()).allowed);
  clock.Advance(1s);
  // One connection only.
  ASSERT_TRUE(d.TryStart(clock.Steady()).allowed);
  EXPECT_FALSE(d.TryStart(clock.Steady()).allowed);
  EXPECT_EQ(d.connection_cap(), 1);
  // Two successes earn a second connection, and so on up to the maximum.
  d.Finish(Feedback::kDelivered, clock.Steady());
  ASSERT_TRUE(d.TryStart(clock.Steady()).allowed);
  d.Finish(Feedback::kDelivered, clock.Steady());
  EXPECT_EQ(d.connection_cap(), 2);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(d.TryStart(clock.Steady()).allowed);
    d.Finish(Feedback::kDelivered, clock.Steady());
  }
  EXPECT_EQ(d.connection_cap(), 4);
}

// Throttling that goes on is met with longer and longer pauses, up to the
// cap; after a quiet 4 × the last pause a new throttle starts short again.
TEST(DestinationTest, PauseDoublesWhileThrottlingContinuesAndStartsShortAgainAfterRecovery) {
  FakeClock clock;
  DestinationLimits l = Limits();
  l.throttle_initial_pause = 30s;
  l.throttle_pause = 5min;
  Destination d("gmail", l, clock.Steady());
  std::vector<Duration> pauses;
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(d.TryStart(clock.Steady()).allowed);
    d.Finish(Feedback::kThrottled, clock.Steady());
    Decision p = d.TryStart(clock.Steady());
    ASSERT_FALSE(p.allowed);
    pauses.push_back(p.retry_after);
    clock.Advance(p.retry_after);
  }
  EXPECT_EQ(pauses, (std::vector<Duration>{30s, 60s, 120s, 240s, 300s, 300s}));
  EXPECT_EQ(d.throttle_strikes(), 6);
  // A throttle just within 4 × the last pause (20 min) still counts as continuing.
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(d.TryStart(clock.Steady()).allowed);
    d.Finish(Feedback::kDelivered, clock.Steady());
  }
  clock.Advance(20min);
  ASSERT_TRUE(d.TryStart(clock.Steady()).allowed);
  d.Finish(Feedback::kThrottled, clock.Steady());
  EXPECT_EQ(d.TryStart(clock.Steady()).retry_after, 300s);
  // Quiet for longer: it had stopped; the next throttle starts short.
  clock.Advance(300s + 20min + 1s);
  ASSERT_TRUE(d.TryStart(clock.Steady()).allowed);
  d.Finish(Feedback::kThrottled, clock.Steady());
  EXPECT_EQ(d.TryStart(clock.Steady()).retry_after, 30s);
  EXPECT_EQ(d.throttle_strikes(), 1);
}

TEST(DestinationTest, ThrottlesDrawnByMessagesAlreadyInFlightCountOnce) {
  FakeClock clock;
  Destination d("gmail", Limits(), clock.Steady());
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(d.TryStart(clock.Steady()).allowed);
  for (int i = 0; i < 4; ++i) d.Finish(Feedback::kThrottled, clock.Steady());
  EXPECT_EQ(d.throttle_strikes(), 1);
  EXPECT_EQ(d.TryStart(clock.Steady()).retry_after, 30s);
  EXPECT_DOUBLE_EQ(d.current_rate(), 50) << "halved once";
}

// After a throttle the rate is halved and is back at the configured rate
// (0.5 / recovery_step) × recovery_interval after the pause: 5 × 30 s.
TEST(DestinationTest, ARateCutByAThrottleRecoversAfterThePause) {
  FakeClock clock;
  Destination d("gmail", Limits(), clock.Steady());
  ASSERT_TRUE(d.TryStart(clock.Steady()).allowed);
  d.Finish(Feedback::kThrottled, clock.Steady());
  EXPECT_DOUBLE_EQ(d.current_rate(), 50);
  clock.Advance(30s);  // the pause: no recovery within it
  ASSERT_TRUE(d.TryStart(clock.Steady()).allowed);
  EXPECT_DOUBLE_EQ(d.current_rate(), 50);
  d.Finish(Feedback::kDelivered, clock.Steady());
  clock.Advance(2min + 29s);
  ASSERT_TRUE(d.TryStart(clock.Steady()).allowed);
  EXPECT_DOUBLE_EQ(d.current_rate(), 90);
  d.Finish(Feedback::kDelivered, clock.Steady());
  clock.Advance(1s);
  ASSERT_TRUE(d.TryStart(clock.Steady()).allowed);
  EXPECT_DOUBLE_EQ(d.current_rate(), 100);
}

TEST(DestinationTest, BurstOfTransientRepliesHalvesRateWhichRecoversGradually) {
  FakeClock clock;
  Destination d("yahoo", Limits(), clock.Steady());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(d.TryStart(clock.Steady()).allowed);
    d.Finish(Feedback::kTransient, clock.Steady());
  }
  EXPECT_DOUBLE_EQ(d.current_rate(), 50);
  clock.Advance(30s);
  ASSERT_TRUE(d.TryStart(clock.Steady()).allowed);  // recovery is applied on use
  d.Finish(Feedback::kDelivered, clock.Steady());
  EXPECT_DOUBLE_EQ(d.current_rate(), 60);
  clock.Advance(10min);
  ASSERT_TRUE(d.TryStart(clock.Steady()).allowed);
  EXPECT_DOUBLE_EQ(d.current_rate(), 100);
}

TEST(DestinationTest, ScatteredTransientsDoNotHalve) {
  FakeClock clock;
  Destination d("x", Limits(), clock.Steady());
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(d.TryStart(clock.Steady()).allowed);
    d.Finish(Feedback::kTransient, clock.Steady());
    clock.Advance(20s);  // only 3 fall in any 60 s window
  }
  EXPECT_DOUBLE_EQ(d.current_rate(), 100);
}

TEST(DestinationTest, AbandonReturnsTheSlot) {
  FakeClock clock;
  DestinationLimits l = Limits();
  l.max_connections = 1;
  Destination d("x", l, clock.Steady());
  ASSERT_TRUE(d.TryStart(clock.Steady()).allowed);
  d.Abandon();
  EXPECT_EQ(d.in_flight(), 0);
  EXPECT_TRUE(d.TryStart(clock.Steady()).allowed);
}

}  // namespace
}  // namespace tayori::ratelimit
