#include "scheduler/fair_queue.h"

#include <gtest/gtest.h>

namespace tayori::scheduler {
namespace {

TEST(FairQueueTest, SmallShopIsNotStarvedByAHugeCampaign) {
  FairQueue<int> q;
  for (int i = 0; i < 100000; ++i) q.Push(/*tenant=*/1, /*campaign=*/10, i);
  for (int i = 0; i < 100; ++i) q.Push(/*tenant=*/2, /*campaign=*/20, -i - 1);
  // The small shop's 100 messages all come out within the first 200 pops.
  int small_seen = 0;
  for (int i = 0; i < 200; ++i) small_seen += (*q.Pop() < 0);
  EXPECT_EQ(small_seen, 100);
  EXPECT_EQ(q.size(), 100000u - 100u);
}

TEST(FairQueueTest, CampaignsOfOneShopTakeTurns) {
  FairQueue<std::string> q;
  q.Push(1, 1, "a1");
  q.Push(1, 1, "a2");
  q.Push(1, 2, "b1");
  q.Push(2, 3, "c1");
  EXPECT_EQ(*q.Pop(), "a1");  // shop 1, campaign 1
  EXPECT_EQ(*q.Pop(), "c1");  // shop 2
  EXPECT_EQ(*q.Pop(), "b1");  // shop 1, campaign 2
  EXPECT_EQ(*q.Pop(), "a2");
  EXPECT_FALSE(q.Pop().has_value());
}

TEST(FairQueueTest, RemoveCampaignReturnsItsItems) {
  FairQueue<int> q;
  q.Push(1, 1, 1);
  q.Push(1, 2, 2);
  q.Push(1, 1, 3);
  auto removed = q.RemoveCampaign(1, 1);
  EXPECT_EQ(removed.size(), 2u);
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(*q.Pop(), 2);
  EXPECT_TRUE(q.empty());
}

}  // namespace
}  // namespace tayori::scheduler
