// Lease renewal cadence with a fake clock: a lease is renewed once it has
// been held a third of its term since it was taken or last renewed.
#include "scheduler/lease_book.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace tayori::scheduler {
namespace {

using namespace std::chrono_literals;
using Ids = std::vector<uint64_t>;

TEST(LeaseBookTest, ALeaseIsRenewedEveryThirdOfItsTermAndNotBefore) {
  FakeClock clock;
  LeaseBook book;
  book.Hold(7, clock.Steady(), clock.Steady());
  clock.Advance(9s);
  EXPECT_EQ(book.DueForRenewal(clock.Steady(), 30), Ids{});  // fresh: costs the database nothing
  book.Hold(8, clock.Steady(), clock.Steady());
  clock.Advance(1s);
  EXPECT_EQ(book.DueForRenewal(clock.Steady(), 30), Ids{7});
  EXPECT_EQ(book.DueForRenewal(clock.Steady(), 30), Ids{});  // marked renewed
  clock.Advance(9s);
  EXPECT_EQ(book.DueForRenewal(clock.Steady(), 30), Ids{8});
  clock.Advance(1s);
  EXPECT_EQ(book.DueForRenewal(clock.Steady(), 30), Ids{7});
}

TEST(LeaseBookTest, AVeryShortLeaseIsStillRenewedEverySecondAtMost) {
  FakeClock clock;
  LeaseBook book;
  book.Hold(1, clock.Steady(), clock.Steady());
  clock.Advance(999ms);
  EXPECT_EQ(book.DueForRenewal(clock.Steady(), 2), Ids{});
  clock.Advance(1ms);
  EXPECT_EQ(book.DueForRenewal(clock.Steady(), 2), Ids{1});
}

TEST(LeaseBookTest, AFailedRenewalIsDueAgainAtTheNextPoll) {
  FakeClock clock;
  LeaseBook book;
  book.Hold(1, clock.Steady(), clock.Steady());
  book.Hold(2, clock.Steady(), clock.Steady());
  clock.Advance(10s);
  Ids due = book.DueForRenewal(clock.Steady(), 30);
  std::sort(due.begin(), due.end());
  EXPECT_EQ(due, (Ids{1, 2}));
  book.RenewalFailed({2, 99});  // 99: already committed and dropped
  clock.Advance(1s);
  EXPECT_EQ(book.DueForRenewal(clock.Steady(), 30), Ids{2});
  EXPECT_FALSE(book.Holds(99));
}

TEST(LeaseBookTest, AfterTheDatabaseWasAwayEveryLeaseCountsAsJustRenewed) {
  FakeClock clock;
  LeaseBook book;
  book.Hold(1, clock.Steady(), clock.Steady());
  clock.Advance(60s);
  book.RenewedAll(clock.Steady());
  clock.Advance(9s);
  EXPECT_EQ(book.DueForRenewal(clock.Steady(), 30), Ids{});
}

TEST(LeaseBookTest, ACommittedOutcomeDropsItsLeaseAndTheOldestAskedMovesOn) {
  FakeClock clock;
  LeaseBook book;
  EXPECT_EQ(book.OldestAsked(), std::nullopt);
  SteadyTime first = clock.Steady();
  book.Hold(5, first, first);
  clock.Advance(2s);
  book.Hold(3, clock.Steady() - 1s, clock.Steady());
  EXPECT_EQ(book.OldestAsked(), first);
  EXPECT_EQ(book.Ids(), (Ids{3, 5}));
  book.Drop(5);
  EXPECT_EQ(book.OldestAsked(), first + 1s);
  EXPECT_EQ(book.size(), 1u);
  clock.Advance(20s);
  EXPECT_EQ(book.DueForRenewal(clock.Steady(), 30), Ids{3});
}

}  // namespace
}  // namespace tayori::scheduler
