// Outcomes recorded but not yet committed, and the write-back's discipline:
// one write at a time, oldest first; a write that fails puts its batch back
// in front, in order, and the next attempt waits a backoff (1 s, doubling to
// a cap). An outcome is never dropped: a dropped one would let its delivery
// be leased and sent again. While writes fail the engine leases and sends
// nothing new (failing()).
//
// Pure: no I/O, no timers; the caller writes the batch and arms the retry
// with the delay Failed() returns. Not thread-safe: the loop thread owns it.
// T is the caller's outcome row.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <iterator>
#include <vector>

namespace tayori::scheduler {

template <typename T>
class OutcomeQueue {
 public:
  explicit OutcomeQueue(std::chrono::milliseconds max_backoff) : max_backoff_(max_backoff) {}

  void Push(T outcome) { waiting_.push_back(std::move(outcome)); }

  // A write may start: something waits, no write is in flight, no retry is
  // waiting for its backoff.
  bool CanWrite() const { return !waiting_.empty() && !in_flight_ && !retry_pending_; }

  // The oldest `max` outcomes, for one write; the write is then in flight
  // until Written() or Failed().
  std::vector<T> TakeBatch(size_t max) {
    size_t n = std::min(waiting_.size(), max);
    std::vector<T> batch(std::make_move_iterator(waiting_.begin()),
                         std::make_move_iterator(waiting_.begin() + static_cast<std::ptrdiff_t>(n)));
    waiting_.erase(waiting_.begin(), waiting_.begin() + static_cast<std::ptrdiff_t>(n));
    in_flight_ = true;
    return batch;
  }

  // The write committed. Returns how many attempts had failed before it
  // (0 when writes were healthy), for the "recovered" log line.
  int Written() {
    in_flight_ = false;
    int failed_before = failures_;
    failures_ = 0;
    return failed_before;
  }

  // The write failed: its batch goes back in front, in order, and the next
  // attempt may start after the returned delay (RetryDue()).
  std::chrono::milliseconds Failed(std::vector<T> batch) {
    waiting_.insert(waiting_.begin(), std::make_move_iterator(batch.begin()), std::make_move_iterator(batch.end()));
    in_flight_ = false;
    retry_pending_ = true;
    ++failures_;
    ++failures_total_;
    return std::min<std::chrono::milliseconds>(std::chrono::milliseconds(500 << std::min(failures_, 6)), max_backoff_);
  }
  void RetryDue() { retry_pending_ = false; }

  // Everything waiting, for the last write at shutdown (nothing in flight
  // then: the caller waits for it first).
  std::vector<T> TakeAll() { return TakeBatch(waiting_.size()); }

  bool failing() const { return failures_ > 0; }
  int consecutive_failures() const { return failures_; }
  uint64_t failures_total() const { return failures_total_; }
  bool in_flight() const { return in_flight_; }
  bool retry_pending() const { return retry_pending_; }
  size_t size() const { return waiting_.size(); }
  bool empty() const { return waiting_.empty(); }

 private:
  std::chrono::milliseconds max_backoff_;
  std::deque<T> waiting_;
  bool in_flight_ = false;
  bool retry_pending_ = false;
  int failures_ = 0;  // consecutive
  uint64_t failures_total_ = 0;
};

}  // namespace tayori::scheduler
