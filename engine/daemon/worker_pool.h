// Threads for the CPU work of the pipeline (render + sign): the loop thread
// hands a job here and gets its continuation back through Loop::Post, so the
// loop never waits on an RSA signature and both cores are used.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "loop/loop.h"

namespace tayori::daemon {

class WorkerPool {
 public:
  // A job runs on a worker and returns what to run next on the loop thread.
  using Job = std::function<std::function<void()>()>;

  // threads <= 0: one per core.
  WorkerPool(loop::Loop& loop, int threads);
  // Finishes queued jobs, then joins. Destroy before the Loop.
  ~WorkerPool();

  void Submit(Job job);
  size_t queued() const;
  int threads() const { return static_cast<int>(threads_.size()); }

 private:
  static constexpr int kWorkerNice = 10;
  static void LowerPriority();

  loop::Loop& loop_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace tayori::daemon
