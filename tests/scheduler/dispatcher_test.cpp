// The dispatcher driven by a fake clock and the real (pure) shaper: which
// work starts, in what order, what waits for a slot or a rate, what goes
// back, and when it asks to run again.
#include "scheduler/dispatcher.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace tayori::scheduler {
namespace {

using namespace std::chrono_literals;

// A unit of work: its name ("s1c10#3") is all the test needs to follow it.
using Work = std::string;

config::RateLimits Limits() {
  config::RateLimits r;
  r.global_per_second = 1000;
  r.global_burst = 1000;
  r.default_per_second = 1000;
  r.default_burst = 1000;
  r.default_max_connections = 100;
  r.throttle_initial_pause_s = 60;  // longer than the park horizon below
  r.throttle_pause_s = 600;
  auto group = [&](const char* name, double rate, double burst, int conns) {
    config::DomainGroup g;
    g.name = name;
    g.domains = {std::string(name) + ".example"};
    g.per_second = rate;
    g.burst = burst;
    g.max_connections = conns;
    r.groups.push_back(g);
  };
  group("one", 1000, 1000, 1);  // one connection, no rate to speak of
  group("slow", 2, 1, 10);      // two messages a second, no burst
  return r;
}

// Records what the dispatcher asked the caller to do.
struct Caller {
  size_t room = 1000;  // how many more may start
  std::set<Work> refuse;  // vet says "taken" (released by the caller)
  std::vector<Work> started, vetted_away, released;
  std::vector<Duration> released_for;

  Dispatcher<Work>::Hooks Hooks() {
    return {
        .room = [this] { return started.size() < room; },
        .vet = [this](const Ticket&, Work& w) {
          if (!refuse.contains(w)) return Vet::kDispatch;
          vetted_away.push_back(w);
          return Vet::kTaken;
        },
        .start = [this](const Ticket&, Work w) { started.push_back(std::move(w)); },
        .release = [this](const Ticket&, Work w, Duration d) {
          released.push_back(std::move(w));
          released_for.push_back(d);
        },
    };
  }
};

class DispatcherTest : public ::testing::Test {
 protected:
  FakeClock clock;
  ratelimit::Shaper shaper{Limits(), clock.Steady()};
  Dispatcher<Work> dispatch{shaper, 30s};
  Caller caller;

  // n units for recipients at `domain`, shaped under its key.
  void Push(uint64_t shop, uint64_t campaign, const std::string& domain, int n) {
    for (int i = 0; i < n; ++i)
      dispatch.Push(Ticket{shop, campaign, shaper.KeyOf(domain)},
                    "s" + std::to_string(shop) + "c" + std::to_string(campaign) + "#" + std::to_string(i));
  }
  std::optional<SteadyTime> Run(size_t park_limit = 1000) {
    return dispatch.Run(clock.Steady(), park_limit, caller.Hooks());
  }
};

TEST_F(DispatcherTest, ShopsTakeTurnsAndCampaignsOfAShopTakeTurns) {
  Push(1, 10, "a.example", 100);  // a large shop, one campaign
  Push(2, 20, "b.example", 3);    // a small shop, two campaigns
  Push(2, 21, "b.example", 3);
  caller.room = 8;
  EXPECT_EQ(Run(), std::nullopt);
  EXPECT_EQ(caller.started, (std::vector<Work>{"s1c10#0", "s2c20#0", "s1c10#1", "s2c21#0", "s1c10#2", "s2c20#1",
                                               "s1c10#3", "s2c21#1"}));
  EXPECT_EQ(dispatch.queued(), 106u - 8u);
}

TEST_F(DispatcherTest, TheWindowStopsDispatchAndAFinishLetsTheNextStart) {
  Push(1, 10, "a.example", 5);
  caller.room = 2;
  Run();
  EXPECT_EQ(caller.started.size(), 2u);
  EXPECT_EQ(dispatch.queued(), 3u);
  caller.room = 3;  // one finished in the caller's pipeline
  dispatch.Finish("a.example", ratelimit::Feedback::kDelivered, clock.Steady());
  Run();
  EXPECT_EQ(caller.started.size(), 3u);
  EXPECT_EQ(caller.started.back(), "s1c10#2");
}

TEST_F(DispatcherTest, WorkWaitsForAFreeSlotAndIsWokenAheadOfTheQueueWhenOneFrees) {
  Push(1, 10, "one.example", 3);
  Push(2, 20, "a.example", 3);
  // one.example has one connection: its first message starts, the other two
  // wait for it without a timer; a.example is not held up by them.
  EXPECT_EQ(Run(), std::nullopt);
  EXPECT_EQ(caller.started, (std::vector<Work>{"s1c10#0", "s2c20#0", "s2c20#1", "s2c20#2"}));
  EXPECT_EQ(dispatch.waiting_for_slot(), 2u);
  dispatch.Push(Ticket{2, 20, "a.example"}, "late");  // queued behind the woken one
  dispatch.Finish("group:one", ratelimit::Feedback::kDelivered, clock.Steady());
  EXPECT_EQ(dispatch.woken(), 1u);
  EXPECT_EQ(dispatch.waiting_for_slot(), 1u);
  Run();
  // Woken first, then the queue; the last one.example message waits again.
  EXPECT_EQ(caller.started[4], "s1c10#1");
  EXPECT_EQ(caller.started[5], "late");
  EXPECT_EQ(dispatch.waiting_for_slot(), 1u);
  // A message that never reached the relay frees its slot too.
  dispatch.Abandon("group:one");
  Run();
  EXPECT_EQ(caller.started.back(), "s1c10#2");
  EXPECT_EQ(dispatch.size(), 0u);
}

TEST_F(DispatcherTest, ARateParksWorkUntilItIsDueAndTheRunSaysWhen) {
  Push(1, 10, "slow.example", 3);
  SteadyTime t0 = clock.Steady();
  std::optional<SteadyTime> again = Run();
  EXPECT_EQ(caller.started, (std::vector<Work>{"s1c10#0"}));
  EXPECT_EQ(dispatch.parked(), 2u);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, t0 + 500ms);  // two a second
  clock.Advance(499ms);
  Run();
  EXPECT_EQ(caller.started.size(), 1u);  // not due yet
  clock.Advance(1ms);
  again = Run();
  EXPECT_EQ(caller.started.size(), 2u);
  ASSERT_TRUE(again.has_value());
  EXPECT_GT(*again, clock.Steady());
  EXPECT_GE(dispatch.rate_waits(), 3u);
}

TEST_F(DispatcherTest, ADestinationPausedBeyondTheHorizonGoesBackToTheCaller) {
  Push(1, 10, "a.example", 1);
  Run();
  dispatch.Finish("a.example", ratelimit::Feedback::kThrottled, clock.Steady());  // a 60 s pause
  Push(1, 10, "a.example", 1);
  Push(2, 20, "b.example", 1);
  Run();
  EXPECT_EQ(caller.released, (std::vector<Work>{"s1c10#0"}));
  ASSERT_EQ(caller.released_for.size(), 1u);
  EXPECT_GT(caller.released_for[0], 30s);
  EXPECT_EQ(caller.started.back(), "s2c20#0");  // the other destination still sends
  EXPECT_EQ(dispatch.size(), 0u);
}

TEST_F(DispatcherTest, TheGlobalBudgetKeepsWorkInTheFairQueue) {
  config::RateLimits tight = Limits();
  tight.global_per_second = 10;
  tight.global_burst = 2;
  ratelimit::Shaper s(tight, clock.Steady());
  Dispatcher<Work> d(s, 30s);
  for (int i = 0; i < 3; ++i) d.Push(Ticket{1, 10, "a.example"}, "a" + std::to_string(i));
  for (int i = 0; i < 3; ++i) d.Push(Ticket{2, 20, "b.example"}, "b" + std::to_string(i));
  SteadyTime t0 = clock.Steady();
  std::optional<SteadyTime> again = d.Run(t0, 1000, caller.Hooks());
  EXPECT_EQ(caller.started, (std::vector<Work>{"a0", "b0"}));
  EXPECT_EQ(d.queued(), 4u);  // nothing parked: the order stays round robin
  EXPECT_EQ(d.parked(), 0u);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, t0 + 100ms + 1ms);
  clock.Advance(101ms);
  d.Run(clock.Steady(), 1000, caller.Hooks());
  EXPECT_EQ(caller.started, (std::vector<Work>{"a0", "b0", "a1"}));
}

TEST_F(DispatcherTest, VettedAwayWorkTakesNoReservation) {
  Push(1, 10, "one.example", 2);
  caller.refuse = {"s1c10#0"};
  Run();
  EXPECT_EQ(caller.vetted_away, (std::vector<Work>{"s1c10#0"}));
  // The refused one took no slot of the one-connection destination.
  EXPECT_EQ(caller.started, (std::vector<Work>{"s1c10#1"}));
  EXPECT_EQ(dispatch.waiting_for_slot(), 0u);
}

TEST_F(DispatcherTest, WaitingWorkBeyondTheParkLimitLeavesTheQueueAlone) {
  Push(1, 10, "one.example", 10);
  Run(/*park_limit=*/3);
  // One started, three wait for its slot, the rest stay queued (and could
  // still be given back or taken by a deactivation).
  EXPECT_EQ(caller.started.size(), 1u);
  EXPECT_EQ(dispatch.waiting_for_slot(), 3u);
  EXPECT_EQ(dispatch.queued(), 6u);
}

TEST_F(DispatcherTest, TakeCampaignAndTakeAllGiveBackEveryUnstartedUnitWhereverItWaits) {
  Push(1, 10, "one.example", 3);   // one starts, two wait for the slot
  Push(1, 11, "slow.example", 3);  // one starts, two parked for the rate
  Push(2, 20, "a.example", 2);     // both start
  Run();
  ASSERT_EQ(caller.started.size(), 4u);
  ASSERT_EQ(dispatch.waiting_for_slot(), 2u);
  ASSERT_EQ(dispatch.parked(), 2u);
  dispatch.Push(Ticket{1, 10, shaper.KeyOf("a.example")}, "s1c10#queued");  // and one still queued
  // Pausing campaign 10: its units come back from the queue and from the
  // slot waiters; the started one is the caller's.
  std::set<Work> c10;
  for (auto& [t, w] : dispatch.TakeCampaign(1, 10)) {
    EXPECT_EQ(t.campaign_id, 10u);
    c10.insert(w);
  }
  EXPECT_EQ(c10, (std::set<Work>{"s1c10#1", "s1c10#2", "s1c10#queued"}));
  EXPECT_EQ(dispatch.waiting_for_slot(), 0u);
  EXPECT_EQ(dispatch.parked(), 2u);  // campaign 11's stay
  // The drain: whatever is left, here the parked ones.
  std::set<Work> rest;
  for (auto& [t, w] : dispatch.TakeAll()) rest.insert(w);
  EXPECT_EQ(rest, (std::set<Work>{"s1c11#1", "s1c11#2"}));
  EXPECT_EQ(dispatch.size(), 0u);
  EXPECT_EQ(Run(), std::nullopt);
}

}  // namespace
}  // namespace tayori::scheduler
