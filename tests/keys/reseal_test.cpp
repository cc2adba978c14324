// Integration: `tayori dkim reseal` (keys/reseal.h) against MariaDB
// (ScratchDatabase): keys under an old KEK and TK1 blobs of earlier releases
// move to the active KEK as TK2, the engine signs with them afterwards with
// only the new KEK configured, and a blob copied from another domain's row
// is refused, by the reseal and by daemon::PrepareCampaign.
#include "keys/reseal.h"

#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "daemon/message_factory.h"
#include "keys/sealed_keys.h"
#include "crypto/primitives.h"
#include "dkim/verifier.h"
#include "render/random_source.h"
#include "store/admin.h"
#include "store/keys.h"
#include "store/migrations.h"
#include "testing/scratch_db.h"

namespace tayori::keys {
namespace {

std::string ReadTestFile(const std::string& name) {
  std::ifstream in(std::string(TAYORI_DKIM_TESTDATA) + "/" + name, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

crypto::Kek Kek(const char* id, char fill) {
  auto k = crypto::ParseKek(id, crypto::Base64Encode(std::string(32, fill)));
  EXPECT_TRUE(k.ok());
  return *k;
}

class KeyResealTest : public ::testing::Test {
 protected:
  void SetUp() override {
    scratch_ = std::make_unique<testing::ScratchDatabase>("reseal");
    db_ = scratch_->Connect();
    ASSERT_NE(db_, nullptr);
    ASSERT_TRUE(store::Migrate(*db_).ok());
    auto t = store::AddTenant(*db_, "shop1", "Shop One", "shop00001", "");
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    tenant_ = *t;
  }

  // A verified domain whose key under `selector` (active) is `pem`, sealed
  // as TK2 with `kek`, or stored as the given TK1 blob.
  uint64_t AddDomain(const std::string& domain, const std::string& selector, const crypto::Kek& kek,
                     const std::string& pem, const std::string& tk1_blob = "") {
    auto id = store::InsertSenderDomain(*db_, tenant_, domain, "hosted", domain);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    auto key = crypto::PrivateKey::FromPem(pem);
    EXPECT_TRUE(key.ok());
    store::NewDomainKey nk;
    nk.sender_domain_id = *id;
    nk.selector = selector;
    nk.bits = (*key)->bits();
    nk.public_key = (*key)->PublicKeyBase64();
    nk.kek_id = kek.id;
    if (tk1_blob.empty()) {
      auto blob = crypto::Seal(kek, crypto::KeyBinding{domain, selector, nk.public_key}, pem);
      EXPECT_TRUE(blob.ok());
      nk.private_key_sealed = *blob;
    } else {
      nk.private_key_sealed = tk1_blob;
    }
    auto dk = store::InsertDomainKey(*db_, nk);
    EXPECT_TRUE(dk.ok()) << dk.status().ToString();
    EXPECT_TRUE(store::SetDomainKeyState(*db_, *dk, scheduler::KeyState::kActive).ok());
    EXPECT_TRUE(store::SetSenderDomainState(*db_, *id, scheduler::DomainState::kVerified, "test", "test").ok());
    return *id;
  }

  static std::string NewPem() {
    auto k = crypto::PrivateKey::GenerateRsa(2048);
    EXPECT_TRUE(k.ok());
    auto pem = (*k)->ToPem();
    EXPECT_TRUE(pem.ok());
    return *pem;
  }

  static std::string Tk1Blob() {
    std::string b64 = ReadTestFile("rsa2048.pem.tk1.b64");
    while (!b64.empty() && (b64.back() == '\n' || b64.back() == '\r')) b64.pop_back();
    auto blob = crypto::Base64Decode(b64);
    EXPECT_TRUE(blob.ok());
    return *blob;
  }

  std::vector<store::DomainKeyRow> Keys(uint64_t domain_id) {
    auto k = store::DomainKeys(*db_, domain_id);
    EXPECT_TRUE(k.ok());
    return *k;
  }

  struct Run {
    ResealSummary summary;
    std::string lines;
  };
  Run Reseal(const std::vector<crypto::Kek>& keks) {
    Run run;
    auto r = ResealKeys(*db_, keks, [&run](const std::string& line) { run.lines += line + "\n"; });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) run.summary = *r;
    return run;
  }

  // What the engine does for a campaign of `domain`: daemon::PrepareCampaign with
  // `keks`, then render and sign one message.
  Result<std::string> SignLikeTheEngine(const std::string& domain, uint64_t domain_id,
                                        const std::vector<crypto::Kek>& keks) {
    store::CampaignRow row;
    row.id = 1;
    row.tenant_id = tenant_;
    row.list_id = 1;
    row.sender_domain_id = domain_id;
    row.tenant_slug = "shop1";
    row.tenant_name = "Shop One";
    row.sender_id = "shop00001";
    row.list_slug = "news";
    row.list_name = "News";
    row.domain = domain;
    row.domain_state = scheduler::DomainState::kVerified;
    row.from_address = "news@" + domain;
    row.subject_template = "Hello";
    row.text_template = "Hello {{subscriber.name}}.";
    row.mail_type = "newsletter";
    config::Config config;
    config.unsubscribe.base_url = "http://127.0.0.1/u/";
    daemon::FactorySecrets secrets;
    secrets.keks = keks;
    auto key = unsubscribe::SigningKey::Make("k1", std::string(32, 'u'));
    EXPECT_TRUE(key.ok());
    secrets.unsubscribe_key = *key;
    auto active = store::ActiveDomainKeys(*db_, domain_id);
    EXPECT_TRUE(active.ok());
    crypto::KeyCache cache;
    TAYORI_ASSIGN_OR_RETURN(auto prepared,
                            daemon::PrepareCampaign(row, *active, config, secrets, cache, SystemClock::Instance()));
    store::LeasedDelivery d;
    d.id = 1;
    d.campaign_id = 1;
    d.subscriber_id = 1;
    d.email = "reader@example.net";
    d.display_name = "Reader";
    render::SeededRandom random(7);
    TAYORI_ASSIGN_OR_RETURN(daemon::BuiltMessage m, daemon::BuildMessage(*prepared, d, SystemClock::Instance().Now(), random));
    return *m.data;
  }

  dkim::Verdict VerifyWithStoredKey(const std::string& message, uint64_t domain_id) {
    std::string p = Keys(domain_id).front().public_key;
    dkim::Verifier v([p](std::string_view) -> Result<std::string> { return "v=DKIM1; k=rsa; p=" + p; });
    return v.Verify(message);
  }

  std::unique_ptr<testing::ScratchDatabase> scratch_;
  std::unique_ptr<store::Connection> db_;
  uint64_t tenant_ = 0;
  crypto::Kek kek1_ = Kek("kek1", '\x42');  // the KEK of the TK1 test vector
  crypto::Kek kek2_ = Kek("kek2", '\x17');
};

TEST_F(KeyResealTest, MovesEveryKeyToTheActiveKekAndTheEngineStillSigns) {
  uint64_t legacy = AddDomain("legacy.example", "s1", kek1_, ReadTestFile("rsa2048.pem"), Tk1Blob());
  uint64_t old_kek = AddDomain("old.example", "s1", kek1_, NewPem());
  uint64_t current = AddDomain("current.example", "s2", kek2_, NewPem());
  std::string current_blob = Keys(current).front().private_key_sealed;

  Run first = Reseal({kek2_, kek1_});
  EXPECT_EQ(first.summary.keys, 3);
  EXPECT_EQ(first.summary.resealed, 2);
  EXPECT_EQ(first.summary.current, 1);
  EXPECT_EQ(first.summary.failed, 0) << first.lines;
  EXPECT_NE(first.lines.find("legacy.example selector s1 (active): resealed (kek1/TK1 -> kek2/TK2)"),
            std::string::npos)
      << first.lines;
  EXPECT_NE(first.lines.find("old.example selector s1 (active): resealed (kek1/TK2 -> kek2/TK2)"), std::string::npos);
  for (uint64_t d : {legacy, old_kek, current}) {
    for (const auto& k : Keys(d)) {
      EXPECT_EQ(k.kek_id, "kek2");
      EXPECT_EQ(crypto::FormatOf(k.private_key_sealed), crypto::SealFormat::kTk2);
    }
  }
  EXPECT_EQ(Keys(current).front().private_key_sealed, current_blob) << "a current key is left as it is";
  auto events = db_->Query("SELECT COUNT(*) FROM events WHERE subject_type = 'dkim_key' AND kind = 'resealed'");
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->rows[0][0].value_or(""), "2");

  // Idempotent.
  Run second = Reseal({kek2_, kek1_});
  EXPECT_EQ(second.summary.resealed, 0);
  EXPECT_EQ(second.summary.current, 3);
  EXPECT_EQ(second.summary.failed, 0);

  // The old KEK can go: the engine signs with kek2 alone, and the
  // signatures verify with the published keys.
  for (auto [domain, id] : {std::pair<std::string, uint64_t>{"legacy.example", legacy}, {"old.example", old_kek}}) {
    auto signed_msg = SignLikeTheEngine(domain, id, {kek2_});
    ASSERT_TRUE(signed_msg.ok()) << domain << ": " << signed_msg.status().ToString();
    dkim::Verdict v = VerifyWithStoredKey(*signed_msg, id);
    EXPECT_TRUE(v.pass()) << domain << ": " << v.ToString();
  }
}

TEST_F(KeyResealTest, ABlobCopiedFromAnotherDomainsRowIsRefused) {
  uint64_t a = AddDomain("a.example", "s1", kek1_, NewPem());
  uint64_t b = AddDomain("b.example", "s1", kek1_, NewPem());
  uint64_t c = AddDomain("c.example", "s1", kek1_, NewPem());
  uint64_t legacy = AddDomain("legacy.example", "s1", kek1_, ReadTestFile("rsa2048.pem"), Tk1Blob());
  // b gets a's sealed key (TK2); c gets the TK1 blob, which binds nothing.
  auto copy = [&](uint64_t from, uint64_t to) {
    store::DomainKeyRow src = Keys(from).front(), dst = Keys(to).front();
    ASSERT_TRUE(db_->Execute("UPDATE dkim_keys dst JOIN dkim_keys src ON src.id = " + std::to_string(src.dkim_key_id) +
                             " SET dst.private_key_enc = src.private_key_enc, dst.kek_id = src.kek_id WHERE dst.id = " +
                             std::to_string(dst.dkim_key_id))
                    .ok());
  };
  copy(a, b);
  copy(legacy, c);
  std::string b_blob = Keys(b).front().private_key_sealed, c_blob = Keys(c).front().private_key_sealed;

  Run run = Reseal({kek2_, kek1_});
  EXPECT_EQ(run.summary.keys, 4);
  EXPECT_EQ(run.summary.failed, 2) << run.lines;
  EXPECT_EQ(run.summary.resealed, 2);
  EXPECT_NE(run.lines.find("b.example selector s1 (active): FAILED: sealed key of b.example selector s1 does not open "
                           "with key-encryption key 'kek1' (wrong KEK, tampered, or moved from another key row)"),
            std::string::npos)
      << run.lines;
  EXPECT_NE(run.lines.find("c.example selector s1 (active): FAILED: key of c.example selector s1 does not match its "
                           "public key (p=)"),
            std::string::npos)
      << run.lines;
  EXPECT_EQ(Keys(b).front().private_key_sealed, b_blob) << "a refused row is left as it was";
  EXPECT_EQ(Keys(c).front().private_key_sealed, c_blob);
  EXPECT_EQ(Keys(b).front().kek_id, "kek1");

  // The engine refuses them too: daemon::PrepareCampaign's error (which pauses the
  // campaign) names the domain and selector.
  for (auto [domain, id] : {std::pair<std::string, uint64_t>{"b.example", b}, {"c.example", c}}) {
    auto r = SignLikeTheEngine(domain, id, {kek2_, kek1_});
    ASSERT_FALSE(r.ok()) << domain;
    EXPECT_EQ(r.status().error_class(), ErrorClass::kPermanent);
    EXPECT_NE(r.status().message().find(domain + " selector s1"), std::string::npos) << r.status().message();
  }
  EXPECT_TRUE(SignLikeTheEngine("a.example", a, {kek2_, kek1_}).ok());
}

TEST_F(KeyResealTest, AKeyUnderAnUnconfiguredKekIsReportedAndLeftAlone) {
  crypto::Kek gone = Kek("kek0", '\x09');
  uint64_t d = AddDomain("gone.example", "s1", gone, NewPem());
  std::string blob = Keys(d).front().private_key_sealed;
  Run run = Reseal({kek2_, kek1_});
  EXPECT_EQ(run.summary.failed, 1);
  EXPECT_NE(run.lines.find("sealed with KEK 'kek0', which is not configured"), std::string::npos) << run.lines;
  EXPECT_EQ(Keys(d).front().private_key_sealed, blob);
  EXPECT_EQ(Reseal({kek2_, gone}).summary.resealed, 1);
}

}  // namespace
}  // namespace tayori::keys
