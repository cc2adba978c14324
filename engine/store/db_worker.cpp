#include "store/db_worker.h"

#include <algorithm>

#include "base/log.h"

namespace tayori::store {

DbWorker::DbWorker(std::string name, config::Database db, std::string password, loop::Loop& loop)
    : name_(std::move(name)), db_(std::move(db)), password_(std::move(password)), loop_(loop) {
  thread_ = std::thread([this] { Run(); });
}

DbWorker::~DbWorker() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void DbWorker::Submit(Job job, Done done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.emplace_back(std::move(job), std::move(done));
  }
  cv_.notify_one();
}

size_t DbWorker::queue_depth() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

void DbWorker::Run() {
  std::unique_ptr<Connection> conn;
  std::chrono::milliseconds backoff{200};
  for (;;) {
    std::pair<Job, Done> item;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping with nothing left
      if (stopping_) {
        // Answer what is left so the loop side can account for it.
        for (auto& [job, done] : queue_) loop_.Post([done = std::move(done)] { done(Transient("shutting down")); });
        queue_.clear();
        return;
      }
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    Status status;
    for (;;) {
      bool connect_failed = false;
      if (!conn) {
        auto opened = Connection::Open(db_, password_);
        if (!opened.ok()) {
          status = opened.status();
          if (!opened.status().transient()) break;  // wrong credentials or database: retrying will not help
          connect_failed = true;
        } else {
          conn = std::move(opened).value();
          // A statement still running on the server after the client gave up
          // on it (the 60 s read timeout) would go on holding its locks while
          // the retry runs beside it. The server stops it first (1969, retried).
          Status bounded = conn->Execute("SET SESSION max_statement_time = " + std::to_string(kMaxStatementSeconds));
          if (!bounded.ok()) log::Warn("db", "cannot bound statement time", {{"worker", name_}, {"reason", bounded.message()}});
          if (!healthy_.exchange(true)) log::Info("db", "reconnected", {{"worker", name_}});
        }
      }
      if (conn) {
        status = item.first(*conn);
        if (!status.transient()) {
          backoff = std::chrono::milliseconds(200);
          retrying_ = false;
          break;
        }
        retrying_ = true;
        conn.reset();  // start over on a fresh session; the server rolled back
      }
      if (connect_failed) {
        if (healthy_.exchange(false))
          log::Warn("db", "database unavailable, retrying with backoff", {{"worker", name_}, {"reason", status.message()}});
      } else {
        log::Info("db", "transient database error, retrying the job", {{"worker", name_}, {"reason", status.message()}});
      }
      std::unique_lock<std::mutex> lock(mu_);
      if (cv_.wait_for(lock, backoff, [&] { return stopping_; })) {
        status = Transient("shutting down: " + status.message());
        break;
      }
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::seconds(2));
    }
    loop_.Post([done = std::move(item.second), status] { done(status); });
  }
}

}  // namespace tayori::store
