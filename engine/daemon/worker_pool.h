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
#include <unordered_map>
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
  // an affinity it ran lately. Of another thread's, it takes:
  //  - from a backlog of kTakeOverBacklog, an affinity that thread has not
  //    run lately; the affinity then becomes the taker's own, its queued
  //    jobs with it, so the key is still set up on one thread only;
  //  - from a backlog of kTakeOverStartedBacklog, any: one more set-up, so
  //    that one large campaign still signs on every core.
  // An idle worker costs less than a set-up: on a machine shared with the
  // database and the relay connections, its core goes to them meanwhile.
  // Why: OpenSSL 3.0 sets up an RSA key's blinding (a modular inverse, about
  // as costly as a signature) for the first thread that signs with the key,
  // and once more, shared under the key's lock, for all other threads. With
  // a key per shop and ten recipients a campaign, signing each key on one
  // thread saves most second set-ups and that lock.
  void Submit(Job job, uint64_t affinity);

  // In a job of this pool: whether its affinity is new to this thread (so
  // its key is set up in it). Outside a job: false.
  static bool FirstOfAffinityOnThread();

  size_t queued() const;
  int threads() const { return static_cast<int>(threads_.size()); }
  // How many jobs a caller should keep submitted and not yet done: enough
  // that one thread's share can reach kTakeOverStartedBacklog, so a single
  // large campaign is still signed on every core.
  size_t window() const { return threads_.size() * (kTakeOverStartedBacklog + kTakeOverBacklog); }

  struct Stats {
    uint64_t own = 0;     // jobs run by their affinity's thread (or with none)
    uint64_t stolen = 0;  // jobs with an affinity run by another thread
    // Jobs whose affinity their thread had not run lately: with two workers,
    // the RSA blinding set-ups (a key's first job on each thread).
    uint64_t first_on_thread = 0;
    // Affinities another thread took over from a backlog before their own
    // thread ran them; their jobs count as the new thread's own from then.
    uint64_t moved = 0;
  };
  Stats stats() const;

 private:
  static constexpr int kWorkerNice = 10;
  static constexpr size_t kTakeOverBacklog = 4;
  static constexpr size_t kTakeOverStartedBacklog = 12;
  static void LowerPriority();

  struct Queued {
    std::optional<uint64_t> affinity;
    size_t owner = 0;  // the thread it waits for, when it has an affinity
    Job job;
  };
  // Mixed first (splitmix64's finalizer): ids with a stride (a multi-primary
  // auto_increment_increment, or every other id used) would otherwise all
  // land on one thread.
  size_t ThreadOf(uint64_t affinity) const;
  // The thread an affinity's new jobs wait for: where it was moved, else
  // ThreadOf.
  size_t OwnerOf(uint64_t affinity) const;
  // Makes `affinity` thread `to`'s, its queued jobs included.
  void Move(uint64_t affinity, size_t to);
  bool RanLately(size_t self, uint64_t affinity) const;
  // Affinities each thread remembers, the oldest first forgotten (first in,
  // first out: at most as many as the key cache holds keys, since a cached
  // key keeps its blinding; far more than the campaigns an engine holds).
  static constexpr size_t kLately = 4096;
  void Enqueue(Queued q);
  // Under mu_: whether thread `self` may take a queued job, and which.
  bool TakesFreely(size_t self, const Queued& q) const;
  bool TakesOverFresh(const Queued& q) const;
  bool TakesOverStarted(const Queued& q) const;
  bool HasWorkFor(size_t self) const;
  // Under mu_: the idle thread to notify (`first` if idle, else one that
  // HasWorkFor), marked not idle; the caller notifies it after unlocking.
  std::optional<size_t> WakeIdleWithWork(std::optional<size_t> first);
  Job TakeFor(size_t self, bool* first_on_thread);

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
  // Affinities taken over fresh, and their new thread; forgotten oldest
  // first beyond kLately (a forgotten one goes back to ThreadOf: only a
  // placement hint is lost).
  std::unordered_map<uint64_t, size_t> moved_;
  std::deque<uint64_t> moved_order_;
  size_t unpinned_ = 0;         // queued jobs for any thread
  std::deque<Queued> queue_;
  bool stopping_ = false;
  Stats stats_;
  std::vector<std::thread> threads_;
};

}  // namespace tayori::daemon
