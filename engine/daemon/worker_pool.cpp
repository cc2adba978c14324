#include "daemon/worker_pool.h"

#include <sys/resource.h>
#include <unistd.h>

namespace tayori::daemon {

WorkerPool::WorkerPool(loop::Loop& loop, int threads) : loop_(loop) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] {
      LowerPriority();
      for (;;) {
        Job job;
        {
          std::unique_lock<std::mutex> lock(mu_);
          cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
          if (queue_.empty()) return;
          job = std::move(queue_.front());
          queue_.pop_front();
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
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void WorkerPool::Submit(Job job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(job));
  }
  cv_.notify_one();
}

size_t WorkerPool::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

}  // namespace tayori::daemon
