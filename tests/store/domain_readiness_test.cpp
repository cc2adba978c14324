// Integration: the per-domain readiness results against the private MariaDB —
// saved and read back whole, the claim that lets engines share the re-checks
// (never two at once, most overdue first, a crashed claim runs out), the
// counts /metrics shows, and pausing a domain's campaigns with the words.
#include <gtest/gtest.h>

#include <set>

#include "store/domain_readiness.h"
#include "testing/migrated_db.h"

namespace tayori::store {
namespace {

class DomainReadinessTest : public testing::MigratedDatabaseTest {
 protected:
  DomainReadinessTest() : MigratedDatabaseTest("domain_readiness") {}

  void SetUp() override {
    MigratedDatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    Exec("INSERT INTO tenants (slug, name, sender_id) VALUES ('shop1', 'Shop', 'shop-1')");
    Exec("INSERT INTO lists (tenant_id, slug, name) VALUES (1, 'news', 'News')");
    for (int d = 1; d <= 3; ++d)
      Exec("INSERT INTO sender_domains (tenant_id, domain, mode, key_host, state) VALUES (1, 'shop" +
           std::to_string(d) + ".example', 'hosted', 'shop" + std::to_string(d) + ".example', 'verified')");
  }

  uint64_t Campaign(int domain, const std::string& state) {
    Exec("INSERT INTO campaigns (tenant_id, list_id, sender_domain_id, from_address, subject_template, state, "
         "scheduled_at) VALUES (1, 1, " + std::to_string(domain) + ", 'news@shop1.example', 'Hi', '" + state +
         "', UTC_TIMESTAMP(6))");
    return db_->last_insert_id();
  }

  DomainReadinessRecord Record(uint64_t id, const std::string& state, std::vector<std::string> failed = {}) {
    DomainReadinessRecord r;
    r.sender_domain_id = id;
    r.state = state;
    r.mandatory_failed = std::move(failed);
    r.reason = r.mandatory_failed.empty() ? "" : "domain check dmarc_record failed for shop.example: 「DMARC」なし";
    r.report_en = R"({"domain":"shop.example","checks":[]})";
    r.report_ja = R"({"domain":"shop.example","lang":"ja","checks":[]})";
    r.check_states = {{"dkim_key", "pass"}, {"dmarc_record", state}};
    r.checked_by = "test";
    r.next_check_in_s = 3600;
    return r;
  }

};

TEST_F(DomainReadinessTest, AResultIsSavedWholeAndReplacedByTheNext) {
  ASSERT_TRUE(SaveDomainReadiness(*db_, Record(1, "fail", {"dmarc_record"})).ok());
  auto row = FindDomainReadiness(*db_, 1);
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  ASSERT_TRUE(row->has_value());
  EXPECT_EQ((*row)->domain, "shop1.example");
  EXPECT_EQ((*row)->state, "fail");
  EXPECT_EQ((*row)->mandatory_failed, "dmarc_record");
  EXPECT_NE((*row)->reason.find("「DMARC」なし"), std::string::npos);
  EXPECT_NE((*row)->report_ja.find("\"ja\""), std::string::npos);
  EXPECT_EQ((*row)->checked_by, "test");
  EXPECT_FALSE((*row)->checked_at.empty());
  EXPECT_EQ(Value("SELECT COUNT(*) FROM domain_check_states WHERE sender_domain_id = 1"), "2");

  ASSERT_TRUE(SaveDomainReadiness(*db_, Record(1, "pass")).ok());
  row = FindDomainReadiness(*db_, 1);
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->state, "pass");
  EXPECT_EQ((*row)->mandatory_failed, "");
  EXPECT_EQ(Value("SELECT state FROM domain_check_states WHERE sender_domain_id = 1 AND check_id = 'dmarc_record'"),
            "pass");

  auto none = FindDomainReadiness(*db_, 2);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto all = AllDomainReadiness(*db_);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u);
  EXPECT_TRUE(all->at(1).report_en.empty()) << "the list leaves reports out";
}

TEST_F(DomainReadinessTest, LongReasonsAreCutOnACharacterBoundary) {
  DomainReadinessRecord r = Record(1, "fail", {"dmarc_record"});
  r.reason.clear();
  for (int i = 0; i < 600; ++i) r.reason += "記";  // 1,800 bytes
  ASSERT_TRUE(SaveDomainReadiness(*db_, r).ok());
  auto row = FindDomainReadiness(*db_, 1);
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_LE((*row)->reason.size(), 1000u);
  EXPECT_EQ((*row)->reason.size() % 3, 0u) << "no character split";
}

TEST_F(DomainReadinessTest, EachDueDomainIsClaimedOnceMostOverdueFirst) {
  // Never-checked domains come first; a checked one only once it is due.
  ASSERT_TRUE(SaveDomainReadiness(*db_, Record(2, "pass")).ok());
  std::set<uint64_t> claimed;
  for (int i = 0; i < 3; ++i) {
    auto c = ClaimDueDomainCheck(*db_, 600);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    if (c->has_value()) claimed.insert(**c);
  }
  EXPECT_EQ(claimed, (std::set<uint64_t>{1, 3})) << "domain 2 is not due for an hour";

  // Now overdue: claimed by one engine, not by a second.
  Exec("UPDATE domain_readiness SET next_check_at = UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE WHERE sender_domain_id = 2");
  auto other = scratch_.Connect();
  ASSERT_NE(other, nullptr);
  auto first = ClaimDueDomainCheck(*db_, 600);
  auto second = ClaimDueDomainCheck(*other, 600);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->value_or(0), 2u);
  EXPECT_FALSE(second->has_value());

  // A claim that is never followed by a result (the engine crashed) runs out.
  Exec("UPDATE domain_readiness SET next_check_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE sender_domain_id = 3");
  auto again = ClaimDueDomainCheck(*other, 600);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->value_or(0), 3u);
}

TEST_F(DomainReadinessTest, CountsPerCheckAndStateIncludeNeverChecked) {
  ASSERT_TRUE(SaveDomainReadiness(*db_, Record(1, "fail", {"dmarc_record"})).ok());
  ASSERT_TRUE(SaveDomainReadiness(*db_, Record(2, "warn")).ok());
  auto counts = CountDomainReadiness(*db_);
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  std::map<std::pair<std::string, std::string>, uint64_t> got;
  for (const auto& c : *counts) got[{c.check_id, c.state}] = c.domains;
  EXPECT_EQ(got[std::make_pair(std::string(), std::string("fail"))], 1u);
  EXPECT_EQ(got[std::make_pair(std::string(), std::string("warn"))], 1u);
  EXPECT_EQ(got[std::make_pair(std::string(), std::string("unknown"))], 1u);
  EXPECT_EQ(got[std::make_pair(std::string("dkim_key"), std::string("pass"))], 2u);
  EXPECT_EQ(got[std::make_pair(std::string("dmarc_record"), std::string("fail"))], 1u);
  EXPECT_EQ(got[std::make_pair(std::string("dmarc_record"), std::string("warn"))], 1u);
}

TEST_F(DomainReadinessTest, PausingStopsOnlyThatDomainsScheduledAndSendingCampaigns) {
  uint64_t sending = Campaign(1, "sending");
  uint64_t scheduled = Campaign(1, "scheduled");
  uint64_t draft = Campaign(1, "draft");
  uint64_t other = Campaign(2, "sending");
  auto n = PauseCampaignsOfDomain(*db_, 1, "paused: domain check dkim_cname failed", "engine-a");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 2);
  for (uint64_t id : {sending, scheduled}) {
    EXPECT_EQ(Value("SELECT state FROM campaigns WHERE id = " + std::to_string(id)), "paused");
    EXPECT_EQ(Value("SELECT state_reason FROM campaigns WHERE id = " + std::to_string(id)),
              "paused: domain check dkim_cname failed");
  }
  EXPECT_EQ(Value("SELECT state FROM campaigns WHERE id = " + std::to_string(draft)), "draft");
  EXPECT_EQ(Value("SELECT state FROM campaigns WHERE id = " + std::to_string(other)), "sending");
  EXPECT_EQ(Value("SELECT COUNT(*) FROM events WHERE kind = 'alert' AND actor = 'engine-a'"), "2");
}

}  // namespace
}  // namespace tayori::store
