// Integration: the engine's campaign and instance queries against the private
// MariaDB — who may use an instance name, expansion that stops instead of
// spinning, campaigns refused when they point at another shop's data, the
// signing-key version the engine watches, and the start-up privilege check.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "store/campaigns.h"
#include "store/deliveries.h"
#include "store/instances.h"
#include "store/privileges.h"
#include "testing/migrated_db.h"
#include "testing/test_env.h"

namespace tayori::store {
namespace {

class EngineQueriesTest : public testing::MigratedDatabaseTest {
 protected:
  EngineQueriesTest() : MigratedDatabaseTest("engine_queries") {}

  void SetUp() override {
    MigratedDatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    for (int t = 1; t <= 2; ++t) {
      std::string n = std::to_string(t);
      Exec("INSERT INTO tenants (slug, name, sender_id) VALUES ('shop" + n + "', 'Shop', 'shop-" + n + "')");
      Exec("INSERT INTO lists (tenant_id, slug, name) VALUES (" + n + ", 'news', 'News')");
      Exec("INSERT INTO sender_domains (tenant_id, domain, mode, key_host, state) VALUES (" + n + ", 'shop" + n +
           ".example', 'hosted', 'shop" + n + ".example', 'verified')");
      for (int i = 1; i <= 3; ++i) {
        Exec("INSERT INTO subscribers (tenant_id, email) VALUES (" + n + ", 'r" + std::to_string(i) + "@shop" + n +
             "-readers.example')");
        Exec("INSERT INTO list_members (list_id, subscriber_id) VALUES (" + n + ", LAST_INSERT_ID())");
      }
    }
  }

  uint64_t Campaign(int tenant, int list, int domain, const std::string& state) {
    Exec("INSERT INTO campaigns (tenant_id, list_id, sender_domain_id, from_address, subject_template, state, "
         "scheduled_at) VALUES (" + std::to_string(tenant) + ", " + std::to_string(list) + ", " +
         std::to_string(domain) + ", 'news@shop1.example', 'Hi', '" + state + "', UTC_TIMESTAMP(6))");
    return db_->last_insert_id();
  }

};

TEST_F(EngineQueriesTest, ACampaignPointingAtAnotherShopsListIsPausedNeverSent) {
  uint64_t foreign_list = Campaign(1, 2, 1, "scheduled");
  uint64_t foreign_domain = Campaign(1, 1, 2, "scheduled");
  uint64_t own = Campaign(1, 1, 1, "scheduled");
  auto claimed = ClaimDueCampaigns(*db_, "e1", 60, 10);
  ASSERT_TRUE(claimed.ok()) << claimed.status().ToString();
  EXPECT_EQ(*claimed, std::vector<uint64_t>{own});
  EXPECT_EQ(Value("SELECT state FROM campaigns WHERE id = " + std::to_string(foreign_list)), "paused");
  EXPECT_EQ(Value("SELECT state_reason FROM campaigns WHERE id = " + std::to_string(foreign_list)),
            "refused by the engine: list 2 belongs to shop 2, not to the campaign's shop 1");
  EXPECT_EQ(Value("SELECT state_reason FROM campaigns WHERE id = " + std::to_string(foreign_domain)),
            "refused by the engine: sender domain 2 belongs to shop 2, not to the campaign's shop 1");
  EXPECT_EQ(Value("SELECT COUNT(*) FROM events WHERE kind = 'alert'"), "2");

  // The web app may also rewrite a row that is already sending.
  Exec("UPDATE campaigns SET list_id = 2 WHERE id = " + std::to_string(own));
  auto load = LoadCampaign(*db_, own);
  ASSERT_FALSE(load.ok());
  EXPECT_EQ(load.status().error_class(), ErrorClass::kPermanent);
  EXPECT_NE(load.status().message().find("list 2 belongs to shop 2"), std::string::npos) << load.status().message();
  ASSERT_TRUE(ClaimUnexpandedCampaigns(*db_, "e1", 60, 10).ok());
  auto chunk = ExpandChunk(*db_, own, "e1", 60, 100);
  ASSERT_TRUE(chunk.ok()) << chunk.status().ToString();
  EXPECT_TRUE(chunk->stopped);
  EXPECT_EQ(chunk->inserted, 0);
  EXPECT_EQ(Value("SELECT COUNT(*) FROM deliveries"), "0");
  EXPECT_EQ(Value("SELECT state FROM campaigns WHERE id = " + std::to_string(own)), "paused");
}

TEST_F(EngineQueriesTest, ExpansionOfAPausedOrForeignClaimedCampaignStops) {
  uint64_t id = Campaign(1, 1, 1, "scheduled");
  ASSERT_TRUE(ClaimDueCampaigns(*db_, "e1", 60, 10).ok());
  auto first = ExpandChunk(*db_, id, "e1", 60, 2);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->inserted, 2);
  EXPECT_FALSE(first->stopped);
  EXPECT_FALSE(first->done);
  auto other = ExpandChunk(*db_, id, "e2", 60, 2);
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->stopped);
  EXPECT_EQ(other->stop_reason, "expansion claimed by e1");
  Exec("UPDATE campaigns SET state = 'paused'");
  auto paused = ExpandChunk(*db_, id, "e1", 60, 2);
  ASSERT_TRUE(paused.ok());
  EXPECT_TRUE(paused->stopped);
  EXPECT_EQ(paused->stop_reason, "campaign is paused");
  EXPECT_EQ(Value("SELECT COUNT(*) FROM deliveries"), "2");
}

TEST_F(EngineQueriesTest, ASmallListExpandsInOneChunkAndFinishedCampaignsEndTogether) {
  uint64_t a = Campaign(1, 1, 1, "scheduled");
  uint64_t b = Campaign(2, 2, 2, "scheduled");
  ASSERT_TRUE(ClaimDueCampaigns(*db_, "e1", 60, 10).ok());
  // Three members, a chunk of ten: one transaction inserts them and ends it.
  for (uint64_t id : {a, b}) {
    auto chunk = ExpandChunk(*db_, id, "e1", 60, 10);
    ASSERT_TRUE(chunk.ok()) << chunk.status().ToString();
    EXPECT_EQ(chunk->inserted, 3);
    EXPECT_TRUE(chunk->done);
  }
  // The finished expansion's claim lapses at once; claimed_by still names
  // the instance that expanded it (cleared when the campaign is sent).
  EXPECT_EQ(Value("SELECT CONCAT(expanded, ',', total_count, ',', COALESCE(claimed_by, 'NULL'), ',', "
                  "claimed_until <= UTC_TIMESTAMP(6)) FROM campaigns WHERE id = " + std::to_string(a)),
            "1,3,e1,1");
  // Nothing finishes while a delivery is still to send.
  auto none = FinishCompletedCampaigns(*db_, {a, b});
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
  Exec("UPDATE deliveries SET state = 'sent' WHERE campaign_id = " + std::to_string(a));
  Exec("UPDATE deliveries SET state = 'sent' WHERE campaign_id = " + std::to_string(b) + " AND subscriber_id < 6");
  auto one = FinishCompletedCampaigns(*db_, {a, b});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, std::vector<uint64_t>{a});
  Exec("UPDATE deliveries SET state = 'failed' WHERE campaign_id = " + std::to_string(b));
  auto other = FinishCompletedCampaigns(*db_, {a, b});
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(*other, std::vector<uint64_t>{b});  // a is sent already: not twice
  EXPECT_EQ(Value("SELECT COUNT(*) FROM campaigns WHERE state = 'sent' AND finished_at IS NOT NULL"), "2");
  // A finished campaign names no engine any more.
  EXPECT_EQ(Value("SELECT COUNT(*) FROM campaigns WHERE state = 'sent' AND claimed_by IS NULL AND "
                  "claimed_until IS NULL"),
            "2");
  EXPECT_EQ(Value("SELECT COUNT(*) FROM events WHERE detail = 'sending -> sent'"), "2");
}

// Many campaigns in one transaction, as the engine expands small ones: each
// chunk goes to its own campaign with its own counters, suppressed and
// unsubscribed members as in a single expansion; the chunks together stay
// within one chunk's rows (a campaign that does not fit is left for the next
// call); a paused, foreign-claimed or foreign-list campaign stops as alone.
TEST_F(EngineQueriesTest, ManyCampaignsExpandTogetherEachWithItsOwnChunk) {
  uint64_t a = Campaign(1, 1, 1, "scheduled");
  uint64_t b = Campaign(2, 2, 2, "scheduled");
  uint64_t c = Campaign(1, 1, 1, "scheduled");
  ASSERT_TRUE(ClaimDueCampaigns(*db_, "e1", 60, 10).ok());
  uint64_t paused = Campaign(1, 1, 1, "sending");
  Exec("UPDATE campaigns SET state = 'paused' WHERE id = " + std::to_string(paused));
  uint64_t theirs = Campaign(1, 1, 1, "sending");
  Exec("UPDATE campaigns SET claimed_by = 'e2', claimed_until = UTC_TIMESTAMP(6) + INTERVAL 60 SECOND WHERE id = " +
       std::to_string(theirs));
  uint64_t foreign = Campaign(1, 1, 1, "sending");
  Exec("UPDATE campaigns SET list_id = 2, claimed_by = 'e1' WHERE id = " + std::to_string(foreign));
  // Shop 2's second member is suppressed for the shop, its third unsubscribed.
  Exec("INSERT INTO suppressions (tenant_id, email, list_id, reason, source) VALUES (2, 'r2@shop2-readers.example', "
       "0, 'operator', 'test')");
  Exec("UPDATE list_members SET state = 'unsubscribed' WHERE list_id = 2 AND subscriber_id = 6");

  // Chunks of 5 rows: a (3 members) and b (3) do not fit together.
  auto first = ExpandCampaigns(*db_, {a, b, c, paused, theirs, foreign}, "e1", 60, 5);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->at(a).done);
  EXPECT_EQ(first->at(a).inserted, 3);
  EXPECT_FALSE(first->contains(b));
  EXPECT_FALSE(first->contains(c));
  EXPECT_EQ(first->at(paused).stop_reason, "campaign is paused");
  EXPECT_EQ(first->at(theirs).stop_reason, "expansion claimed by e2");
  EXPECT_TRUE(first->at(foreign).stopped);
  EXPECT_NE(first->at(foreign).stop_reason.find("list 2 belongs to shop 2"), std::string::npos);
  EXPECT_EQ(Value("SELECT state FROM campaigns WHERE id = " + std::to_string(foreign)), "paused");

  // A chunk counts list members, unsubscribed ones too: b (3) and c (3)
  // fit within 6.
  auto second = ExpandCampaigns(*db_, {b, c}, "e1", 60, 6);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->at(b).inserted, 2);
  EXPECT_EQ(second->at(b).suppressed, 1);
  EXPECT_TRUE(second->at(b).done);
  EXPECT_EQ(second->at(c).inserted, 3);
  EXPECT_TRUE(second->at(c).done);
  for (uint64_t id : {a, c})
    EXPECT_EQ(Value("SELECT CONCAT(expanded, ',', total_count, ',', suppressed_count, ',', expand_cursor, ',', "
                    "COALESCE(claimed_by, 'NULL'), ',', claimed_until <= UTC_TIMESTAMP(6)) FROM campaigns WHERE id = " +
                    std::to_string(id)),
              "1,3,0,3,e1,1");
  EXPECT_EQ(Value("SELECT CONCAT(expanded, ',', total_count, ',', suppressed_count, ',', expand_cursor) FROM "
                  "campaigns WHERE id = " + std::to_string(b)),
            "1,2,1,6");
  EXPECT_EQ(Value("SELECT GROUP_CONCAT(CONCAT(campaign_id = " + std::to_string(b) + ", subscriber_id, state) ORDER BY "
                  "campaign_id, subscriber_id) FROM deliveries WHERE campaign_id IN (" + std::to_string(b) + ", " +
                  std::to_string(c) + ")"),
            "14queued,15suppressed,01queued,02queued,03queued");
  EXPECT_EQ(Value("SELECT COUNT(*) FROM deliveries WHERE campaign_id IN (" + std::to_string(paused) + ", " +
                  std::to_string(theirs) + ", " + std::to_string(foreign) + ")"),
            "0");

  // The caller's order decides who goes first, not the ids: with e (3
  // members, claimed later, a higher id) first, f's chunk is left out.
  uint64_t f = Campaign(1, 1, 1, "scheduled");
  uint64_t e = Campaign(2, 2, 2, "scheduled");
  ASSERT_TRUE(ClaimDueCampaigns(*db_, "e1", 60, 10).ok());
  auto ordered = ExpandCampaigns(*db_, {e, f, 999999}, "e1", 60, 4);
  ASSERT_TRUE(ordered.ok()) << ordered.status().ToString();
  EXPECT_TRUE(ordered->at(e).done);
  EXPECT_FALSE(ordered->contains(f));
  // A campaign deleted meanwhile stops alone; the others go on.
  EXPECT_TRUE(ordered->at(999999).stopped);
  EXPECT_EQ(ordered->at(999999).stop_reason, "campaign does not exist");
  auto gone = ExpandChunk(*db_, 999999, "e1", 60, 3);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().error_class(), ErrorClass::kNotFound);

  // A list longer than the chunk: the first chunk only, the claim extended.
  uint64_t d = Campaign(1, 1, 1, "scheduled");
  ASSERT_TRUE(ClaimDueCampaigns(*db_, "e1", 60, 10).ok());
  auto part = ExpandCampaigns(*db_, {d}, "e1", 60, 2);
  ASSERT_TRUE(part.ok()) << part.status().ToString();
  EXPECT_EQ(part->at(d).inserted, 2);
  EXPECT_FALSE(part->at(d).done);
  EXPECT_EQ(Value("SELECT CONCAT(expanded, ',', expand_cursor, ',', claimed_by) FROM campaigns WHERE id = " +
                  std::to_string(d)),
            "0,2,e1");
}

// An expansion holds the campaign row while it inserts the deliveries and
// sets `expanded`; a finish check that waited for that lock must see the new
// deliveries, not a snapshot from before its wait (it once ended campaigns
// with 1,000 deliveries queued).
TEST_F(EngineQueriesTest, AFinishCheckWaitingOnAnExpansionSeesItsDeliveries) {
  // Others in the same check, some finished, some not expanded, as in a
  // busy engine (the plan with many ids is not the plan with one).
  std::vector<uint64_t> ids;
  for (int i = 0; i < 100; ++i) ids.push_back(Campaign(1, 1, 1, "sending"));
  Exec("UPDATE campaigns SET expanded = 1 WHERE id % 2 = 0");
  Exec("INSERT INTO deliveries (campaign_id, subscriber_id, email, dest_domain) SELECT id, 2, "
       "'r2@shop1-readers.example', 'shop1-readers.example' FROM campaigns WHERE id % 4 = 0");
  uint64_t id = Campaign(1, 1, 1, "sending");
  ids.push_back(id);
  auto expansion = scratch_.Connect();
  ASSERT_NE(expansion, nullptr);
  auto run = [&](const std::string& sql) { ASSERT_TRUE(expansion->Execute(sql).ok()) << sql; };
  std::string cid = std::to_string(id);
  run("START TRANSACTION");
  run("SELECT id FROM campaigns WHERE id = " + cid + " FOR UPDATE");
  Result<std::vector<uint64_t>> finished = std::vector<uint64_t>{};
  std::thread check([&] {
    auto db = scratch_.Connect();
    finished = FinishCompletedCampaigns(*db, ids);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the check now waits for the row lock
  run("INSERT INTO deliveries (campaign_id, subscriber_id, email, dest_domain) VALUES (" + cid +
      ", 1, 'r1@shop1-readers.example', 'shop1-readers.example')");
  run("UPDATE campaigns SET expanded = 1 WHERE id = " + cid);
  run("COMMIT");
  check.join();
  ASSERT_TRUE(finished.ok()) << finished.status().ToString();
  EXPECT_EQ(finished->size(), 25u);  // expanded, nothing left: ids 2, 6, 10 ...
  EXPECT_EQ(std::count(finished->begin(), finished->end(), id), 0);
  EXPECT_EQ(Value("SELECT state FROM campaigns WHERE id = " + cid), "sending");
}

TEST_F(EngineQueriesTest, AnInstanceNameBelongsToOneLiveProcess) {
  InstanceIdentity first{"engine-a", "host-1", 100};
  auto never_alive = [](int) { return false; };
  auto always_alive = [](int) { return true; };
  ASSERT_TRUE(ClaimInstanceName(*db_, first, 10, always_alive).ok());
  // Another process, another host: refused while the heartbeat is fresh.
  auto twin = ClaimInstanceName(*db_, InstanceIdentity{"engine-a", "host-2", 200}, 10, never_alive);
  ASSERT_FALSE(twin.ok());
  EXPECT_EQ(twin.status().error_class(), ErrorClass::kConfig);
  EXPECT_NE(twin.status().message().find("in use by PID 100 on host host-1"), std::string::npos)
      << twin.status().message();
  // Same host, PID still alive: refused too.
  EXPECT_FALSE(ClaimInstanceName(*db_, InstanceIdentity{"engine-a", "host-1", 300}, 10, always_alive).ok());
  // Same host, the PID is gone (a crash, restarted at once): its leases are released.
  Exec("INSERT INTO campaigns (tenant_id, list_id, sender_domain_id, from_address, subject_template, state) "
       "VALUES (1, 1, 1, 'n@shop1.example', 'Hi', 'sending')");
  Exec("INSERT INTO deliveries (campaign_id, subscriber_id, email, dest_domain, state, lease_owner, lease_expires_at) "
       "VALUES (1, 1, 'r1@x.example', 'x.example', 'leased', 'engine-a', UTC_TIMESTAMP(6) + INTERVAL 1 HOUR)");
  auto restart = ClaimInstanceName(*db_, InstanceIdentity{"engine-a", "host-1", 300}, 10, never_alive);
  ASSERT_TRUE(restart.ok()) << restart.status().ToString();
  EXPECT_EQ(restart->released_leases, 1);
  EXPECT_EQ(Value("SELECT state FROM deliveries"), "queued");
  // The first process, if it was only frozen, learns at its next beat that
  // the name is no longer its own.
  auto beat = Heartbeat(*db_, first, "running", 10);
  ASSERT_FALSE(beat.ok());
  EXPECT_EQ(beat.status().error_class(), ErrorClass::kPermanent);
  auto own_beat = Heartbeat(*db_, InstanceIdentity{"engine-a", "host-1", 300}, "running", 10);
  ASSERT_TRUE(own_beat.ok()) << own_beat.status().ToString();
  EXPECT_EQ(own_beat->live_instances, 1);
  EXPECT_LT(own_beat->gap_s, 5);
  // A stopped instance's name is free at once.
  ASSERT_TRUE(Heartbeat(*db_, InstanceIdentity{"engine-a", "host-1", 300}, "stopped", 10).ok());
  EXPECT_TRUE(ClaimInstanceName(*db_, InstanceIdentity{"engine-a", "host-9", 9}, 10, always_alive).ok());
}

TEST_F(EngineQueriesTest, TheSigningKeyVersionChangesWithEveryKeySwitch) {
  auto v0 = SigningKeyVersions(*db_, {1, 2});
  ASSERT_TRUE(v0.ok()) << v0.status().ToString();
  ASSERT_EQ(v0->size(), 2u);
  Exec("INSERT INTO dkim_keys (algorithm, bits, public_key, private_key_enc, kek_id) VALUES "
       "('rsa-sha256', 2048, 'AAAA', 'x', 'kek1'), ('rsa-sha256', 2048, 'BBBB', 'y', 'kek1')");
  Exec("INSERT INTO domain_keys (sender_domain_id, dkim_key_id, selector, state) VALUES (1, 1, 's1', 'active'), "
       "(1, 2, 's2', 'published')");
  auto v1 = SigningKeyVersions(*db_, {1, 2});
  ASSERT_TRUE(v1.ok());
  EXPECT_NE(v1->at(1), v0->at(1));
  EXPECT_EQ(v1->at(2), v0->at(2));
  Exec("UPDATE domain_keys SET state = IF(id = 1, 'retiring', 'active')");
  auto v2 = SigningKeyVersions(*db_, {1});
  ASSERT_TRUE(v2.ok());
  EXPECT_NE(v2->at(1), v1->at(1));
  Exec("UPDATE sender_domains SET state = 'paused' WHERE id = 1");
  auto v3 = SigningKeyVersions(*db_, {1});
  ASSERT_TRUE(v3.ok());
  EXPECT_NE(v3->at(1), v2->at(1));
}

TEST_F(EngineQueriesTest, StartupNamesEveryPrivilegeTheAccountLacks) {
  EXPECT_TRUE(CheckEnginePrivileges(*db_, "root").ok());
  std::string user = "tayori_priv_" + std::to_string(::getpid());
  Exec("DROP USER IF EXISTS '" + user + "'@'localhost'");
  Exec("CREATE USER '" + user + "'@'localhost' IDENTIFIED BY 'pw-for-test'");
  Exec("GRANT SELECT, INSERT, UPDATE, DELETE ON " + scratch_.name() + ".* TO '" + user + "'@'localhost'");
  config::Database settings = scratch_.settings();
  settings.user = user;
  auto limited = Connection::Open(settings, "pw-for-test");
  ASSERT_TRUE(limited.ok()) << limited.status().ToString();
  Status st = CheckEnginePrivileges(**limited, user);
  EXPECT_EQ(st.error_class(), ErrorClass::kConfig);
  EXPECT_NE(st.message().find("CREATE TEMPORARY TABLES"), std::string::npos) << st.message();
  EXPECT_EQ(st.message().find("UPDATE ("), std::string::npos) << st.message();
  Exec("REVOKE UPDATE ON " + scratch_.name() + ".* FROM '" + user + "'@'localhost'");
  Exec("GRANT CREATE TEMPORARY TABLES ON " + scratch_.name() + ".* TO '" + user + "'@'localhost'");
  auto again = Connection::Open(settings, "pw-for-test");
  ASSERT_TRUE(again.ok());
  st = CheckEnginePrivileges(**again, user);
  EXPECT_NE(st.message().find("UPDATE ("), std::string::npos) << st.message();
  EXPECT_EQ(st.message().find("CREATE TEMPORARY TABLES"), std::string::npos) << st.message();
  Exec("DROP USER '" + user + "'@'localhost'");
}

}  // namespace
}  // namespace tayori::store
