#include "scheduler/suppression_cache.h"

#include <gtest/gtest.h>

namespace tayori::scheduler {
namespace {

using namespace std::chrono_literals;

TEST(SuppressionCacheTest, ShopWideAndListScopedCaseInsensitive) {
  SuppressionCache c;
  SteadyTime t0{};
  c.Add(1, 0, "Reader@Example.JP", t0);
  c.Add(1, 7, "list-only@example.jp", t0);
  EXPECT_TRUE(c.Contains(1, 3, "reader@example.jp"));
  EXPECT_TRUE(c.Contains(1, 7, "LIST-ONLY@example.jp"));
  EXPECT_FALSE(c.Contains(1, 3, "list-only@example.jp"));
  EXPECT_FALSE(c.Contains(2, 3, "reader@example.jp"));  // another shop
}

TEST(SuppressionCacheTest, ForgetsWhatEveryHeldLeaseAlreadySawInTheDatabase) {
  SuppressionCache c;
  SteadyTime t0{};
  for (int i = 0; i < 100000; ++i) c.Add(1, 0, "r" + std::to_string(i) + "@x.example", t0 + std::chrono::seconds(i / 1000));
  EXPECT_EQ(c.size(), 100000u);
  // The oldest lease still held was asked for at t0 + 50 s: entries visible
  // before then are in the database for every lease we hold.
  EXPECT_EQ(c.ForgetOlderThan(t0 + 50s), 50000u);
  EXPECT_FALSE(c.Contains(1, 0, "r49999@x.example"));
  EXPECT_TRUE(c.Contains(1, 0, "r50000@x.example"));
  EXPECT_EQ(c.ForgetOlderThan(t0 + 1000s), 50000u);
  EXPECT_EQ(c.size(), 0u);
}

TEST(SuppressionCacheTest, ASuppressionSeenAgainLaterIsKeptForTheLaterTime) {
  SuppressionCache c;
  SteadyTime t0{};
  c.Add(1, 0, "a@x.example", t0);
  c.Add(1, 0, "a@x.example", t0 + 10s);
  EXPECT_EQ(c.ForgetOlderThan(t0 + 5s), 0u);
  EXPECT_TRUE(c.Contains(1, 0, "a@x.example"));
  EXPECT_EQ(c.ForgetOlderThan(t0 + 11s), 1u);
}

TEST(SuppressionCacheTest, AHardBounceIsKeptUntilItsWriteCommits) {
  SuppressionCache c;
  SteadyTime t0{};
  c.AddPending(1, "bounced@x.example");
  EXPECT_TRUE(c.Contains(1, 5, "bounced@x.example"));
  EXPECT_EQ(c.ForgetOlderThan(t0 + 1000s), 0u);
  EXPECT_TRUE(c.Contains(1, 5, "bounced@x.example"));
  c.Committed(1, "bounced@x.example", t0 + 2000s);
  EXPECT_EQ(c.ForgetOlderThan(t0 + 1500s), 0u);
  EXPECT_EQ(c.ForgetOlderThan(t0 + 2001s), 1u);
  EXPECT_FALSE(c.Contains(1, 5, "bounced@x.example"));
}

}  // namespace
}  // namespace tayori::scheduler
