// Integration: the PowerDNS provider and the c-ares resolver against the real
// pdns_server of scripts/services.
#include <unistd.h>

#include <gtest/gtest.h>

#include "dns/powerdns.h"
#include "dns/resolver.h"
#include "dns/txt.h"
#include "pdns_util.h"

namespace tayori::dns {
namespace {

// ctest runs each test case as its own process, several at once: a zone per
// process keeps one test's TearDown from deleting another's zone.
const std::string kZone = "dnstest-" + std::to_string(getpid()) + ".platform.test";

// Applies `changes` through a PowerDnsProvider on a private loop.
Status ApplyAll(const testing::Pdns& p, const std::string& zone, std::vector<RecordChange> changes,
                RetryPolicy retry = {}, std::string api_url = "") {
  loop::Loop loop;
  Status result = Internal("not finished");
  {
    net::Transfers transfers(loop, net::PoolOptions{2, 0});
    PowerDnsProvider provider(PowerDnsSettings{api_url.empty() ? p.api_url() : api_url, p.api_key, "localhost", zone},
                              loop, transfers, retry);
    provider.Apply(std::move(changes), [&](Status st) {
      result = std::move(st);
      loop.Stop();
    });
    loop.Run();
  }
  return result;
}

class PowerDnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pdns_ = testing::RequirePdns();
    ASSERT_GT(pdns_.dns_port, 0);
    testing::CreateZone(pdns_, kZone);
  }
  void TearDown() override { testing::DeleteZone(pdns_, kZone); }
  Result<TxtRecords> Resolve(const std::string& name) {
    return ResolveTxtBlocking(ResolverOptions{pdns_.resolver(), std::chrono::milliseconds(1000), 2}, name);
  }
  testing::Pdns pdns_;
};

TEST_F(PowerDnsTest, LongKeyRecordsArePublishedInExplicitChunksAndResolveJoined) {
  std::string v2048 = "v=DKIM1; k=rsa; p=" + std::string(392, 'A');
  std::string v4096 = "v=DKIM1; k=rsa; p=" + std::string(736, 'B');
  Status st = ApplyAll(pdns_, kZone,
                       {{ChangeAction::kUpsert, "s1._domainkey.a." + kZone, "TXT", v2048, 300},
                        {ChangeAction::kUpsert, "s2._domainkey.a." + kZone, "TXT", v4096, 300}});
  ASSERT_TRUE(st.ok()) << st.ToString();

  auto r1 = Resolve("s1._domainkey.a." + kZone);
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  EXPECT_EQ(*r1, TxtRecords{v2048});
  auto r2 = Resolve("s2._domainkey.a." + kZone);  // 754 bytes: EDNS or TCP
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_EQ(*r2, TxtRecords{v4096});

  // dig shows the 255-byte strings; the API gives back exactly what we wrote.
  EXPECT_EQ(testing::Dig(pdns_, "TXT", "s1._domainkey.a." + kZone), QuoteTxt(v2048) + "\n");
  std::string body;
  ASSERT_EQ(testing::PdnsApi(pdns_, "GET", "/zones/" + kZone + ".", "", &body), 200);
  std::string quoted = QuoteTxt(v2048);
  std::string json_quoted;
  for (char c : quoted) {
    if (c == '"') json_quoted += '\\';
    json_quoted += c;
  }
  EXPECT_NE(body.find(json_quoted), std::string::npos);
}

TEST_F(PowerDnsTest, ReplaceIsIdempotentAndDeleteRemoves) {
  std::string name = "s1._domainkey.b." + kZone;
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(ApplyAll(pdns_, kZone, {{ChangeAction::kUpsert, name, "TXT", "v=DKIM1; p=one", 60}}).ok());
  ASSERT_TRUE(ApplyAll(pdns_, kZone, {{ChangeAction::kUpsert, name, "TXT", "v=DKIM1; p=two", 60}}).ok());
  auto r = Resolve(name);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, TxtRecords{"v=DKIM1; p=two"});
  ASSERT_TRUE(ApplyAll(pdns_, kZone, {{ChangeAction::kDelete, name, "TXT", "", 60}}).ok());
  r = Resolve(name);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().error_class(), ErrorClass::kNotFound) << r.status().ToString();
  // Deleting what is gone is fine (a resumed step may do it twice).
  EXPECT_TRUE(ApplyAll(pdns_, kZone, {{ChangeAction::kDelete, name, "TXT", "", 60}}).ok());
}

TEST_F(PowerDnsTest, ResolverFollowsACnameIntoAnotherZone) {
  const std::string shop = "dnstest-shop.test";
  testing::CreateZone(pdns_, shop);
  ASSERT_TRUE(ApplyAll(pdns_, kZone, {{ChangeAction::kUpsert, "s1._domainkey.c." + kZone, "TXT", "v=DKIM1; p=xyz", 60}}).ok());
  testing::AddCname(pdns_, shop, "s1._domainkey." + shop, "s1._domainkey.c." + kZone);
  auto r = Resolve("s1._domainkey." + shop);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, TxtRecords{"v=DKIM1; p=xyz"});
  testing::DeleteZone(pdns_, shop);
}

TEST_F(PowerDnsTest, MissingZoneIsAPermanentErrorNamingIt) {
  Status st = ApplyAll(pdns_, "nozone.test", {{ChangeAction::kUpsert, "s1._domainkey.nozone.test", "TXT", "v=DKIM1; p=a", 60}});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error_class(), ErrorClass::kPermanent);
  EXPECT_NE(st.message().find("nozone.test"), std::string::npos) << st.message();
}

TEST_F(PowerDnsTest, ProviderMessageIsReportedForARecordOutsideTheZone) {
  Status st = ApplyAll(pdns_, kZone, {{ChangeAction::kUpsert, "s1._domainkey.elsewhere.test", "TXT", "v=DKIM1; p=a", 60}});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error_class(), ErrorClass::kPermanent);
  EXPECT_NE(st.message().find("powerdns: HTTP 422"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("elsewhere.test"), std::string::npos) << st.message();
}

TEST_F(PowerDnsTest, UnreachableApiIsRetriedThenTransient) {
  RetryPolicy quick{3, std::chrono::milliseconds(20), std::chrono::milliseconds(50)};
  auto start = std::chrono::steady_clock::now();
  Status st = ApplyAll(pdns_, kZone, {{ChangeAction::kUpsert, "x." + kZone, "TXT", "a", 60}}, quick,
                       "http://127.0.0.1:1");
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(st.transient()) << st.ToString();
  EXPECT_NE(st.message().find("gave up after 3 attempts"), std::string::npos) << st.message();
  // Two backoffs (20 + 40 ms) were waited. libuv measures timers against
  // its cached loop time (millisecond resolution), so each may end up to a
  // millisecond before the same span read from the steady clock: a CI run
  // measured 59.5 ms.
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(57));
}

TEST_F(PowerDnsTest, ResolverReportsMissingNamesAndDeadServers) {
  auto r = Resolve("nothing-here." + kZone);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().error_class(), ErrorClass::kNotFound);
  auto dead = ResolveTxtBlocking(ResolverOptions{"127.0.0.1:1", std::chrono::milliseconds(300), 1}, "a.example");
  ASSERT_FALSE(dead.ok());
  EXPECT_TRUE(dead.status().transient()) << dead.status().ToString();
  auto bad = ResolveTxtBlocking(ResolverOptions{"not an address", std::chrono::milliseconds(300), 1}, "a.example");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().error_class(), ErrorClass::kConfig);
}

TEST_F(PowerDnsTest, ManyConcurrentQueriesOnOneResolver) {
  ASSERT_TRUE(ApplyAll(pdns_, kZone, {{ChangeAction::kUpsert, "m." + kZone, "TXT", "v=DKIM1; p=many", 60}}).ok());
  loop::Loop loop;
  int ok = 0, done = 0;
  {
    auto resolver = Resolver::Create(loop, ResolverOptions{pdns_.resolver()});
    ASSERT_TRUE(resolver.ok());
    for (int i = 0; i < 50; ++i)
      (*resolver)->QueryTxt("m." + kZone, [&](Result<TxtRecords> r) {
        ok += r.ok() && r->size() == 1;
        if (++done == 50) loop.Stop();
      });
    loop.Run();
  }
  EXPECT_EQ(ok, 50);
}

}  // namespace
}  // namespace tayori::dns
