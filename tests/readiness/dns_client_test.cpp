// Integration: the blocking c-ares client against the private PowerDNS.
#include "readiness/dns_client.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include "readiness/network_lookups.h"
#include "readiness_testing.h"

namespace tayori::readiness {
namespace {

using testing::SetRecords;
using testing::TxtContent;

const std::string kZone = "rdns-" + std::to_string(getpid()) + ".test";
const std::string kOther = "rdns-other-" + std::to_string(getpid()) + ".test";

class DnsClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pdns_ = tayori::testing::RequirePdns();
    ASSERT_GT(pdns_.dns_port, 0);
    tayori::testing::CreateZone(pdns_, kZone);
    tayori::testing::CreateZone(pdns_, kOther);
    auto client = DnsClient::Create(DnsClientOptions{pdns_.resolver(), std::chrono::milliseconds(1000), 2});
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(*client);
  }
  void TearDown() override {
    tayori::testing::DeleteZone(pdns_, kZone);
    tayori::testing::DeleteZone(pdns_, kOther);
  }
  tayori::testing::Pdns pdns_;
  std::unique_ptr<DnsClient> client_;
};

TEST_F(DnsClientTest, AnswersEachRecordType) {
  const std::string key = "v=DKIM1; k=rsa; p=" + std::string(392, 'A');  // a 2048-bit key's length: EDNS
  SetRecords(pdns_, kZone, "s1._domainkey." + kZone, "TXT", {TxtContent(key)});
  SetRecords(pdns_, kZone, "host." + kZone, "A", {"192.0.2.1", "192.0.2.2"});
  SetRecords(pdns_, kZone, "host." + kZone, "AAAA", {"2001:db8::1"});
  SetRecords(pdns_, kZone, kZone, "MX", {"20 mx2." + kZone + ".", "10 MX1." + kZone + "."});
  SetRecords(pdns_, kZone, "alias." + kZone, "CNAME", {"host." + kZone + "."});

  DnsAnswer txt = client_->Resolve("s1._domainkey." + kZone, RrType::kTxt);
  ASSERT_EQ(txt.status, DnsStatus::kOk) << txt.error;
  ASSERT_EQ(txt.records.size(), 1u);
  EXPECT_EQ(txt.records[0].value, key);

  DnsAnswer a = client_->Resolve("host." + kZone, RrType::kA);
  ASSERT_EQ(a.status, DnsStatus::kOk);
  ASSERT_EQ(a.records.size(), 2u);
  DnsAnswer aaaa = client_->Resolve("host." + kZone, RrType::kAaaa);
  ASSERT_EQ(aaaa.status, DnsStatus::kOk);
  EXPECT_EQ(aaaa.records[0].value, "2001:db8::1");

  DnsAnswer mx = client_->Resolve(kZone, RrType::kMx);
  ASSERT_EQ(mx.status, DnsStatus::kOk);
  ASSERT_EQ(mx.records.size(), 2u);
  for (const auto& r : mx.records) {
    if (r.preference == 10) EXPECT_EQ(r.value, "mx1." + kZone);  // lower case, no final dot
    else EXPECT_EQ(r.value, "mx2." + kZone);
  }

  DnsAnswer cname = client_->Resolve("alias." + kZone, RrType::kCname);
  ASSERT_EQ(cname.status, DnsStatus::kOk);
  EXPECT_EQ(cname.records[0].value, "host." + kZone);
  DnsAnswer via = client_->Resolve("alias." + kZone, RrType::kA);  // followed
  ASSERT_EQ(via.status, DnsStatus::kOk);
  EXPECT_EQ(via.records.size(), 2u);
}

TEST_F(DnsClientTest, PtrAndCnameIntoAnotherZone) {
  const std::string ip = testing::TestIp(0);
  const std::string zone = testing::CreatePtrZone(pdns_, ip, "out." + kZone);
  DnsAnswer ptr = client_->Resolve(ReverseName(ip), RrType::kPtr);
  ASSERT_EQ(ptr.status, DnsStatus::kOk) << ptr.error;
  EXPECT_EQ(ptr.records[0].value, "out." + kZone);
  tayori::testing::DeleteZone(pdns_, zone);

  SetRecords(pdns_, kZone, "s1._domainkey." + kZone, "CNAME", {"keys." + kOther + "."});
  SetRecords(pdns_, kOther, "keys." + kOther, "TXT", {TxtContent("v=DKIM1; p=xyz")});
  DnsAnswer txt = client_->Resolve("s1._domainkey." + kZone, RrType::kTxt);
  ASSERT_EQ(txt.status, DnsStatus::kOk) << txt.error;
  EXPECT_EQ(txt.records[0].value, "v=DKIM1; p=xyz");
}

TEST_F(DnsClientTest, TellsNoSuchNameFromNoDataFromNoAnswer) {
  SetRecords(pdns_, kZone, "host." + kZone, "A", {"192.0.2.1"});
  EXPECT_EQ(client_->Resolve("nothing." + kZone, RrType::kTxt).status, DnsStatus::kNxDomain);
  EXPECT_EQ(client_->Resolve("host." + kZone, RrType::kTxt).status, DnsStatus::kNoData);
  EXPECT_EQ(client_->Resolve("host." + kZone, RrType::kMx).status, DnsStatus::kNoData);

  auto dead = DnsClient::Create(DnsClientOptions{"127.0.0.1:1", std::chrono::milliseconds(200), 1});
  ASSERT_TRUE(dead.ok());
  DnsAnswer a = (*dead)->Resolve("a.example", RrType::kA);
  EXPECT_EQ(a.status, DnsStatus::kFailed);
  EXPECT_FALSE(a.error.empty());

  auto bad = DnsClient::Create(DnsClientOptions{"not an address", std::chrono::milliseconds(200), 1});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().error_class(), ErrorClass::kConfig);
}

TEST_F(DnsClientTest, CnameLoopsEnd) {
  SetRecords(pdns_, kZone, "a." + kZone, "CNAME", {"b." + kZone + "."});
  SetRecords(pdns_, kZone, "b." + kZone, "CNAME", {"a." + kZone + "."});
  DnsAnswer a = client_->Resolve("a." + kZone, RrType::kTxt);
  EXPECT_NE(a.status, DnsStatus::kOk);
}

TEST_F(DnsClientTest, AnswersCarryTheirTtl) {
  SetRecords(pdns_, kZone, "ttl." + kZone, "TXT", {TxtContent("v=spf1 -all")}, 300);
  SetRecords(pdns_, kZone, "ttl." + kZone, "A", {"192.0.2.7", "192.0.2.8"}, 120);
  DnsAnswer txt = client_->Resolve("ttl." + kZone, RrType::kTxt);
  ASSERT_EQ(txt.status, DnsStatus::kOk) << txt.error;
  EXPECT_EQ(txt.ttl, 300u);
  DnsAnswer a = client_->Resolve("ttl." + kZone, RrType::kA);
  EXPECT_EQ(a.ttl, 120u);
  // Negative answers: the zone's SOA says how long (RFC 2308).
  DnsAnswer nx = client_->Resolve("absent." + kZone, RrType::kTxt);
  ASSERT_EQ(nx.status, DnsStatus::kNxDomain);
  EXPECT_GT(nx.ttl, 0u);
  DnsAnswer nodata = client_->Resolve("ttl." + kZone, RrType::kMx);
  ASSERT_EQ(nodata.status, DnsStatus::kNoData);
  EXPECT_GT(nodata.ttl, 0u);
}

// The daemon keeps one NetworkLookups: an answer is kept for its TTL, at
// most max_cache_age, then asked again; `domain check` keeps answers for
// its one run.
TEST_F(DnsClientTest, CachedAnswersRunOutWithTheirTtl) {
  const std::string name = "cache." + kZone;
  auto lookups_for = [&](std::chrono::seconds max_age) {
    NetworkOptions o;
    o.dns = DnsClientOptions{pdns_.resolver(), std::chrono::milliseconds(1000), 2};
    o.max_cache_age = max_age;
    auto l = NetworkLookups::Create(o);
    EXPECT_TRUE(l.ok()) << l.status().ToString();
    return std::move(*l);
  };
  auto first_value = [&](NetworkLookups& l) {
    DnsAnswer a = l.Resolve(name, RrType::kTxt);
    return a.records.empty() ? std::string("<none>") : a.records[0].value;
  };
  // TTL 1 s under a one-hour cap: the change is seen once the TTL has run out.
  SetRecords(pdns_, kZone, name, "TXT", {TxtContent("one")}, 1);
  auto by_ttl = lookups_for(std::chrono::seconds(3600));
  auto forever = lookups_for(std::chrono::seconds(0));
  EXPECT_EQ(first_value(*by_ttl), "one");
  EXPECT_EQ(first_value(*forever), "one");
  SetRecords(pdns_, kZone, name, "TXT", {TxtContent("two")}, 300);
  ::usleep(1'200'000);
  EXPECT_EQ(first_value(*by_ttl), "two");
  EXPECT_EQ(first_value(*forever), "one") << "one run sees one state of DNS";
  // TTL 300 s under a 1 s cap: the cap wins.
  auto capped = lookups_for(std::chrono::seconds(1));
  EXPECT_EQ(first_value(*capped), "two");
  SetRecords(pdns_, kZone, name, "TXT", {TxtContent("three")}, 300);
  EXPECT_EQ(first_value(*capped), "two") << "still within the cap";
  EXPECT_EQ(first_value(*by_ttl), "two") << "still within the TTL";
  ::usleep(1'200'000);
  EXPECT_EQ(first_value(*capped), "three");
}

}  // namespace
}  // namespace tayori::readiness
