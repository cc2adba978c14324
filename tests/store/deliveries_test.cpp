// Integration: leasing and the batched outcome write-back against the private
// MariaDB of scripts/services. The write-back is what every delivery's final
// state goes through, so each column and counter is checked row by row.
#include "store/deliveries.h"

#include <gtest/gtest.h>

#include "testing/migrated_db.h"

namespace tayori::store {
namespace {

class DeliveriesTest : public testing::MigratedDatabaseTest {
 protected:
  DeliveriesTest() : MigratedDatabaseTest("deliveries") {}

  void SetUp() override {
    MigratedDatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    Exec("INSERT INTO tenants (slug, name, sender_id) VALUES ('shop', 'Shop', 'shop-x')");
    Exec("INSERT INTO lists (tenant_id, slug, name) VALUES (1, 'news', 'News')");
    Exec("INSERT INTO sender_domains (tenant_id, domain, mode, key_host, state) "
         "VALUES (1, 'shop.example', 'hosted', 'shop.example', 'verified')");
    for (int c = 1; c <= 2; ++c)
      Exec("INSERT INTO campaigns (tenant_id, list_id, sender_domain_id, from_address, subject_template, state) "
           "VALUES (1, 1, 1, 'news@shop.example', 'Hi', 'sending')");
    for (int i = 1; i <= 10; ++i) {
      std::string email = "r" + std::to_string(i) + "@dest.example";
      Exec("INSERT INTO subscribers (tenant_id, email) VALUES (1, '" + email + "')");
      // Deliveries 1-6 in campaign 1, 7-10 in campaign 2.
      Exec("INSERT INTO deliveries (campaign_id, subscriber_id, email, dest_domain) VALUES (" +
           std::string(i <= 6 ? "1" : "2") + ", " + std::to_string(i) + ", '" + email + "', 'dest.example')");
    }
  }

  std::vector<LeasedDelivery> LeaseAll(uint64_t campaign, const std::string& owner) {
    auto leased = LeaseDeliveries(*db_, campaign, owner, 600, 100);
    EXPECT_TRUE(leased.ok()) << leased.status().ToString();
    return leased.ok() ? *leased : std::vector<LeasedDelivery>{};
  }

  static DeliveryOutcome Sent(uint64_t id, uint64_t campaign, const std::string& queue_id) {
    DeliveryOutcome o;
    o.delivery_id = id;
    o.campaign_id = campaign;
    o.state = scheduler::DeliveryState::kSent;
    o.code = 250;
    o.enhanced = "2.0.0";
    o.reply = "250 2.0.0 Ok: queued as " + queue_id;
    o.message_id = "<m" + std::to_string(id) + "@shop.example>";
    o.relay = "sink";
    o.queue_id = queue_id;
    return o;
  }

};

TEST_F(DeliveriesTest, EveryOutcomeKindLandsWithItsColumnsAndCounters) {
  ASSERT_EQ(LeaseAll(1, "a").size(), 6u);
  ASSERT_EQ(LeaseAll(2, "a").size(), 4u);

  std::vector<DeliveryOutcome> out;
  out.push_back(Sent(1, 1, "Q1"));
  out.push_back(Sent(2, 1, "Q2"));
  DeliveryOutcome deferred;
  deferred.delivery_id = 3;
  deferred.campaign_id = 1;
  deferred.state = scheduler::DeliveryState::kDeferred;
  deferred.next_attempt_unix = 2000000000;  // 2033-05-18T03:33:20Z
  deferred.code = 451;
  deferred.enhanced = "4.3.0";
  deferred.reply = "451 4.3.0 try later";
  out.push_back(deferred);
  DeliveryOutcome released;  // never reached a relay: no attempt, no reply
  released.delivery_id = 4;
  released.campaign_id = 1;
  released.state = scheduler::DeliveryState::kQueued;
  released.counts_attempt = false;
  released.next_attempt_unix = 1000000000;
  out.push_back(released);
  DeliveryOutcome bounce;  // side effect: suppression + event
  bounce.delivery_id = 5;
  bounce.campaign_id = 1;
  bounce.state = scheduler::DeliveryState::kBounced;
  bounce.code = 550;
  bounce.enhanced = "5.1.1";
  bounce.reply = "550 5.1.1 no such user";
  bounce.suppress_address = true;
  bounce.tenant_id = 1;
  bounce.email = "r5@dest.example";
  out.push_back(bounce);
  DeliveryOutcome unknown;
  unknown.delivery_id = 6;
  unknown.campaign_id = 1;
  unknown.state = scheduler::DeliveryState::kUnknown;
  unknown.reply = "connection lost after the final dot";
  out.push_back(unknown);
  out.push_back(Sent(7, 2, "Q7"));
  DeliveryOutcome failed;
  failed.delivery_id = 8;
  failed.campaign_id = 2;
  failed.state = scheduler::DeliveryState::kFailed;
  failed.counts_attempt = false;
  failed.reply = "not sent: header injection in name";
  out.push_back(failed);
  // Reversed, so the write-back has to sort them itself.
  std::reverse(out.begin(), out.end());

  auto r = WriteOutcomes(*db_, "a", out);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->written, 8);

  EXPECT_EQ(Value("SELECT CONCAT_WS('|', state, attempts, last_code, last_enhanced, last_reply, message_id, relay, "
                  "relay_queue_id, IFNULL(lease_owner, '-'), IFNULL(lease_expires_at, '-')) FROM deliveries WHERE id = 1"),
            "sent|1|250|2.0.0|250 2.0.0 Ok: queued as Q1|<m1@shop.example>|sink|Q1|-|-");
  EXPECT_EQ(Value("SELECT CONCAT_WS('|', state, attempts, last_code, last_reply, next_attempt_at, "
                  "IFNULL(message_id, '-')) FROM deliveries WHERE id = 3"),
            "deferred|1|451|451 4.3.0 try later|2033-05-18 03:33:20.000000|-");
  EXPECT_EQ(Value("SELECT CONCAT_WS('|', state, attempts, IFNULL(last_code, '-'), IFNULL(last_reply, '-'), "
                  "next_attempt_at) FROM deliveries WHERE id = 4"),
            "queued|0|-|-|2001-09-09 01:46:40.000000");
  EXPECT_EQ(Value("SELECT CONCAT_WS('|', state, attempts, last_code) FROM deliveries WHERE id = 5"), "bounced|1|550");
  EXPECT_EQ(Value("SELECT CONCAT_WS('|', state, IFNULL(last_code, '-'), last_reply) FROM deliveries WHERE id = 6"),
            "unknown|-|connection lost after the final dot");
  EXPECT_EQ(Value("SELECT CONCAT_WS('|', state, attempts) FROM deliveries WHERE id = 8"), "failed|0");
  // Not in the batch: still leased by "a".
  EXPECT_EQ(Value("SELECT CONCAT_WS('|', state, lease_owner) FROM deliveries WHERE id = 9"), "leased|a");

  EXPECT_EQ(Value("SELECT CONCAT_WS('|', sent_count, failed_count, bounced_count, suppressed_count, expired_count, "
                  "unknown_count, cancelled_count) FROM campaigns WHERE id = 1"),
            "2|0|1|0|0|1|0");
  EXPECT_EQ(Value("SELECT CONCAT_WS('|', sent_count, failed_count, bounced_count, unknown_count) FROM campaigns "
                  "WHERE id = 2"),
            "1|1|0|0");
  EXPECT_EQ(Value("SELECT CONCAT_WS('|', reason, source, campaign_id) FROM suppressions "
                  "WHERE email = 'r5@dest.example'"),
            "bounce|smtp 5.1.1|1");
}

TEST_F(DeliveriesTest, OneLeaseTakesEachCampaignsShareAndCountsSuppressionsPerCampaign) {
  // r2 (campaign 1) and r8 (campaign 2) were suppressed after expansion.
  Exec("INSERT INTO suppressions (tenant_id, list_id, email, reason, source) VALUES "
       "(1, 0, 'r2@dest.example', 'operator', 'test'), (1, 0, 'r8@dest.example', 'operator', 'test')");
  auto leased = LeaseDeliveries(*db_, std::vector<uint64_t>{1, 2}, "a", 600, 3);
  ASSERT_TRUE(leased.ok()) << leased.status().ToString();
  // Three of each campaign asked; the suppressed one of each ends there.
  std::vector<uint64_t> ids;
  for (const auto& d : *leased) ids.push_back(d.id);
  EXPECT_EQ(ids, (std::vector<uint64_t>{1, 3, 7, 9}));
  EXPECT_EQ(Value("SELECT suppressed_count FROM campaigns WHERE id = 1"), "1");
  EXPECT_EQ(Value("SELECT suppressed_count FROM campaigns WHERE id = 2"), "1");
  EXPECT_EQ(Value("SELECT GROUP_CONCAT(id ORDER BY id) FROM deliveries WHERE state = 'suppressed'"), "2,8");
  EXPECT_EQ(Value("SELECT COUNT(*) FROM deliveries WHERE state = 'leased' AND lease_owner = 'a'"), "4");
  // Another owner gets the rest; nothing twice.
  auto rest = LeaseDeliveries(*db_, std::vector<uint64_t>{1, 2}, "b", 600, 10);
  ASSERT_TRUE(rest.ok());
  ids.clear();
  for (const auto& d : *rest) ids.push_back(d.id);
  EXPECT_EQ(ids, (std::vector<uint64_t>{4, 5, 6, 10}));
}

TEST_F(DeliveriesTest, AnOutcomeWhoseLeaseWasLostChangesNothing) {
  ASSERT_EQ(LeaseAll(1, "a").size(), 6u);
  // Delivery 2's lease expired and another instance took it over.
  Exec("UPDATE deliveries SET lease_owner = 'b' WHERE id = 2");
  auto r = WriteOutcomes(*db_, "a", {Sent(1, 1, "Q1"), Sent(2, 1, "Q2")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->written, 1);
  EXPECT_EQ(Value("SELECT CONCAT_WS('|', state, lease_owner, IFNULL(relay_queue_id, '-')) FROM deliveries WHERE id = 2"),
            "leased|b|-");
  EXPECT_EQ(Value("SELECT sent_count FROM campaigns WHERE id = 1"), "1");

  // Writing the same outcome again (a retried flush) moves nothing twice.
  r = WriteOutcomes(*db_, "a", {Sent(1, 1, "Q1")});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->written, 0);
  EXPECT_EQ(Value("SELECT sent_count FROM campaigns WHERE id = 1"), "1");
}

TEST_F(DeliveriesTest, ManyFlushesOnOneConnectionAndQuotesInReplies) {
  ASSERT_EQ(LeaseAll(1, "a").size(), 6u);
  for (uint64_t id = 1; id <= 6; ++id) {
    DeliveryOutcome o = Sent(id, 1, "Q'" + std::to_string(id));
    o.reply = "250 it's \"queued\" \\ 日本語";
    auto r = WriteOutcomes(*db_, "a", {o});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->written, 1);
  }
  EXPECT_EQ(Value("SELECT COUNT(*) FROM deliveries WHERE state = 'sent' AND last_reply = "
                  "'250 it\\'s \"queued\" \\\\ 日本語'"),
            "6");
  EXPECT_EQ(Value("SELECT relay_queue_id FROM deliveries WHERE id = 4"), "Q'4");
  EXPECT_EQ(Value("SELECT sent_count FROM campaigns WHERE id = 1"), "6");
}


// A batch of 1,037 outcomes goes in chunks of 1,024, 8, 4 and 1 rows
// (store/batch.h): each lands once, and the batch table holds exactly as
// many rows as outcomes (no padding), so the counters move by exactly 1,037.
TEST_F(DeliveriesTest, AnOddSizedBatchWritesEveryOutcomeExactlyOnce) {
  constexpr int kExtra = 1027;  // with the 10 of SetUp: 1,037 deliveries
  std::string subscribers, deliveries;
  for (int i = 11; i <= 10 + kExtra; ++i) {
    std::string n = std::to_string(i), sep = subscribers.empty() ? "" : ", ";
    subscribers += sep + "(1, 'x" + n + "@dest.example')";
    deliveries += sep + "(1, " + n + ", 'x" + n + "@dest.example', 'dest.example')";
  }
  Exec("INSERT INTO subscribers (tenant_id, email) VALUES " + subscribers);
  Exec("INSERT INTO deliveries (campaign_id, subscriber_id, email, dest_domain) VALUES " + deliveries);
  auto leased = LeaseDeliveries(*db_, 1, "a", 600, 2000);
  ASSERT_TRUE(leased.ok()) << leased.status().ToString();
  ASSERT_EQ(leased->size(), 6u + kExtra);
  std::vector<DeliveryOutcome> outcomes;
  for (const auto& d : *leased) outcomes.push_back(Sent(d.id, 1, "Q" + std::to_string(d.id)));
  outcomes.push_back(outcomes.front());  // a repeated outcome counts once
  auto r = WriteOutcomes(*db_, "a", outcomes);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->written, 6 + kExtra);
  EXPECT_EQ(Value("SELECT COUNT(*) FROM deliveries WHERE campaign_id = 1 AND state = 'sent'"),
            std::to_string(6 + kExtra));
  EXPECT_EQ(Value("SELECT sent_count FROM campaigns WHERE id = 1"), std::to_string(6 + kExtra));
  EXPECT_EQ(Value("SELECT COUNT(*) FROM deliveries WHERE campaign_id = 1 AND relay_queue_id = CONCAT('Q', id)"),
            std::to_string(6 + kExtra));
}

TEST_F(DeliveriesTest, OnlyTheLeasesNamedAreRenewedSoForgottenOnesAreReleased) {
  ASSERT_EQ(LeaseAll(1, "a").size(), 6u);
  Exec("UPDATE deliveries SET lease_expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND");
  ASSERT_TRUE(RenewLeases(*db_, "a", 600, {1, 2, 7}).ok());   // 7: not leased by "a"
  ASSERT_TRUE(RenewLeases(*db_, "b", 600, {3}).ok());         // not b's lease
  EXPECT_EQ(Value("SELECT GROUP_CONCAT(id ORDER BY id) FROM deliveries WHERE lease_expires_at > UTC_TIMESTAMP(6)"),
            "1,2");
  // "a" still holds 1, 2 and 4 (an outcome of 4 waits to be written; its
  // renewal is due later): only 3, 5 and 6 are forgotten.
  auto released = ReleaseForgottenLeases(*db_, "a", {1, 2, 4});
  ASSERT_TRUE(released.ok()) << released.status().ToString();
  EXPECT_EQ(*released, 3);
  EXPECT_EQ(Value("SELECT GROUP_CONCAT(id ORDER BY id) FROM deliveries WHERE campaign_id = 1 AND state = 'queued'"),
            "3,5,6");
  // Leasing again hands out exactly those.
  auto again = LeaseAll(1, "b");
  ASSERT_EQ(again.size(), 3u);
  EXPECT_EQ(again.front().id, 3u);
  EXPECT_EQ(again.front().email, "r3@dest.example");
}

// A relay may answer in Latin-1, or with a long multibyte reply that any
// byte limit cuts inside a character: strict MariaDB refuses such text, and
// a refused write once let the delivery be sent again. Now the text is
// scrubbed and cut on a character boundary, so the write lands.
TEST_F(DeliveriesTest, RepliesThatAreNotValidUtf8OrTooLongAreStoredScrubbed) {
  Exec("SET SESSION sql_mode = 'STRICT_ALL_TABLES'");
  ASSERT_EQ(LeaseAll(1, "a").size(), 6u);
  std::string jp;
  for (int i = 0; i < 200; ++i) jp += "\xE3\x81\x82";  // あ x 200 = 600 bytes
  std::vector<DeliveryOutcome> out;
  DeliveryOutcome latin = Sent(1, 1, "Q1");
  latin.state = scheduler::DeliveryState::kBounced;
  latin.code = 550;
  latin.enhanced = "5.1.1";
  latin.reply = "550 5.1.1 utilisateur inconnu, d\xE9sol\xE9";
  latin.suppress_address = true;
  latin.tenant_id = 1;
  latin.email = "r1@dest.example";
  out.push_back(latin);
  DeliveryOutcome cut = Sent(2, 1, "Q2");
  cut.reply = "250 2.0.0 " + jp.substr(0, 499);  // ends inside a character
  out.push_back(cut);
  DeliveryOutcome long_reply = Sent(3, 1, "Q3");
  long_reply.reply = "250 2.0.0 " + jp + jp + jp;
  long_reply.relay = std::string(100, 'r');       // longer than relay VARCHAR(64)
  long_reply.queue_id = jp;                       // longer than relay_queue_id VARCHAR(64)
  long_reply.message_id = "<" + jp + "@x>";       // 202 characters, fits 255
  out.push_back(long_reply);
  DeliveryOutcome auth = Sent(4, 1, "Q4");
  auth.state = scheduler::DeliveryState::kDeferred;
  auth.next_attempt_unix = 2000000000;
  auth.code = 550;
  auth.enhanced = "5.7.26";
  auth.reply = "550 5.7.26 unauthenticated \xFF\xFE " + jp + jp + jp;
  auth.pause_sender_domain = true;
  auth.sender_domain_id = 1;
  out.push_back(auth);
  auto w = WriteOutcomes(*db_, "a", out);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->written, 4);
  EXPECT_EQ(Value("SELECT last_reply FROM deliveries WHERE id = 1"),
            "550 5.1.1 utilisateur inconnu, d\xEF\xBF\xBDsol\xEF\xBF\xBD");
  EXPECT_EQ(Value("SELECT CHAR_LENGTH(last_reply) FROM deliveries WHERE id = 3"), "512");
  EXPECT_EQ(Value("SELECT CHAR_LENGTH(relay) FROM deliveries WHERE id = 3"), "64");
  EXPECT_EQ(Value("SELECT CHAR_LENGTH(relay_queue_id) FROM deliveries WHERE id = 3"), "64");
  EXPECT_EQ(Value("SELECT state FROM deliveries WHERE id = 2"), "sent");
  EXPECT_EQ(Value("SELECT COUNT(*) FROM suppressions WHERE email = 'r1@dest.example'"), "1");
  EXPECT_EQ(Value("SELECT state FROM sender_domains WHERE id = 1"), "paused");
  EXPECT_EQ(Value("SELECT bounced_count + sent_count FROM campaigns WHERE id = 1"), "3");
}

TEST_F(DeliveriesTest, TakeOverSparesOwnersWithAFreshHeartbeat) {
  ASSERT_EQ(LeaseAll(1, "alive").size(), 6u);
  ASSERT_EQ(LeaseAll(2, "dead").size(), 4u);
  Exec("UPDATE deliveries SET lease_expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND");
  Exec("INSERT INTO engine_instances (name, host, pid, state, heartbeat_at) VALUES "
       "('me', 'h', 1, 'running', UTC_TIMESTAMP(6)), ('alive', 'h', 2, 'running', UTC_TIMESTAMP(6) - INTERVAL 3 SECOND), "
       "('dead', 'h', 3, 'running', UTC_TIMESTAMP(6) - INTERVAL 60 SECOND)");
  std::string my_beat = Value("SELECT heartbeat_at FROM engine_instances WHERE name = 'me'");
  auto taken = TakeOverExpiredLeases(*db_, "me", my_beat, 10, 100);
  ASSERT_TRUE(taken.ok()) << taken.status().ToString();
  EXPECT_EQ(taken->requeued, 4);
  EXPECT_EQ(Value("SELECT COUNT(*) FROM deliveries WHERE state = 'leased' AND lease_owner = 'alive'"), "6");
  // Measured against our own beat: judged from a beat taken long ago (a
  // statement that sat in a frozen server), nobody looks dead.
  Exec("UPDATE deliveries SET state = 'leased', lease_owner = 'dead', lease_expires_at = UTC_TIMESTAMP(6) - "
       "INTERVAL 1 SECOND WHERE campaign_id = 2");
  auto early = TakeOverExpiredLeases(*db_, "me", "2000-01-01 00:00:00", 10, 100);
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(early->requeued, 0);
  // A stopped owner is not alive, however recent its last beat.
  Exec("UPDATE engine_instances SET state = 'stopped' WHERE name = 'alive'");
  auto stopped = TakeOverExpiredLeases(*db_, "me", my_beat, 10, 100);
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(stopped->requeued, 10);
}

TEST_F(DeliveriesTest, LeasesOfACancelledCampaignHeldByADeadInstanceAreCancelled) {
  ASSERT_EQ(LeaseAll(1, "dead").size(), 6u);
  ASSERT_EQ(LeaseAll(2, "dead").size(), 4u);
  Exec("UPDATE deliveries SET lease_expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND");
  Exec("UPDATE campaigns SET state = 'cancelled' WHERE id = 2");
  Exec("INSERT INTO engine_instances (name, host, pid, heartbeat_at) VALUES ('me', 'h', 1, UTC_TIMESTAMP(6))");
  auto taken = TakeOverExpiredLeases(*db_, "me", Value("SELECT heartbeat_at FROM engine_instances"), 10, 100);
  ASSERT_TRUE(taken.ok()) << taken.status().ToString();
  EXPECT_EQ(taken->requeued, 6);
  EXPECT_EQ(taken->cancelled, 4);
  EXPECT_EQ(Value("SELECT COUNT(*) FROM deliveries WHERE campaign_id = 2 AND state = 'cancelled'"), "4");
  EXPECT_EQ(Value("SELECT cancelled_count FROM campaigns WHERE id = 2"), "4");
}

TEST_F(DeliveriesTest, ShutdownReleasesEverythingButWhatIsWithARelay) {
  ASSERT_EQ(LeaseAll(1, "a").size(), 6u);
  auto n = ReleaseLeasesExcept(*db_, "a", {2, 5});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 4);
  EXPECT_EQ(Value("SELECT GROUP_CONCAT(id ORDER BY id) FROM deliveries WHERE state = 'leased'"), "2,5");
}

}  // namespace
}  // namespace tayori::store
