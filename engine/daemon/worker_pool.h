// Threads for the CPU work of the pipeline (render + sign): the loop thread
// hands a job here and gets its continuation back through Loop::Post, so the
// loop never waits on an RSA signature and both cores are used.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>
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

  // Any thread runs it.
  void Submit(Job job);
  // Jobs with the same affinity run on one thread (chosen by a hash of the
  // affinity): a worker takes the oldest job that is its own, anyone's, or of
  // an affinity it ran lately; another thread's only when that one has
  // kTakeOverBacklog jobs waiting, so one busy thread does not hold the work
  // up (one large campaign still signs on every core).
  // Why: OpenSSL 3.0 sets up an RSA key's blinding (a modular inverse, about
  // as costly as a signature) for the first thread that signs with the key,
  // and once more, shared under the key's lock, for all other threads. With
  // a key per shop and ten recipients a campaign, signing each key on one
  // thread saves most second set-ups and that lock.
  void Submit(Job job, uint64_t affinity);

  size_t queued() const;
  int threads() const { return static_cast<int>(threads_.size()); }

  struct Stats {
    uint64_t own = 0;     // jobs run by their affinity's thread (or with none)
    uint64_t stolen = 0;  // jobs with an affinity run by another thread
    // Jobs whose affinity their thread had not run lately: with two workers,
    // the RSA blinding set-ups (a key's first job on each thread).
    uint64_t first_on_thread = 0;
  };
  Stats stats() const;

 private:
  static constexpr int kWorkerNice = 10;
  static constexpr size_t kTakeOverBacklog = 4;
  static void LowerPriority();

  struct Queued {
    std::optional<uint64_t> affinity;
    Job job;
  };
  // Mixed first (splitmix64's finalizer): ids with a stride (a multi-primary
  // auto_increment_increment, or every other id used) would otherwise all
  // land on one thread.
  size_t ThreadOf(uint64_t affinity) const;
  bool RanLately(size_t self, uint64_t affinity) const;
  // Affinities each thread remembers, the oldest first forgotten (first in,
  // first out: at most as many as the key cache holds keys, since a cached
  // key keeps its blinding; far more than the campaigns an engine holds).
  static constexpr size_t kLately = 4096;
  void Enqueue(Queued q);
  // Under mu_: whether thread `self` may take a queued job, and which.
  bool HasWorkFor(size_t self) const;
  Job TakeFor(size_t self);

  loop::Loop& loop_;
  mutable std::mutex mu_;
  // One per thread, so a job wakes its own thread when that one is idle
  // (one shared variable would wake any, and the other would take it).
  std::vector<std::condition_variable> wake_;
  std::vector<bool> idle_;  // waiting on its wake_, not yet woken
  std::vector<size_t> pinned_;  // queued jobs per thread
  struct Lately {
    std::unordered_set<uint64_t> set;
    std::deque<uint64_t> order;  // oldest first, forgotten beyond kLately
  };
  std::vector<Lately> lately_;  // per thread
  size_t unpinned_ = 0;         // queued jobs for any thread
  std::deque<Queued> queue_;
  bool stopping_ = false;
  Stats stats_;
  std::vector<std::thread> threads_;
};

}  // namespace tayori::daemon
