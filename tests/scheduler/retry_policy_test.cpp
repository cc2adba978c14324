#include "scheduler/retry_policy.h"

#include <gtest/gtest.h>

namespace tayori::scheduler {
namespace {

using namespace std::chrono_literals;

config::Retry Retry() {
  config::Retry r;
  r.initial_backoff_s = 60;
  r.max_backoff_s = 3600;
  r.max_age_s = 2 * 86400;
  r.jitter = 0.2;
  return r;
}

TEST(RetryPolicyTest, BackoffDoublesUpToTheCap) {
  RetryPolicy p(Retry());
  EXPECT_EQ(p.Backoff(1), 60s);
  EXPECT_EQ(p.Backoff(2), 120s);
  EXPECT_EQ(p.Backoff(6), 1920s);
  EXPECT_EQ(p.Backoff(7), 3600s);
  EXPECT_EQ(p.Backoff(100), 3600s);
}

TEST(RetryPolicyTest, JitterStaysWithinItsFraction) {
  RetryPolicy p(Retry());
  SysTime now = FakeClock().Now();
  auto low = p.AfterTransient(1, now, now, 0.0);
  auto mid = p.AfterTransient(1, now, now, 0.5);
  auto high = p.AfterTransient(1, now, now, 0.999999);
  EXPECT_EQ(low.state, DeliveryState::kDeferred);
  EXPECT_EQ(low.next_attempt_at - now, 48s);
  EXPECT_EQ(mid.next_attempt_at - now, 60s);
  EXPECT_NEAR(std::chrono::duration<double>(high.next_attempt_at - now).count(), 72, 0.01);
}

TEST(RetryPolicyTest, ExpiresPastTheMaximumAge) {
  RetryPolicy p(Retry());
  SysTime first = FakeClock().Now();
  SysTime now = first + 47h;
  EXPECT_EQ(p.AfterTransient(30, now, first, 0.5).state, DeliveryState::kDeferred) << "47h + 1h backoff = 48h";
  EXPECT_EQ(p.AfterTransient(30, now + 1min, first, 0.5).state, DeliveryState::kExpired);
}

}  // namespace
}  // namespace tayori::scheduler
