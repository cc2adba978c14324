// Module scheduler/: pure decisions about campaigns and deliveries: typed states, retry policy,
// suppressions seen, the dispatcher (fair queue, parking and wake-up), lease renewal cadence
// (lease_book.h) and the write-back's outcome queue (outcome_queue.h); time passed in. May include: base/, config/, ratelimit/ (its links in CMakeLists.txt, and what
// they link publicly; scripts/check-layering checks both).
//
// The dispatcher: which leased delivery starts next, and what waits.
//
// Leased work enters a fair queue (shop, then campaign, in turn). Each
// dispatch run takes work in that order while the caller has room for one
// more message in its pipeline, and asks the shaper for a reservation:
//   * granted: the work starts (the caller renders, signs and submits it);
//   * every connection slot of its destination is taken: it waits for that
//     destination and is woken, ahead of the queue, as soon as one of the
//     destination's messages finishes (Finish/Abandon) — never by a timer;
//   * the destination's rate or a short pause: it is parked until then, and
//     goes back into the fair queue when due;
//   * a pause longer than the park horizon: it goes back to the caller to
//     be released to the database, which keeps it instead of our memory.
// While the global budget is spent the work stays in the fair queue, so the
// order between shops stays round robin.
//
// Pure: time is passed in, nothing here blocks or arms timers; a run says
// when it wants to run again. Not thread-safe: the engine's loop thread owns
// it. T is the caller's handle of one unit of work (the engine's leased
// delivery); the dispatcher only moves it.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ratelimit/shaper.h"
#include "scheduler/fair_queue.h"

namespace tayori::scheduler {

using ratelimit::Duration;

// What the dispatcher needs to know of a unit of work.
struct Ticket {
  uint64_t tenant_id = 0;
  uint64_t campaign_id = 0;
  std::string shaping_key;  // ratelimit::Shaper::KeyOf its recipient domain
};

// The caller's answer before a unit of work is shaped.
enum class Vet {
  kDispatch,  // still wanted: reserve it
  kTaken,     // the caller took it (released, cancelled, suppressed)
};

template <typename T>
class Dispatcher {
 public:
  struct Hooks {
    // Whether the pipeline has room for one more message (the build window).
    std::function<bool()> room;
    // Asked once per unit before it is shaped: the campaign still sends,
    // the recipient is not suppressed, the engine is not draining.
    std::function<Vet(const Ticket&, T&)> vet;
    // A reservation was granted: start it. Report its end with Finish (or
    // Abandon when it never reached a relay), exactly once.
    std::function<void(const Ticket&, T)> start;
    // Its destination is paused longer than the park horizon: give it back
    // for `retry_after`.
    std::function<void(const Ticket&, T, Duration retry_after)> release;
  };

  // `park_horizon`: the longest wait held in memory.
  Dispatcher(ratelimit::Shaper& shaper, Duration park_horizon) : shaper_(shaper), park_horizon_(park_horizon) {}

  // A new horizon (a reload): units parked already keep their time.
  void SetParkHorizon(Duration park_horizon) { park_horizon_ = park_horizon; }

  void Push(Ticket ticket, T work) {
    uint64_t tenant = ticket.tenant_id, campaign = ticket.campaign_id;
    queue_.Push(tenant, campaign, Entry{std::move(ticket), std::move(work)});
  }

  // Dispatches while hooks.room() says yes, work is waiting, and fewer than
  // `park_limit` units are parked or waiting for a slot (beyond that the
  // queue waits rather than filling memory with units no destination takes).
  // Returns when to run again (a parked unit due, the global budget
  // refilled), or nullopt when only an event — a push, a finish — can let
  // more work start.
  std::optional<SteadyTime> Run(SteadyTime now, size_t park_limit, const Hooks& hooks) {
    while (!parked_.empty() && parked_.top().ready_at <= now) {
      Entry e = std::move(const_cast<Parked&>(parked_.top()).entry);
      parked_.pop();
      uint64_t tenant = e.ticket.tenant_id, campaign = e.ticket.campaign_id;
      queue_.Push(tenant, campaign, std::move(e));
    }
    while (hooks.room() && (!woken_.empty() || !queue_.empty()) && parked_.size() + slot_waiting_ < park_limit) {
      ratelimit::Decision global = shaper_.PeekGlobal(now);
      if (!global.allowed) {
        ++rate_waits_;
        SteadyTime at = now + global.retry_after + std::chrono::milliseconds(1);
        if (auto p = NextParkedAt(); p && *p < at) at = *p;
        return at;
      }
      Entry e;
      if (!woken_.empty()) {
        e = std::move(woken_.front());
        woken_.pop_front();
      } else {
        e = std::move(*queue_.Pop());
      }
      if (hooks.vet(e.ticket, e.work) == Vet::kTaken) continue;
      ratelimit::Decision d = shaper_.TryReserve(e.ticket.shaping_key, now);
      if (d.allowed) {
        hooks.start(e.ticket, std::move(e.work));
        continue;
      }
      ++rate_waits_;
      if (d.until_slot_frees) {
        std::string key = e.ticket.shaping_key;
        slot_waiters_[key].push_back(std::move(e));
        ++slot_waiting_;
      } else if (d.retry_after > park_horizon_) {
        hooks.release(e.ticket, std::move(e.work), d.retry_after);
      } else {
        parked_.push(Parked{now + d.retry_after, std::move(e)});
      }
    }
    return NextParkedAt();
  }

  // A started unit of `key` finished with the relay's feedback: the shaper
  // learns it, and as many units waiting for one of its slots as are free
  // now go ahead of the queue.
  void Finish(const std::string& key, ratelimit::Feedback feedback, SteadyTime now) {
    shaper_.Finish(key, feedback, now);
    Wake(key);
  }
  // A started unit of `key` never reached a relay (its message could not be
  // built, or the drain deadline gave it back).
  void Abandon(const std::string& key) {
    shaper_.Abandon(key);
    Wake(key);
  }

  // Every unit not started, taken out (for the drain: it goes back to the
  // database unstarted).
  std::vector<std::pair<Ticket, T>> TakeAll() {
    return TakeIf([](const Ticket&) { return true; }, /*tenant=*/std::nullopt, /*campaign=*/std::nullopt);
  }
  // Every unit of one campaign not started (paused or cancelled).
  std::vector<std::pair<Ticket, T>> TakeCampaign(uint64_t tenant_id, uint64_t campaign_id) {
    return TakeIf([campaign_id](const Ticket& t) { return t.campaign_id == campaign_id; }, tenant_id, campaign_id);
  }

  std::optional<SteadyTime> NextParkedAt() const {
    if (parked_.empty()) return std::nullopt;
    return parked_.top().ready_at;
  }

  size_t queued() const { return queue_.size(); }
  size_t parked() const { return parked_.size(); }
  size_t waiting_for_slot() const { return slot_waiting_; }
  size_t woken() const { return woken_.size(); }
  // Everything not started.
  size_t size() const { return queue_.size() + parked_.size() + slot_waiting_ + woken_.size(); }
  // Reservations refused (rate, slot, pause or global budget): a metric.
  uint64_t rate_waits() const { return rate_waits_; }

 private:
  struct Entry {
    Ticket ticket;
    T work;
  };
  struct Parked {
    SteadyTime ready_at;
    Entry entry;
    bool operator>(const Parked& o) const { return ready_at > o.ready_at; }
  };

  void Wake(const std::string& key) {
    auto it = slot_waiters_.find(key);
    if (it == slot_waiters_.end()) return;
    for (int n = shaper_.FreeSlots(key); n > 0 && !it->second.empty(); --n) {
      woken_.push_back(std::move(it->second.front()));
      it->second.pop_front();
      --slot_waiting_;
    }
    if (it->second.empty()) slot_waiters_.erase(it);
  }

  // The fair queue gives up a whole campaign at once when one is named;
  // the other places are scanned.
  std::vector<std::pair<Ticket, T>> TakeIf(const std::function<bool(const Ticket&)>& which,
                                            std::optional<uint64_t> tenant, std::optional<uint64_t> campaign) {
    std::vector<std::pair<Ticket, T>> out;
    auto take = [&](Entry& e) { out.emplace_back(std::move(e.ticket), std::move(e.work)); };
    if (campaign) {
      for (Entry& e : queue_.RemoveCampaign(*tenant, *campaign)) take(e);
    } else {
      while (auto e = queue_.Pop()) take(*e);
    }
    std::vector<Parked> keep;
    while (!parked_.empty()) {
      Parked p = std::move(const_cast<Parked&>(parked_.top()));
      parked_.pop();
      if (which(p.entry.ticket)) take(p.entry);
      else keep.push_back(std::move(p));
    }
    for (auto& p : keep) parked_.push(std::move(p));
    auto take_from = [&](std::deque<Entry>& d) {
      std::deque<Entry> rest;
      for (Entry& e : d) {
        if (which(e.ticket)) take(e);
        else rest.push_back(std::move(e));
      }
      d = std::move(rest);
    };
    take_from(woken_);
    for (auto it = slot_waiters_.begin(); it != slot_waiters_.end();) {
      size_t before = it->second.size();
      take_from(it->second);
      slot_waiting_ -= before - it->second.size();
      it = it->second.empty() ? slot_waiters_.erase(it) : std::next(it);
    }
    return out;
  }

  ratelimit::Shaper& shaper_;
  Duration park_horizon_;
  FairQueue<Entry> queue_;
  std::priority_queue<Parked, std::vector<Parked>, std::greater<>> parked_;
  // Units whose destination had every slot taken, by shaping key, in
  // arrival order; moved to woken_ as that destination's messages finish.
  std::unordered_map<std::string, std::deque<Entry>> slot_waiters_;
  size_t slot_waiting_ = 0;
  std::deque<Entry> woken_;  // tried again before the fair queue
  uint64_t rate_waits_ = 0;
};

}  // namespace tayori::scheduler
