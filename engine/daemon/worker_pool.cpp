#include "daemon/worker_pool.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>

namespace tayori::daemon {

namespace {
thread_local bool t_first_of_affinity = false;
}  // namespace

bool WorkerPool::FirstOfAffinityOnThread() { return t_first_of_affinity; }

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
        bool first = false;
        std::optional<size_t> wake;
        {
          std::unique_lock<std::mutex> lock(mu_);
          while (!stopping_ && !HasWorkFor(self)) {
            idle_[self] = true;
            wake_[self].wait(lock);
            idle_[self] = false;
          }
          if (queue_.empty()) return;
          job = TakeFor(self, &first);
          // Taking a job can leave work for an idle thread (a move adds to
          // this thread's backlog; a domain forgotten from "lately" is fresh
          // again): wake it, as a submission would.
          wake = WakeIdleWithWork(std::nullopt);
        }
        if (wake) wake_[*wake].notify_one();
        t_first_of_affinity = first;
        loop_.Post(job());
        t_first_of_affinity = false;
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

size_t WorkerPool::OwnerOf(uint64_t affinity) const {
  auto it = moved_.find(affinity);
  return it != moved_.end() ? it->second : ThreadOf(affinity);
}

std::optional<size_t> WorkerPool::WakeIdleWithWork(std::optional<size_t> first) {
  std::optional<size_t> wake;
  if (first && idle_[*first]) wake = first;
  for (size_t i = 0; !wake && i < idle_.size(); ++i)
    if (idle_[i] && HasWorkFor(i)) wake = i;
  // Woken now: the next job must not count on this thread to take it too.
  if (wake) idle_[*wake] = false;
  return wake;
}

// Queued jobs keep the owner they were given, so forgetting a move later
// leaves the counts right; only new jobs go back to ThreadOf, which may then
// set the key up once more.
void WorkerPool::Move(uint64_t affinity, size_t to) {
  auto [it, added] = moved_.insert_or_assign(affinity, to);
  if (added) {
    moved_order_.push_back(affinity);
    if (moved_order_.size() > kLately) {
      moved_.erase(moved_order_.front());
      moved_order_.pop_front();
    }
  }
  for (Queued& q : queue_) {
    if (q.affinity != affinity || q.owner == to) continue;
    --pinned_[q.owner];
    ++pinned_[to];
    q.owner = to;
  }
}

bool WorkerPool::RanLately(size_t self, uint64_t affinity) const {
  return lately_[self].set.contains(affinity);
}

bool WorkerPool::TakesFreely(size_t self, const Queued& q) const {
  return !q.affinity || q.owner == self || RanLately(self, *q.affinity);
}

bool WorkerPool::TakesOverFresh(const Queued& q) const {
  return q.affinity && pinned_[q.owner] >= kTakeOverBacklog && !RanLately(q.owner, *q.affinity);
}

bool WorkerPool::TakesOverStarted(const Queued& q) const {
  return stopping_ || (q.affinity && pinned_[q.owner] >= kTakeOverStartedBacklog);
}

bool WorkerPool::HasWorkFor(size_t self) const {
  if (queue_.empty()) return false;
  if (unpinned_ > 0 || pinned_[self] > 0) return true;
  return std::any_of(queue_.begin(), queue_.end(), [&](const Queued& q) {
    return TakesFreely(self, q) || TakesOverFresh(q) || TakesOverStarted(q);
  });
}

WorkerPool::Job WorkerPool::TakeFor(size_t self, bool* first_on_thread) {
  // The oldest job it takes freely (no set-up to repeat); else the oldest
  // of a backlog whose affinity its thread has not started (moved here
  // whole: one set-up in all); else the oldest of a deep backlog.
  auto pick = std::find_if(queue_.begin(), queue_.end(), [&](const Queued& q) { return TakesFreely(self, q); });
  if (pick == queue_.end()) {
    pick = std::find_if(queue_.begin(), queue_.end(), [&](const Queued& q) { return TakesOverFresh(q); });
    if (pick != queue_.end()) {
      Move(*pick->affinity, self);
      ++stats_.moved;
    }
  }
  if (pick == queue_.end())
    pick = std::find_if(queue_.begin(), queue_.end(), [&](const Queued& q) { return TakesOverStarted(q); });
  if (pick == queue_.end()) pick = queue_.begin();  // not reached: HasWorkFor said there is one
  Queued q = std::move(*pick);
  queue_.erase(pick);
  if (!q.affinity) {
    --unpinned_;
    ++stats_.own;
    return std::move(q.job);
  }
  --pinned_[q.owner];
  ++(q.owner == self ? stats_.own : stats_.stolen);
  if (!RanLately(self, *q.affinity)) {
    *first_on_thread = true;
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
    if (q.affinity) owner = q.owner = OwnerOf(*q.affinity);
    if (owner) ++pinned_[*owner];
    else ++unpinned_;
    queue_.push_back(std::move(q));
    // Its own thread if idle; else an idle one that may now take a job
    // (this one, or an older one that this one made a backlog of).
    wake = WakeIdleWithWork(owner);
  }
  if (wake) wake_[*wake].notify_one();
}

void WorkerPool::Submit(Job job) { Enqueue(Queued{std::nullopt, 0, std::move(job)}); }

void WorkerPool::Submit(Job job, uint64_t affinity) {
  Enqueue(Queued{affinity, 0, std::move(job)});
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
