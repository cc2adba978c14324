// The worker pool's placement: jobs of one affinity (one author domain, one
// signing key) stay on one thread while it keeps up, a busy thread's backlog
// is taken over, and nothing waits while a thread is idle.
#include "daemon/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <mutex>
#include <thread>

namespace tayori::daemon {
namespace {


class WorkerPoolTest : public ::testing::Test {
 protected:
  // Runs a job that records its thread, and waits for it.
  std::thread::id RunOne(WorkerPool& pool, std::optional<uint64_t> affinity) {
    std::promise<std::thread::id> ran;
    auto job = [&ran]() -> std::function<void()> {
      ran.set_value(std::this_thread::get_id());
      return [] {};
    };
    if (affinity) pool.Submit(job, *affinity);
    else pool.Submit(job);
    return ran.get_future().get();
  }

  // The thread of each affinity 0..n-1, learnt by running one job of each
  // while the pool is idle (a job wakes its own thread when that one is idle).
  std::vector<std::thread::id> ThreadsOf(WorkerPool& pool, uint64_t n) {
    std::vector<std::thread::id> out;
    for (uint64_t a = 0; a < n; ++a) out.push_back(RunOne(pool, a));
    return out;
  }
  // Two affinities that share a thread, and one on the other thread.
  struct Pick {
    uint64_t a, same_as_a, other;
  };
  Pick PickAffinities(WorkerPool& pool) {
    auto threads = ThreadsOf(pool, 16);
    Pick p{0, 0, 0};
    bool same = false, other = false;
    for (uint64_t i = 1; i < threads.size(); ++i) {
      if (!same && threads[i] == threads[0]) p.same_as_a = i, same = true;
      if (!other && threads[i] != threads[0]) p.other = i, other = true;
    }
    EXPECT_TRUE(same && other) << "16 affinities on one thread";
    return p;
  }

  // Blocks the thread of `affinity` in a job until `released`; its id.
  std::thread::id BlockThreadOf(WorkerPool& pool, uint64_t affinity, std::shared_future<void> released) {
    auto blocked_on = std::make_shared<std::promise<std::thread::id>>();
    auto on = blocked_on->get_future();
    pool.Submit(
        [blocked_on, released]() -> std::function<void()> {
          blocked_on->set_value(std::this_thread::get_id());
          released.wait();
          return [] {};
        },
        affinity);
    return on.get();
  }

  // The threads that ran `n` jobs of one affinity, and when all of them ran.
  // Shared with the jobs, so it outlives the pool whichever is declared first.
  struct Recorded {
    std::mutex mu;
    std::multiset<std::thread::id> threads;
    int left = 0;
    std::promise<void> done;
    std::shared_future<void> all_ran = done.get_future().share();
    std::multiset<std::thread::id> Threads() {
      std::lock_guard<std::mutex> lock(mu);
      return threads;
    }
    size_t DistinctThreads() {
      auto t = Threads();
      return std::set<std::thread::id>(t.begin(), t.end()).size();
    }
  };
  std::shared_ptr<Recorded> SubmitRecorded(WorkerPool& pool, int n, uint64_t affinity) {
    auto r = std::make_shared<Recorded>();
    r->left = n;
    for (int i = 0; i < n; ++i) {
      pool.Submit(
          [r]() -> std::function<void()> {
            std::lock_guard<std::mutex> lock(r->mu);
            r->threads.insert(std::this_thread::get_id());
            if (--r->left == 0) r->done.set_value();
            return [] {};
          },
          affinity);
    }
    return r;
  }

  loop::Loop loop_;  // receives the continuations; never run here
};

TEST_F(WorkerPoolTest, OneAffinityRunsOnOneThreadWhileItKeepsUp) {
  WorkerPool pool(loop_, 2);
  std::map<uint64_t, std::set<std::thread::id>> threads_of;
  std::set<std::thread::id> all;
  for (int round = 0; round < 10; ++round) {
    for (uint64_t domain = 100; domain < 116; ++domain) {
      auto t = RunOne(pool, domain);
      threads_of[domain].insert(t);
      all.insert(t);
    }
  }
  for (const auto& [domain, threads] : threads_of) EXPECT_EQ(threads.size(), 1u) << "domain " << domain;
  EXPECT_EQ(all.size(), 2u);  // the domains spread over both threads
  // Ids with a stride spread too (they are mixed before the thread is chosen).
  std::set<std::thread::id> strided;
  for (uint64_t id = 2; id <= 32; id += 2) strided.insert(RunOne(pool, id));
  EXPECT_EQ(strided.size(), 2u);
  auto stats = pool.stats();
  EXPECT_EQ(stats.own, 160u + 16u);
  EXPECT_EQ(stats.stolen, 0u);
  EXPECT_EQ(stats.first_on_thread, 16u + 16u);
}

TEST_F(WorkerPoolTest, ADeepBacklogOfAStartedAffinityIsTakenOver) {
  // Declared before the pool: its destructor runs what is still queued.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  const int backlog = 14;  // kTakeOverStartedBacklog and more
  WorkerPool pool(loop_, 2);
  Pick pick = PickAffinities(pool);  // each affinity run once: started on its thread
  uint64_t stolen_before = pool.stats().stolen;
  // The thread of affinity a blocked in a job; its next jobs must not wait.
  std::thread::id owner = BlockThreadOf(pool, pick.a, released);
  auto ran = SubmitRecorded(pool, backlog, pick.same_as_a);
  // All of them run while the owner is still blocked: the other thread took
  // the backlog over (from the first job it took, the affinity is one it ran
  // lately, so it takes the rest too). A hang here is the test's timeout.
  ran->all_ran.wait();
  EXPECT_EQ(ran->DistinctThreads(), 1u);
  EXPECT_EQ(ran->Threads().count(owner), 0u);
  release.set_value();
  EXPECT_EQ(pool.stats().stolen - stolen_before, static_cast<uint64_t>(backlog));
}

TEST_F(WorkerPoolTest, AnAffinityTakenOverBeforeItsThreadRanItMovesWhole) {
  // Which affinities share a thread is the same in every pool of two: learn
  // it in one pool, so that in a second one an affinity is fresh (no thread
  // has run it, no key has been set up for it).
  uint64_t fresh = 0;
  {
    WorkerPool probe(loop_, 2);
    auto threads = ThreadsOf(probe, 16);
    for (uint64_t i = 1; i < threads.size() && fresh == 0; ++i)
      if (threads[i] == threads[0]) fresh = i;
    ASSERT_NE(fresh, 0u) << "16 affinities on one thread";
  }
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  const int backlog = 6;
  WorkerPool pool(loop_, 2);
  // Affinity 0's thread, which `fresh` hashes to, is blocked; `fresh` queues up.
  std::thread::id hashed = BlockThreadOf(pool, 0, released);
  auto ran = SubmitRecorded(pool, backlog, fresh);
  ran->all_ran.wait();
  // Released before any ASSERT can return: the pool's destructor joins the
  // blocked thread.
  release.set_value();
  ASSERT_EQ(ran->DistinctThreads(), 1u);
  std::thread::id taker = *ran->Threads().begin();
  EXPECT_NE(taker, hashed);
  // Now the affinity is the taker's: with both threads idle, its next jobs
  // run there and not on the thread its hash names.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(RunOne(pool, fresh), taker);
  auto stats = pool.stats();
  EXPECT_EQ(stats.moved, 1u);
  EXPECT_EQ(stats.stolen, 0u);  // from the move on, its jobs are the taker's own
  EXPECT_EQ(stats.first_on_thread, 2u);  // affinity 0 on its thread, `fresh` on the taker
}

TEST_F(WorkerPoolTest, AShallowBacklogOfAStartedAffinityWaitsForItsOwnThread) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  const int backlog = 6;  // a backlog, but less than kTakeOverStartedBacklog
  WorkerPool pool(loop_, 2);
  Pick pick = PickAffinities(pool);
  uint64_t stolen_before = pool.stats().stolen;
  std::thread::id owner = BlockThreadOf(pool, pick.a, released);
  auto ran = SubmitRecorded(pool, backlog, pick.same_as_a);
  // The idle thread leaves them (the key is set up on the owner already; a
  // second set-up costs about a signature) and takes work of its own.
  EXPECT_NE(RunOne(pool, pick.other), owner);
  EXPECT_NE(RunOne(pool, std::nullopt), owner);  // anyone's job: the idle thread
  EXPECT_TRUE(ran->Threads().empty());
  release.set_value();
  ran->all_ran.wait();
  EXPECT_EQ(ran->Threads().count(owner), static_cast<size_t>(backlog));
  EXPECT_EQ(pool.stats().stolen, stolen_before);
}

TEST_F(WorkerPoolTest, AJobKnowsWhetherItsAffinityIsNewToItsThread) {
  // What the engine uses to leave key set-ups out of its signing-time probe.
  WorkerPool pool(loop_, 2);
  auto first = [&](std::optional<uint64_t> affinity) {
    std::promise<bool> was;
    auto job = [&was]() -> std::function<void()> {
      was.set_value(WorkerPool::FirstOfAffinityOnThread());
      return [] {};
    };
    if (affinity) pool.Submit(job, *affinity);
    else pool.Submit(job);
    return was.get_future().get();
  };
  EXPECT_TRUE(first(7));
  EXPECT_FALSE(first(7));
  EXPECT_FALSE(first(7));
  EXPECT_TRUE(first(8));
  EXPECT_FALSE(first(std::nullopt));  // no affinity: no key of its own
  EXPECT_FALSE(WorkerPool::FirstOfAffinityOnThread());  // outside any job
  EXPECT_EQ(pool.stats().first_on_thread, 2u);
}

TEST_F(WorkerPoolTest, EveryQueuedJobRunsBeforeThePoolIsGone) {
  std::atomic<int> done{0};
  {
    WorkerPool pool(loop_, 2);
    for (int i = 0; i < 100; ++i)
      pool.Submit(
          [&]() -> std::function<void()> {
            ++done;
            return [] {};
          },
          static_cast<uint64_t>(i % 3));
  }
  EXPECT_EQ(done.load(), 100);
}

}  // namespace
}  // namespace tayori::daemon
