#include "ratelimit/token_bucket.h"

#include <deque>

#include <gtest/gtest.h>

namespace tayori::ratelimit {
namespace {

using namespace std::chrono_literals;

TEST(TokenBucketTest, StartsFullAndAllowsTheBurst) {
  FakeClock clock;
  TokenBucket b(10, 5, clock.Steady());
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(b.TryTake(clock.Steady()).allowed) << i;
  Decision d = b.TryTake(clock.Steady());
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, 100ms);  // one token at 10/s
}

TEST(TokenBucketTest, RetryAfterIsExactlyWhenItSucceeds) {
  FakeClock clock;
  TokenBucket b(3, 1, clock.Steady());
  ASSERT_TRUE(b.TryTake(clock.Steady()).allowed);
  Decision d = b.TryTake(clock.Steady());
  ASSERT_FALSE(d.allowed);
  clock.Advance(d.retry_after - 1ns);
  EXPECT_FALSE(b.TryTake(clock.Steady()).allowed);
  clock.Advance(1ns);
  EXPECT_TRUE(b.TryTake(clock.Steady()).allowed);
}

TEST(TokenBucketTest, NeverExceedsRatePlusBurstInAnyWindow) {
  // A greedy sender that retries exactly when told: count admissions in every
  // 5-second window over a minute.
  FakeClock clock;
  const double rate = 7, burst = 12;
  TokenBucket b(rate, burst, clock.Steady());
  std::deque<SteadyTime> sent;
  SteadyTime end = clock.Steady() + 60s;
  size_t max_in_window = 0;
  while (clock.Steady() < end) {
    Decision d = b.TryTake(clock.Steady());
    if (d.allowed) {
      sent.push_back(clock.Steady());
      while (clock.Steady() - sent.front() >= 5s) sent.pop_front();
      max_in_window = std::max(max_in_window, sent.size());
    } else {
      clock.Advance(d.retry_after);
    }
  }
  EXPECT_LE(max_in_window, static_cast<size_t>(burst + rate * 5));
  EXPECT_GE(max_in_window, static_cast<size_t>(rate * 5));  // and it is not needlessly slow
}

TEST(TokenBucketTest, RefundAndSetRate) {
  FakeClock clock;
  TokenBucket b(1, 1, clock.Steady());
  ASSERT_TRUE(b.TryTake(clock.Steady()).allowed);
  b.Refund();
  EXPECT_TRUE(b.TryTake(clock.Steady()).allowed);
  b.SetRate(4, clock.Steady());
  Decision d = b.TryTake(clock.Steady());
  EXPECT_EQ(d.retry_after, 250ms);
  EXPECT_EQ(b.rate(), 4);
}

TEST(TokenBucketTest, TimeGoingBackwardsAddsNothing) {
  FakeClock clock;
  TokenBucket b(1, 1, clock.Steady() + 10s);
  EXPECT_TRUE(b.TryTake(clock.Steady()).allowed);
  EXPECT_FALSE(b.TryTake(clock.Steady()).allowed);
}

}  // namespace
}  // namespace tayori::ratelimit
