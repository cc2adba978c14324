// A thread that owns one MySQL connection and runs jobs for the loop thread.
// The blocking C API never runs on the loop thread: the loop hands
// a job here and gets its Status back through Loop::Post.
//
// Transient failures (the server restarted, a deadlock, a lost connection)
// are retried with backoff (200 ms doubling to 2 s: short, so a live engine
// is back and renewing its leases well within the heartbeat window other
// instances wait before they take leases over) on a fresh connection until
// the job succeeds or the worker stops; so a job must be safe to run again after a failure —
// one transaction, or statements guarded so a second run changes nothing.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/status.h"
#include "config/config.h"
#include "loop/loop.h"
#include "store/connection.h"

namespace tayori::store {

class DbWorker {
 public:
  // Every statement a worker runs is bounded on the server side, below the
  // client's 60 s read timeout (store/connection.cpp).
  static constexpr int kMaxStatementSeconds = 50;

  using Job = std::function<Status(Connection&)>;
  using Done = std::function<void(Status)>;

  // `name` is for logs ("db-write", "db-read").
  DbWorker(std::string name, config::Database db, std::string password, loop::Loop& loop);
  // Stops: the job in progress finishes (or gives up its retry), queued jobs
  // are answered with a transient "shutting down" status on the loop.
  ~DbWorker();

  // Runs `job` on the worker thread; `done` runs on the loop thread.
  void Submit(Job job, Done done);

  // Whether the last attempt reached the server (for /healthz and for
  // throttling new work while the database is away).
  bool healthy() const { return healthy_.load(); }
  // Whether the job in progress has failed at least once and is being
  // retried (the server answers, but e.g. is read-only or out of space):
  // the engine stops taking new work while its writes do not commit.
  bool retrying() const { return retrying_.load(); }
  size_t queue_depth() const;

 private:
  void Run();

  std::string name_;
  config::Database db_;
  std::string password_;
  loop::Loop& loop_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<Job, Done>> queue_;
  bool stopping_ = false;
  std::atomic<bool> healthy_{true};
  std::atomic<bool> retrying_{false};
  std::thread thread_;
};

}  // namespace tayori::store
