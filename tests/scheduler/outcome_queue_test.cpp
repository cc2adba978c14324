// The write-back's discipline without a database: one write at a time,
// oldest first, a failed batch back in front in order, a backoff that
// doubles to its cap, nothing ever dropped.
#include "scheduler/outcome_queue.h"

#include <gtest/gtest.h>

namespace tayori::scheduler {
namespace {

using namespace std::chrono_literals;
using Batch = std::vector<int>;

TEST(OutcomeQueueTest, OneWriteAtATimeOldestFirst) {
  OutcomeQueue<int> q(30s);
  EXPECT_FALSE(q.CanWrite());  // nothing to write
  for (int i = 1; i <= 5; ++i) q.Push(i);
  ASSERT_TRUE(q.CanWrite());
  EXPECT_EQ(q.TakeBatch(3), (Batch{1, 2, 3}));
  q.Push(6);
  EXPECT_FALSE(q.CanWrite());  // one in flight
  EXPECT_EQ(q.Written(), 0);
  ASSERT_TRUE(q.CanWrite());
  EXPECT_EQ(q.TakeBatch(10), (Batch{4, 5, 6}));
  EXPECT_TRUE(q.empty());
}

TEST(OutcomeQueueTest, AFailedBatchGoesBackInFrontInOrderAndWaitsItsBackoff) {
  OutcomeQueue<int> q(30s);
  for (int i = 1; i <= 4; ++i) q.Push(i);
  Batch b = q.TakeBatch(2);
  q.Push(5);  // recorded while the write was in flight
  EXPECT_EQ(q.Failed(std::move(b)), 1000ms);
  EXPECT_TRUE(q.failing());
  EXPECT_FALSE(q.CanWrite());  // waiting for the retry
  q.RetryDue();
  ASSERT_TRUE(q.CanWrite());
  EXPECT_EQ(q.TakeBatch(10), (Batch{1, 2, 3, 4, 5}));
  EXPECT_EQ(q.Written(), 1);  // recovered after one failed attempt
  EXPECT_FALSE(q.failing());
  EXPECT_EQ(q.failures_total(), 1u);
}

TEST(OutcomeQueueTest, TheBackoffDoublesToItsCapAndStartsShortAfterARecovery) {
  OutcomeQueue<int> q(30s);
  q.Push(1);
  std::vector<std::chrono::milliseconds> delays;
  for (int i = 0; i < 8; ++i) {
    q.RetryDue();
    delays.push_back(q.Failed(q.TakeBatch(10)));
  }
  EXPECT_EQ(delays, (std::vector<std::chrono::milliseconds>{1s, 2s, 4s, 8s, 16s, 30s, 30s, 30s}));
  EXPECT_EQ(q.consecutive_failures(), 8);
  q.RetryDue();
  q.TakeBatch(10);
  EXPECT_EQ(q.Written(), 8);
  q.Push(2);
  EXPECT_EQ(q.Failed(q.TakeBatch(10)), 1s);
  EXPECT_EQ(q.failures_total(), 9u);
}

TEST(OutcomeQueueTest, TheLastWriteTakesEverythingStillWaiting) {
  OutcomeQueue<int> q(30s);
  for (int i = 1; i <= 3; ++i) q.Push(i);
  q.Failed(q.TakeBatch(2));  // even while a retry waits
  EXPECT_EQ(q.TakeAll(), (Batch{1, 2, 3}));
  EXPECT_EQ(q.size(), 0u);
}

}  // namespace
}  // namespace tayori::scheduler
