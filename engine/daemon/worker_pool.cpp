#include "daemon/worker_pool.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>

namespace tayori::daemon {

WorkerPool::WorkerPool(loop::Loop& loop, int threads)
    : loop_(loop),
      wake_(static_cast<size_t>(threads <= 0 ? std::max(1u, std::thread::hardware_concurrency()) : threads)),
      idle_(wake_.size(), false),
      pinned_(wake_.size(), 0),
      lately_(wake_.size()) {
  for (size_t i = 0; i < wake_.size(); ++i) {
    threads_.emplace_back([this, self = i] {
      LowerPriority();
      for (;;) {
        Job job;
        {
          std::unique_lock<std::mutex> lock(mu_);
          while (!stopping_ && !HasWorkFor(self)) {
            idle_[self] = true;
            wake_[self].wait(lock);
            idle_[self] = false;
          }
          if (queue_.empty()) return;
          job = TakeFor(self);
        }
        loop_.Post(job());
      }
    });
  }
}

// Signing is throughput work; the loop thread (and, on a shared machine, the
// relay and the database) is latency work: every SMTP command waits for it.
// Workers that outrank nothing let the loop answer a relay at once and fill
// the remaining CPU with signatures. Linux applies a nice value per thread.
// A failure is not fatal: only the share of CPU between our threads changes.
void WorkerPool::LowerPriority() { (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kWorkerNice); }

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  for (auto& w : wake_) w.notify_one();
  for (auto& t : threads_) t.join();
}

size_t WorkerPool::ThreadOf(uint64_t affinity) const {
  uint64_t z = affinity + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return static_cast<size_t>(z % wake_.size());
}

bool WorkerPool::RanLately(size_t self, uint64_t affinity) const {
  return lately_[self].set.contains(affinity);
}

bool WorkerPool::HasWorkFor(size_t self) const {
  if (queue_.empty()) return false;
  if (unpinned_ > 0 || pinned_[self] > 0) return true;
  if (std::any_of(pinned_.begin(), pinned_.end(), [](size_t n) { return n >= kTakeOverBacklog; })) return true;
  return std::any_of(queue_.begin(), queue_.end(), [&](const Queued& q) { return RanLately(self, *q.affinity); });
}

WorkerPool::Job WorkerPool::TakeFor(size_t self) {
  // The oldest job that is its own, anyone's, or of an affinity it ran
  // lately (no set-up to repeat); else, at stopping or when another thread
  // has a backlog, the oldest of all.
  auto pick = std::find_if(queue_.begin(), queue_.end(), [&](const Queued& q) {
    return !q.affinity || ThreadOf(*q.affinity) == self || RanLately(self, *q.affinity);
  });
  if (pick == queue_.end())
    pick = std::find_if(queue_.begin(), queue_.end(),
                        [&](const Queued& q) { return stopping_ || pinned_[ThreadOf(*q.affinity)] >= kTakeOverBacklog; });
  if (pick == queue_.end()) pick = queue_.begin();  // not reached: HasWorkFor said there is one
  Queued q = std::move(*pick);
  queue_.erase(pick);
  if (!q.affinity) {
    --unpinned_;
    ++stats_.own;
    return std::move(q.job);
  }
  size_t owner = ThreadOf(*q.affinity);
  --pinned_[owner];
  ++(owner == self ? stats_.own : stats_.stolen);
  if (!RanLately(self, *q.affinity)) {
    ++stats_.first_on_thread;
    Lately& seen = lately_[self];
    seen.set.insert(*q.affinity);
    seen.order.push_back(*q.affinity);
    if (seen.order.size() > kLately) {
      seen.set.erase(seen.order.front());
      seen.order.pop_front();
    }
  }
  return std::move(q.job);
}

void WorkerPool::Enqueue(Queued q) {
  std::optional<size_t> wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::optional<size_t> owner;
    if (q.affinity) owner = ThreadOf(*q.affinity);
    if (owner) ++pinned_[*owner];
    else ++unpinned_;
    // Its own thread if idle; else an idle one that may take it (a job for
    // anyone, a busy thread's backlog, or an affinity it ran lately).
    if (owner && idle_[*owner]) wake = owner;
    for (size_t i = 0; !wake && i < idle_.size(); ++i)
      if (idle_[i] && (!owner || pinned_[*owner] >= kTakeOverBacklog || RanLately(i, *q.affinity))) wake = i;
    // Woken now: the next job must not count on this thread to take it too.
    if (wake) idle_[*wake] = false;
    queue_.push_back(std::move(q));
  }
  if (wake) wake_[*wake].notify_one();
}

void WorkerPool::Submit(Job job) { Enqueue(Queued{std::nullopt, std::move(job)}); }

void WorkerPool::Submit(Job job, uint64_t affinity) {
  Enqueue(Queued{affinity, std::move(job)});
}

size_t WorkerPool::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

WorkerPool::Stats WorkerPool::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace tayori::daemon
