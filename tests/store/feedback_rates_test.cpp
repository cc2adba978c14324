// Integration: feedback rates per shop and per sender domain against the
// private MariaDB, many read together, and the guard that pauses the shops
// over a limit (docs/feedback.md).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/feedback_rates.h"
#include "testing/migrated_db.h"

namespace tayori::store {
namespace {

class FeedbackRatesTest : public testing::MigratedDatabaseTest {
 protected:
  FeedbackRatesTest() : MigratedDatabaseTest("feedback_rates") {}

  void SetUp() override {
    MigratedDatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    // A sender domain's id is not its shop's: shop n's domain is 10 + n.
    for (int t = 1; t <= 4; ++t) {
      std::string n = std::to_string(t);
      Exec("INSERT INTO tenants (id, slug, name, sender_id) VALUES (" + n + ", 'shop" + n + "', 'Shop', 'shop-" + n +
           "')");
      Exec("INSERT INTO lists (id, tenant_id, slug, name) VALUES (" + n + ", " + n + ", 'news', 'News')");
      Exec("INSERT INTO sender_domains (id, tenant_id, domain, mode, key_host, state) VALUES (" + Domain(t) + ", " +
           n + ", 'shop" + n + ".example', 'hosted', 'shop" + n + ".example', 'verified')");
    }
    // Shop 1, today: 90 sent, 10 hard bounces, 3 of them bounced by later
    // reports (one more report only recorded, one older than a week).
    Campaign(1, "sent", "2 HOUR", 90, 10, 0);
    Reported(1, "bounce_and_suppress", "1 HOUR", 3);
    Reported(1, "record", "1 HOUR", 1);
    Reported(1, "bounce_and_suppress", "8 DAY", 1);
    // Shop 2, three days ago: 1,000 delivered, 5 complaints (0.5%).
    Campaign(2, "sent", "3 DAY", 1000, 0, 5);
    // Shop 3, today: 20% complaints, but only 50 messages.
    Campaign(3, "sent", "1 HOUR", 50, 0, 10);
    // Shop 4: a bad campaign ten days ago, a clean one today.
    Campaign(4, "sent", "10 DAY", 1000, 500, 100);
    Campaign(4, "sent", "1 HOUR", 200, 1, 0);
    // What the guard pauses: every shop's next campaigns.
    for (int t = 1; t <= 4; ++t) {
      Campaign(t, "scheduled", "", 0, 0, 0);
      Campaign(t, "sending", "1 MINUTE", 0, 0, 0);
      Campaign(t, "draft", "", 0, 0, 0);
    }
  }

  static std::string Domain(int tenant) { return std::to_string(10 + tenant); }

  // `ago` empty: not started.
  void Campaign(int tenant, const std::string& state, const std::string& ago, int sent, int bounced, int complaints) {
    std::string n = std::to_string(tenant);
    Exec("INSERT INTO campaigns (tenant_id, list_id, sender_domain_id, from_address, subject_template, state, "
         "started_at, sent_count, bounced_count, complaint_count) VALUES (" + n + ", " + n + ", " + Domain(tenant) +
         ", 'news@shop" + n + ".example', 'Hi', '" + state + "', " +
         (ago.empty() ? "NULL" : "UTC_TIMESTAMP(6) - INTERVAL " + ago) + ", " + std::to_string(sent) + ", " +
         std::to_string(bounced) + ", " + std::to_string(complaints) + ")");
  }

  void Reported(int tenant, const std::string& effect, const std::string& ago, int count) {
    std::string n = std::to_string(tenant);
    for (int i = 0; i < count; ++i)
      Exec("INSERT INTO feedback_events (inbound_message_id, created_at, type, tenant_id, sender_domain_id, effect) "
           "VALUES (1, UTC_TIMESTAMP(6) - INTERVAL " + ago + ", 'bounce', " + n + ", " + Domain(tenant) + ", '" + effect +
           "')");
  }

  // SELECTs this session has run.
  uint64_t Selects() {
    auto r = db_->Query("SHOW SESSION STATUS LIKE 'Com_select'");
    EXPECT_TRUE(r.ok() && r->rows.size() == 1);
    return r.ok() && r->rows.size() == 1 ? std::stoull(r->rows[0][1].value_or("0")) : 0;
  }

  static std::string Counts(const ShopRates& r) {
    return std::to_string(r.tenant_id) + ":" + std::to_string(r.window_days) + " sent " + std::to_string(r.sent) +
           " hard " + std::to_string(r.hard_bounces) + " reported " + std::to_string(r.async_bounced) +
           " complaints " + std::to_string(r.complaints);
  }

};

TEST_F(FeedbackRatesTest, ShopsReadTogetherHaveTheirOwnRatesInTheOrderAsked) {
  // An unknown shop and one asked twice are answered too.
  auto day = GetShopsRates(*db_, {4, 1, 2, 99, 3, 1}, 1);
  ASSERT_TRUE(day.ok()) << day.status().ToString();
  std::vector<std::string> got;
  for (const ShopRates& r : *day) got.push_back(Counts(r));
  EXPECT_EQ(got, (std::vector<std::string>{
                     "4:1 sent 200 hard 1 reported 0 complaints 0", "1:1 sent 90 hard 10 reported 3 complaints 0",
                     "2:1 sent 0 hard 0 reported 0 complaints 0", "99:1 sent 0 hard 0 reported 0 complaints 0",
                     "3:1 sent 50 hard 0 reported 0 complaints 10", "1:1 sent 90 hard 10 reported 3 complaints 0"}));
  auto week = GetShopsRates(*db_, {2, 4}, 7);
  ASSERT_TRUE(week.ok()) << week.status().ToString();
  EXPECT_EQ(Counts((*week)[0]), "2:7 sent 1000 hard 0 reported 0 complaints 5");
  EXPECT_EQ(Counts((*week)[1]), "4:7 sent 200 hard 1 reported 0 complaints 0");

  EXPECT_EQ((*day)[1].delivered(), 93u);
  EXPECT_DOUBLE_EQ((*day)[1].hard_bounce_rate(), 10.0 / 100.0);

  // Per sender domain: the same counts, tenant_id the domain's shop (no
  // domain 2).
  auto domains = GetDomainsRates(*db_, {11, 2}, 1);
  ASSERT_TRUE(domains.ok()) << domains.status().ToString();
  EXPECT_EQ(Counts((*domains)[0]), Counts((*day)[1]));
  EXPECT_EQ(Counts((*domains)[1]), "0:1 sent 0 hard 0 reported 0 complaints 0");
}

TEST_F(FeedbackRatesTest, ThousandsOfShopsAreReadInAFewStatements) {
  // 2,500 shops asked: the known ones sit in the fourth and fifth 500.
  std::vector<uint64_t> ids;
  for (uint64_t i = 1000; i < 3500; ++i) ids.push_back(i);
  ids[1500] = 2;
  ids[2499] = 1;
  uint64_t selects_before = Selects();
  auto rates = GetShopsRates(*db_, ids, 7);
  ASSERT_TRUE(rates.ok()) << rates.status().ToString();
  EXPECT_EQ(Selects() - selects_before, 10u) << "five parts of 500 shops, two statements each";
  ASSERT_EQ(rates->size(), ids.size());
  EXPECT_EQ(Counts((*rates)[1500]), "2:7 sent 1000 hard 0 reported 0 complaints 5");
  EXPECT_EQ(Counts((*rates)[2499]), "1:7 sent 90 hard 10 reported 3 complaints 0");
  EXPECT_EQ(Counts((*rates)[0]), "1000:7 sent 0 hard 0 reported 0 complaints 0");
}

TEST_F(FeedbackRatesTest, TheGuardPausesOnlyTheShopsOverALimitWithTheReason) {
  GuardLimits limits{0.003, 0.05, 90};  // shop 1 has 93 delivered, shop 3 50
  auto over = EnforceFeedbackGuards(*db_, {1, 2, 3, 4}, limits, "engine-test");
  ASSERT_TRUE(over.ok()) << over.status().ToString();
  ASSERT_EQ(over->size(), 2u);
  EXPECT_EQ((*over)[0].tenant_id, 1u);
  EXPECT_EQ((*over)[0].verdict.paused, 2);
  EXPECT_EQ((*over)[0].verdict.reason,
            "paused: hard-bounce rate 10.00% (10 messages) over the last day exceeds 5.00% "
            "(feedback.max_hard_bounce_rate); clean the list, then resume");
  EXPECT_EQ((*over)[1].tenant_id, 2u);
  EXPECT_EQ((*over)[1].verdict.paused, 2);
  EXPECT_EQ((*over)[1].verdict.reason,
            "paused: complaint rate 0.50% (5 of 1000) over the last 7 days exceeds 0.30% "
            "(feedback.max_complaint_rate); clean the list, then resume");
  for (int t = 1; t <= 4; ++t) {
    std::string n = std::to_string(t);
    EXPECT_EQ(Value("SELECT GROUP_CONCAT(state ORDER BY id) FROM campaigns WHERE tenant_id = " + n +
                    " AND state <> 'sent'"),
              t <= 2 ? "paused,paused,draft" : "scheduled,sending,draft")
        << "shop " << t;
  }
  EXPECT_EQ(Value("SELECT COUNT(*) FROM events WHERE kind = 'alert' AND actor = 'engine-test'"), "4");
  EXPECT_EQ(Value("SELECT COUNT(DISTINCT tenant_id) FROM events WHERE kind = 'alert'"), "2");

  // Checked again, the shops are still over, with nothing left to pause.
  auto again = EnforceFeedbackGuards(*db_, {4, 2}, limits, "engine-test");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ((*again)[0].tenant_id, 2u);
  EXPECT_EQ((*again)[0].verdict.paused, 0);
  EXPECT_NE((*again)[0].verdict.reason.find("complaint rate 0.50%"), std::string::npos) << (*again)[0].verdict.reason;
  EXPECT_EQ(Value("SELECT COUNT(*) FROM events WHERE kind = 'alert'"), "4");
}

TEST(GuardBreachTest, JudgesAWindowOnlyFromMinVolumeAndOnlyAboveTheLimit) {
  GuardLimits limits{0.003, 0.05, 1000};
  ShopRates r;
  r.window_days = 7;
  r.sent = 999;
  r.complaints = 999;
  EXPECT_EQ(GuardBreach(r, limits), "") << "below min_volume: not judged";
  r.sent = 1000;
  r.complaints = 3;
  EXPECT_EQ(GuardBreach(r, limits), "") << "exactly at the limit";
  r.complaints = 4;
  EXPECT_EQ(GuardBreach(r, limits),
            "complaint rate 0.40% (4 of 1000) over the last 7 days exceeds 0.30% (feedback.max_complaint_rate)");
  r.complaints = 0;
  r.hard_bounces = 53;  // 53 of 1,053 attempted: 5.03%
  r.window_days = 1;
  EXPECT_EQ(GuardBreach(r, limits),
            "hard-bounce rate 5.03% (53 messages) over the last day exceeds 5.00% (feedback.max_hard_bounce_rate)");
}

}  // namespace
}  // namespace tayori::store
