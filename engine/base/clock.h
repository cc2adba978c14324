// Clock: time is passed in, never read inside pure code, so tests can
// move it. SystemClock reads the real time; FakeClock is set by tests.
#pragma once

#include <chrono>
#include <cstdint>

namespace tayori {

using SysTime = std::chrono::system_clock::time_point;
using SteadyTime = std::chrono::steady_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time: Date headers, DKIM t=, database timestamps.
  virtual SysTime Now() const = 0;
  // Monotonic time: rate limiting, timeouts, backoff.
  virtual SteadyTime Steady() const = 0;
};

class SystemClock final : public Clock {
 public:
  SysTime Now() const override { return std::chrono::system_clock::now(); }
  SteadyTime Steady() const override { return std::chrono::steady_clock::now(); }
  // A process-wide instance; thread-safe, lives forever.
  static const SystemClock& Instance();
};

// Not thread-safe: tests drive it from one thread.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(SysTime start = SysTime(std::chrono::seconds(1'700'000'000)))
      : now_(start), steady_(std::chrono::seconds(1'000'000)) {}
  SysTime Now() const override { return now_; }
  SteadyTime Steady() const override { return steady_; }
  void Advance(std::chrono::nanoseconds d) {
    now_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
    steady_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
  }
  void SetNow(SysTime t) { now_ = t; }

 private:
  SysTime now_;
  SteadyTime steady_;
};

inline int64_t UnixSeconds(SysTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace tayori
