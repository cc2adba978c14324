#include "loop/loop.h"

#include <signal.h>

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

namespace tayori::loop {
namespace {

using namespace std::chrono_literals;

TEST(LoopTest, TimerFiresAndLoopClosesCleanly) {
  Loop loop;
  int fired = 0;
  {
    Timer t(loop);
    t.Start(5ms, [&] {
      ++fired;
      loop.Stop();
    });
    loop.Run();
  }
  EXPECT_EQ(fired, 1);
  // ~Loop aborts unless uv_loop_close() == 0.
}

TEST(LoopTest, RepeatingTimerCanStopItself) {
  Loop loop;
  int fired = 0;
  Timer t(loop);
  t.Start(1ms, [&] {
    if (++fired == 3) {
      t.Stop();
      loop.Stop();
    }
  }, 1ms);
  loop.Run();
  EXPECT_EQ(fired, 3);
  EXPECT_FALSE(t.active());
}

TEST(LoopTest, TimerDestroyedInsideItsOwnCallback) {
  Loop loop;
  auto t = std::make_unique<Timer>(loop);
  t->Start(1ms, [&] {
    t.reset();
    loop.Stop();
  });
  loop.Run();
  EXPECT_EQ(t, nullptr);
}

TEST(LoopTest, PostFromManyThreadsDrainsEverything) {
  Loop loop;
  std::atomic<int> ran{0};
  constexpr int kThreads = 4, kEach = 1000;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < kEach; ++j) loop.Post([&] {
          if (++ran == kThreads * kEach) loop.Stop();
        });
    });
  }
  loop.Run();
  for (auto& t : threads) t.join();
  EXPECT_EQ(ran.load(), kThreads * kEach);
}

TEST(LoopTest, SignalWatcherRunsOnTheLoop) {
  Loop loop;
  bool got = false;
  SignalWatcher w(loop, SIGUSR1, [&] {
    got = true;
    loop.Stop();
  });
  Timer t(loop);
  t.Start(1ms, [] { raise(SIGUSR1); });
  loop.Run();
  EXPECT_TRUE(got);
}

}  // namespace
}  // namespace tayori::loop
