// A token bucket: `rate` tokens per second, holding at most `burst`. It answers
// "allowed" or "retry after D" and never blocks or polls; time is passed in
// (steady clock), so it is pure and testable with a fake clock.
//
// Over any window of W seconds it admits at most burst + rate * W messages,
// the bound the relay tests check.
#pragma once

#include <chrono>

#include "base/clock.h"

namespace tayori::ratelimit {

using Duration = std::chrono::nanoseconds;

struct Decision {
  bool allowed = false;
  Duration retry_after{0};  // when !allowed: the earliest time it can succeed
  // When !allowed because every connection slot of the destination is
  // taken: it can succeed as soon as one of its messages finishes, so the
  // caller waits for that (Shaper::FreeSlots) rather than for retry_after.
  bool until_slot_frees = false;
  static Decision Allow() { return {true, Duration(0), false}; }
  static Decision Wait(Duration d) { return {false, d, false}; }
  static Decision WaitForSlot() { return {false, Duration(0), true}; }
};

class TokenBucket {
 public:
  // Preconditions: rate > 0, burst >= 1. Starts full.
  TokenBucket(double rate_per_second, double burst, SteadyTime now);

  // Takes `n` tokens if available; otherwise takes nothing and says when.
  Decision TryTake(SteadyTime now, double n = 1);
  // What TryTake would answer, without taking.
  Decision Peek(SteadyTime now, double n = 1);
  // Gives back tokens taken for a message that was then not sent.
  void Refund(double n = 1);

  // Changes the rate (adaptive shaping); tokens accrued so far are kept.
  void SetRate(double rate_per_second, SteadyTime now);
  // Changes the bucket size (>= 1); tokens above the new size are dropped.
  void SetBurst(double burst, SteadyTime now);
  double rate() const { return rate_; }
  double burst() const { return burst_; }
  double tokens(SteadyTime now);

 private:
  void Refill(SteadyTime now);

  double rate_;
  double burst_;
  double tokens_;
  SteadyTime last_;
};

}  // namespace tayori::ratelimit
