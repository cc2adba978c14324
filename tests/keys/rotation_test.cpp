// The rotation state machine as pure decisions, driven with a FakeClock
// through a whole rotation and its edge cases.
#include "keys/rotation.h"

#include <gtest/gtest.h>

namespace tayori::keys {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
constexpr auto kDay = hours(24);

RotationPolicy Policy() {
  RotationPolicy p;
  p.rotation_age = 180 * kDay;
  p.grace = 7 * kDay;
  p.record_ttl = seconds(300);
  p.selectors = {"s1", "s2"};
  return p;
}

store::DomainKeyRow Key(uint64_t id, const std::string& selector, KeyState state, int64_t created) {
  store::DomainKeyRow k;
  k.domain_key_id = id;
  k.selector = selector;
  k.state = state;
  k.algorithm = "rsa-sha256";
  k.public_key = "PUB" + std::to_string(id);
  k.created_s = created;
  if (state == KeyState::kActive) k.activated_s = created;
  return k;
}

// A small in-memory domain that applies the decisions the way KeyLifecycle
// does, so the test walks the whole rotation.
struct Domain {
  std::vector<store::DomainKeyRow> keys;
  uint64_t next_id = 10;
  store::DomainKeyRow* Find(uint64_t id) {
    for (auto& k : keys)
      if (k.domain_key_id == id) return &k;
    return nullptr;
  }
  void Apply(const RotationDecision& d, SysTime now, const RotationPolicy& p) {
    int64_t t = UnixSeconds(now);
    switch (d.action) {
      case RotationAction::kCreateKey: {
        if (d.spare) {
          auto* s = Find(d.spare->domain_key_id);
          s->state = KeyState::kRevoked;
          s->revoked_s = s->record_removed_s = t;
        }
        auto k = Key(next_id++, d.selector, KeyState::kPending, t);
        k.rotation_of = d.active->domain_key_id;
        keys.push_back(k);
        break;
      }
      case RotationAction::kPublish:
        Find(d.key->domain_key_id)->state = KeyState::kPublished;
        Find(d.key->domain_key_id)->published_s = t;
        break;
      case RotationAction::kCheckPropagation: {
        auto* n = Find(d.key->domain_key_id);
        n->state = KeyState::kActive;
        n->activated_s = t;
        auto* o = Find(d.active->domain_key_id);
        o->state = KeyState::kRetiring;
        o->retire_after_s = UnixSeconds(now + p.grace);
        break;
      }
      case RotationAction::kRevoke:
        Find(d.key->domain_key_id)->state = KeyState::kRevoked;
        Find(d.key->domain_key_id)->revoked_s = t;
        break;
      case RotationAction::kRemoveRecord:
        Find(d.key->domain_key_id)->record_removed_s = t;
        break;
      default:
        break;
    }
  }
  int Count(KeyState state) const {
    int n = 0;
    for (const auto& k : keys) n += k.state == state;
    return n;
  }
};

TEST(KeyRotationTest, NothingDueUntilTheActiveKeyIsOldEnough) {
  FakeClock clock;
  int64_t t0 = UnixSeconds(clock.Now());
  std::vector<store::DomainKeyRow> keys = {Key(1, "s1", KeyState::kActive, t0)};
  auto d = DecideRotation(keys, clock.Now(), Policy(), false);
  EXPECT_EQ(d.action, RotationAction::kNone);
  EXPECT_EQ(d.wait_until, clock.Now() + 180 * kDay);
  clock.Advance(180 * kDay);
  d = DecideRotation(keys, clock.Now(), Policy(), false);
  EXPECT_EQ(d.action, RotationAction::kCreateKey);
  EXPECT_EQ(d.selector, "s2");
}

TEST(KeyRotationTest, FullRotationKeepsExactlyOneActiveKeyAtEveryStep) {
  FakeClock clock;
  RotationPolicy p = Policy();
  Domain dom;
  dom.keys = {Key(1, "s1", KeyState::kActive, UnixSeconds(clock.Now())), Key(2, "s2", KeyState::kPublished, UnixSeconds(clock.Now()))};
  dom.keys[1].published_s = UnixSeconds(clock.Now());
  std::vector<RotationAction> seen;
  auto step = [&](bool requested) {
    auto d = DecideRotation(dom.keys, clock.Now(), p, requested);
    seen.push_back(d.action);
    dom.Apply(d, clock.Now(), p);
    EXPECT_EQ(dom.Count(KeyState::kActive), 1) << RotationActionName(d.action);
    return d;
  };
  auto d = step(true);  // operator asks: the delegated spare on s2 is superseded
  ASSERT_EQ(d.action, RotationAction::kCreateKey);
  ASSERT_TRUE(d.spare.has_value());
  EXPECT_EQ(d.spare->domain_key_id, 2u);
  EXPECT_EQ(step(false).action, RotationAction::kPublish);
  d = step(false);
  EXPECT_EQ(d.action, RotationAction::kWaitPropagation);
  EXPECT_EQ(d.wait_until, clock.Now() + seconds(300));
  clock.Advance(seconds(299));
  EXPECT_EQ(step(false).action, RotationAction::kWaitPropagation);
  clock.Advance(seconds(1));
  d = step(false);
  EXPECT_EQ(d.action, RotationAction::kCheckPropagation);  // then switched (DNS answered)
  EXPECT_EQ(dom.Find(10)->state, KeyState::kActive);
  EXPECT_EQ(dom.Find(1)->state, KeyState::kRetiring);
  // A rotation request during the grace period does not start another one.
  d = step(true);
  EXPECT_EQ(d.action, RotationAction::kWaitGrace);
  EXPECT_EQ(d.wait_until, clock.Now() + 7 * kDay);
  clock.Advance(7 * kDay);
  EXPECT_EQ(step(false).action, RotationAction::kRevoke);
  EXPECT_EQ(dom.Find(1)->state, KeyState::kRevoked);
  EXPECT_EQ(step(false).action, RotationAction::kWaitRemoval);
  clock.Advance(seconds(300));
  EXPECT_EQ(step(false).action, RotationAction::kRemoveRecord);
  d = step(false);
  EXPECT_EQ(d.action, RotationAction::kNone);
  EXPECT_EQ(d.active->selector, "s2");
  EXPECT_EQ(d.wait_until, clock.Now() + 180 * kDay - seconds(300) - 7 * kDay);
  // The next rotation goes back to s1.
  clock.Advance(200 * kDay);
  d = step(false);
  EXPECT_EQ(d.action, RotationAction::kCreateKey);
  EXPECT_EQ(d.selector, "s1");
  EXPECT_FALSE(d.spare.has_value());  // s1's old key is revoked and gone
}

TEST(KeyRotationTest, ResumesFromEveryPersistedState) {
  // Each state a crash can leave behind decides the same next step again.
  FakeClock clock;
  int64_t t = UnixSeconds(clock.Now());
  auto active = Key(1, "s1", KeyState::kActive, t - 200 * 86400);
  auto fresh = Key(5, "s2", KeyState::kPending, t);
  fresh.rotation_of = 1;
  EXPECT_EQ(DecideRotation({active, fresh}, clock.Now(), Policy(), false).action, RotationAction::kPublish);
  fresh.state = KeyState::kPublished;
  fresh.published_s = t - 10;
  EXPECT_EQ(DecideRotation({active, fresh}, clock.Now(), Policy(), false).action, RotationAction::kWaitPropagation);
  fresh.published_s = t - 400;
  EXPECT_EQ(DecideRotation({active, fresh}, clock.Now(), Policy(), true).action, RotationAction::kCheckPropagation);
  auto retiring = active;
  retiring.state = KeyState::kRetiring;
  retiring.retire_after_s = t - 1;
  auto now_active = fresh;
  now_active.state = KeyState::kActive;
  EXPECT_EQ(DecideRotation({retiring, now_active}, clock.Now(), Policy(), false).action, RotationAction::kRevoke);
  auto revoked = retiring;
  revoked.state = KeyState::kRevoked;
  revoked.revoked_s = t - 301;
  EXPECT_EQ(DecideRotation({revoked, now_active}, clock.Now(), Policy(), false).action, RotationAction::kRemoveRecord);
}

TEST(KeyRotationTest, NoActiveKeyIsReportedNotRepaired) {
  FakeClock clock;
  auto d = DecideRotation({Key(1, "s1", KeyState::kPublished, 0)}, clock.Now(), Policy(), true);
  EXPECT_EQ(d.action, RotationAction::kBroken);
}

TEST(KeyRotationTest, RecordMatchingComparesThePublicKeyOnly) {
  std::string why;
  EXPECT_TRUE(RecordsPublishKey({"v=DKIM1; k=rsa; p=ABCD"}, "ABCD", &why));
  EXPECT_TRUE(RecordsPublishKey({"other", "v=DKIM1; k=rsa; p=AB CD"}, "ABCD", &why));  // FWS inside p=
  EXPECT_FALSE(RecordsPublishKey({"v=DKIM1; k=rsa; p=EFGH"}, "ABCD", &why));
  EXPECT_NE(why.find("a different key"), std::string::npos) << why;
  EXPECT_FALSE(RecordsPublishKey({"v=DKIM1; p="}, "ABCD", &why));
  EXPECT_NE(why.find("revoked"), std::string::npos) << why;
  EXPECT_FALSE(RecordsPublishKey({}, "ABCD", &why));
  EXPECT_EQ(why, "no TXT record");
}

TEST(KeyRotationTest, TxtValueAndNames) {
  auto k = Key(1, "s1", KeyState::kActive, 0);
  EXPECT_EQ(KeyTxtValue(k), "v=DKIM1; k=rsa; p=PUB1");
  EXPECT_EQ(SelectorName("s2", "shop-example.platform.example"), "s2._domainkey.shop-example.platform.example");
}

}  // namespace
}  // namespace tayori::keys
