// CheckDomain end to end on an in-memory DNS: a healthy domain passes every
// check, and each check reaches its warn and fail states.
#include "readiness/domain_check.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "crypto/key.h"
#include "fake_lookups.h"
#include "dkim/key_record.h"

namespace tayori::readiness {
namespace {

using testing::FakeLookups;

std::shared_ptr<const crypto::PrivateKey> LoadKey(const std::string& file) {
  std::ifstream in(std::string(TAYORI_DKIM_TESTDATA) + "/" + file);
  std::stringstream ss;
  ss << in.rdbuf();
  auto key = crypto::PrivateKey::FromPem(ss.str());
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return *key;
}

class DomainCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = LoadKey("rsa2048.pem");
    facts_.from_domain = "shop.example";
    facts_.selectors = {{"s1", SelectorRole::kActive, key_->PublicKeyBase64(), ""}};
    facts_.envelope_domain = "bounce.platform.example";
    facts_.relays = {{"main", "relay.example.net", 587, TlsMode::kStartTls, "", {"192.0.2.10"}}};
    facts_.unsubscribe_base_url = "https://u.platform.example/u/";
    facts_.unsubscribe_test_token = "k1.TEST";
    facts_.inbound_mx_hosts = {"mx.platform.example"};
    dns_.Txt("s1._domainkey.shop.example", dkim::KeyRecordText(*key_))
        .Txt("_dmarc.shop.example", "v=DMARC1; p=reject; rua=mailto:dmarc@shop.example")
        .Txt("bounce.platform.example", "v=spf1 ip4:192.0.2.10 -all")
        .Add("bounce.platform.example", RrType::kMx, "mx.platform.example", 10)
        .Ptr("192.0.2.10", "out.relay.example.net", "192.0.2.10");
  }

  Report Run(CheckScope scope = CheckScope::kAll) { return CheckDomain(facts_, dns_, scope); }

  // The single check with `id` (and subject); fails the test otherwise.
  Check One(const Report& r, CheckId id) {
    auto found = r.Find(id);
    EXPECT_EQ(found.size(), 1u) << CheckIdName(id) << "\n" << RenderText(r, Lang::kEn);
    return found.empty() ? Check{} : *found.front();
  }
  State StateOf(CheckId id) { return One(Run(), id).state; }
  std::string FoundOf(CheckId id, Lang lang = Lang::kEn) { return One(Run(), id).found.Render(lang); }
  std::string FixOf(CheckId id, Lang lang = Lang::kEn) { return One(Run(), id).what_to_do.Render(lang); }

  std::shared_ptr<const crypto::PrivateKey> key_;
  DomainFacts facts_;
  FakeLookups dns_;
};

TEST_F(DomainCheckTest, AHealthyDomainPassesEveryCheckInOrder) {
  Report r = Run();
  EXPECT_EQ(r.domain, "shop.example");
  EXPECT_EQ(r.Overall(), State::kPass) << RenderText(r, Lang::kEn);
  std::vector<CheckId> ids;
  for (const Check& c : r.checks) ids.push_back(c.id);
  EXPECT_EQ(ids, (std::vector<CheckId>{CheckId::kFromDomain, CheckId::kDkimKey, CheckId::kDmarcRecord,
                                       CheckId::kDkimAlignment, CheckId::kSpfAlignment, CheckId::kSpf,
                                       CheckId::kSpfLookups, CheckId::kReverseDns, CheckId::kBounceMx,
                                       CheckId::kRelayTls, CheckId::kUnsubscribe}));
  EXPECT_EQ(One(r, CheckId::kDkimKey).subject, "s1");
  EXPECT_EQ(One(r, CheckId::kSpf).subject, "192.0.2.10");
  ASSERT_EQ(dns_.post_targets.size(), 1u);
  EXPECT_EQ(dns_.post_targets[0].url, "https://u.platform.example/u/k1.TEST");
  ASSERT_EQ(dns_.tls_targets.size(), 1u);
  EXPECT_EQ(dns_.tls_targets[0].port, 587);
  EXPECT_FALSE(dns_.tls_targets[0].implicit_tls);
  EXPECT_NE(RenderText(r, Lang::kJa).find("[PASS] dkim_key (s1): セレクタ s1（使用中）"), std::string::npos);
}

TEST_F(DomainCheckTest, ScopesSplitDomainAndPlatformChecks) {
  for (const Check& c : Run(CheckScope::kDomainOnly).checks)
    EXPECT_TRUE(c.id <= CheckId::kSpfAlignment) << CheckIdName(c.id);
  for (const Check& c : Run(CheckScope::kPlatformOnly).checks)
    EXPECT_TRUE(c.id >= CheckId::kSpf) << CheckIdName(c.id);
}

TEST_F(DomainCheckTest, FreemailFromIsRefused) {
  facts_.from_domain = "yahoo.co.jp";
  Check c = One(Run(), CheckId::kFromDomain);
  EXPECT_EQ(c.state, State::kFail);
  EXPECT_NE(c.found.Render(Lang::kJa).find("メールサービス事業者（LINE Yahoo）"), std::string::npos);
  EXPECT_NE(c.what_to_do.Render(Lang::kEn).find("shop's own domain"), std::string::npos);
}

TEST_F(DomainCheckTest, DkimKeyMissingDifferentShortTestingOrNone) {
  facts_.selectors.push_back({"s2", SelectorRole::kNext, LoadKey("rsa1024.pem")->PublicKeyBase64(), ""});
  Report r = Run();
  auto keys = r.Find(CheckId::kDkimKey);
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[1]->state, State::kFail);
  EXPECT_EQ(keys[1]->found.Render(Lang::kEn), "No DKIM key record is published at s2._domainkey.shop.example, so receivers cannot verify the signature.");
  EXPECT_NE(keys[1]->what_to_do.Render(Lang::kEn).find("tayori domain show shop.example"), std::string::npos);

  dns_.Txt("s2._domainkey.shop.example", dkim::KeyRecordText(*LoadKey("rsa1024.pem")));
  r = Run();
  keys = r.Find(CheckId::kDkimKey);
  EXPECT_EQ(keys[1]->state, State::kWarn);
  EXPECT_NE(keys[1]->found.Render(Lang::kEn).find("1024-bit"), std::string::npos);
  EXPECT_NE(keys[1]->what_to_do.Render(Lang::kEn).find("tayori dkim rotate shop.example"), std::string::npos);

  facts_.selectors[1].public_key = key_->PublicKeyBase64();  // Tayori holds another key than DNS serves
  r = Run();
  keys = r.Find(CheckId::kDkimKey);
  EXPECT_EQ(keys[1]->state, State::kFail);
  EXPECT_NE(keys[1]->found.Render(Lang::kEn).find("different key"), std::string::npos);

  FakeLookups testing_dns;
  testing_dns.Txt("s1._domainkey.shop.example", dkim::KeyRecordText(*key_) + "; t=y");
  facts_.selectors.resize(1);
  EXPECT_EQ(One(CheckDomain(facts_, testing_dns, CheckScope::kDomainOnly), CheckId::kDkimKey).state, State::kWarn);

  FakeLookups junk;
  junk.Txt("s1._domainkey.shop.example", "v=DKIM1; k=rsa; p=%%%");
  Check bad = One(CheckDomain(facts_, junk, CheckScope::kDomainOnly), CheckId::kDkimKey);
  EXPECT_EQ(bad.state, State::kFail);
  EXPECT_NE(bad.found.Render(Lang::kEn).find("not a valid DKIM key record"), std::string::npos);

  facts_.selectors.clear();
  EXPECT_EQ(StateOf(CheckId::kDkimKey), State::kFail);
  EXPECT_NE(FixOf(CheckId::kDkimKey).find("tayori domain add shop.example"), std::string::npos);
}

TEST_F(DomainCheckTest, DelegatedSelectorsNeedTheShopsCname) {
  facts_.delegated = true;
  facts_.selectors[0].cname_target = "s1._domainkey.shop-example.keys.platform.example";
  FakeLookups dns;
  dns.Txt("_dmarc.shop.example", "v=DMARC1; p=none; rua=mailto:d@shop.example");
  // Missing: both the CNAME and the key fail, and the fix is the CNAME.
  Report r = CheckDomain(facts_, dns, CheckScope::kDomainOnly);
  EXPECT_EQ(One(r, CheckId::kDkimCname).state, State::kFail);
  EXPECT_EQ(One(r, CheckId::kDkimKey).state, State::kFail);
  EXPECT_EQ(One(r, CheckId::kDkimKey).what_to_do.Render(Lang::kEn),
            "Ask the shop to add this record to the DNS of shop.example: s1._domainkey.shop.example CNAME "
            "s1._domainkey.shop-example.keys.platform.example");

  // In place: both pass.
  dns.Add("s1._domainkey.shop.example", RrType::kCname, "s1._domainkey.shop-example.keys.platform.example")
      .Txt("s1._domainkey.shop-example.keys.platform.example", dkim::KeyRecordText(*key_));
  r = CheckDomain(facts_, dns, CheckScope::kDomainOnly);
  EXPECT_EQ(One(r, CheckId::kDkimCname).state, State::kPass) << RenderText(r, Lang::kEn);
  EXPECT_EQ(One(r, CheckId::kDkimKey).state, State::kPass);

  // Pointing elsewhere.
  FakeLookups wrong;
  wrong.Add("s1._domainkey.shop.example", RrType::kCname, "s1._domainkey.other.example").Txt("s1._domainkey.other.example", dkim::KeyRecordText(*key_));
  r = CheckDomain(facts_, wrong, CheckScope::kDomainOnly);
  EXPECT_EQ(One(r, CheckId::kDkimCname).state, State::kFail);
  EXPECT_NE(One(r, CheckId::kDkimCname).found.Render(Lang::kEn).find("s1._domainkey.other.example"), std::string::npos);

  // A copy of the key instead of the CNAME: works, warned.
  FakeLookups copied;
  copied.Txt("s1._domainkey.shop.example", dkim::KeyRecordText(*key_));
  r = CheckDomain(facts_, copied, CheckScope::kDomainOnly);
  EXPECT_EQ(One(r, CheckId::kDkimCname).state, State::kWarn);
  EXPECT_EQ(One(r, CheckId::kDkimKey).state, State::kPass);
  EXPECT_NE(One(r, CheckId::kDkimCname).what_to_do.Render(Lang::kJa).find("TXT レコードを削除"), std::string::npos);

  // A copy of another key: the CNAME is what is missing.
  FakeLookups copied_wrong;
  copied_wrong.Txt("s1._domainkey.shop.example", dkim::KeyRecordText(*LoadKey("rsa1024.pem")));
  r = CheckDomain(facts_, copied_wrong, CheckScope::kDomainOnly);
  EXPECT_EQ(One(r, CheckId::kDkimCname).state, State::kFail);
  EXPECT_EQ(One(r, CheckId::kDkimKey).state, State::kFail);
}

TEST_F(DomainCheckTest, DmarcMissingIsAFailureForBulkSendersOnly) {
  FakeLookups dns;
  facts_.from_domain = "news.shop.example";
  Report r = CheckDomain(facts_, dns, CheckScope::kDomainOnly);
  Check c = One(r, CheckId::kDmarcRecord);
  EXPECT_EQ(c.state, State::kFail);
  EXPECT_EQ(c.found.Render(Lang::kEn),
            "There is no DMARC record at _dmarc.news.shop.example, nor at the organizational domain (_dmarc.shop.example).");
  EXPECT_NE(c.what_to_do.Render(Lang::kEn).find("5,000"), std::string::npos);
  EXPECT_NE(c.what_to_do.Render(Lang::kEn).find("_dmarc.shop.example: \"v=DMARC1; p=none"), std::string::npos);
  facts_.expected_daily_volume = 300;
  EXPECT_EQ(One(CheckDomain(facts_, dns, CheckScope::kDomainOnly), CheckId::kDmarcRecord).state, State::kWarn);
}

TEST_F(DomainCheckTest, DmarcOfTheOrganizationalDomainAppliesWithItsSubdomainPolicy) {
  facts_.from_domain = "news.shop.example";
  FakeLookups dns;
  dns.Txt("_dmarc.news.shop.example", "some other text")
      .Txt("_dmarc.shop.example", "v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@shop.example");
  Check c = One(CheckDomain(facts_, dns, CheckScope::kDomainOnly), CheckId::kDmarcRecord);
  EXPECT_EQ(c.state, State::kPass);
  EXPECT_EQ(c.found.Render(Lang::kEn),
            "news.shop.example has no DMARC record of its own; the record of its organizational domain at "
            "_dmarc.shop.example applies: policy quarantine.");
}

TEST_F(DomainCheckTest, DmarcSyntaxDuplicatesAndAdvice) {
  auto with = [&](std::vector<std::string> records) {
    FakeLookups dns;
    for (auto& rec : records) dns.Txt("_dmarc.shop.example", rec);
    return One(CheckDomain(facts_, dns, CheckScope::kDomainOnly), CheckId::kDmarcRecord);
  };
  Check broken = with({"v=DMARC1; p=rejectt; rua=mailto:d@shop.example"});
  EXPECT_EQ(broken.state, State::kFail);
  EXPECT_EQ(broken.found.Render(Lang::kEn),
            "The DMARC record at _dmarc.shop.example has an error: p= has the invalid value \"rejectt\". Receivers "
            "ignore it, or at best treat it as p=none.");
  EXPECT_NE(broken.found.Render(Lang::kJa).find("p= の値「rejectt」が正しくありません"), std::string::npos);
  EXPECT_EQ(with({"v=DMARC1; p=none", "v=DMARC1; p=reject"}).state, State::kFail);
  Check no_rua = with({"v=DMARC1; p=quarantine; pct=50"});
  EXPECT_EQ(no_rua.state, State::kWarn);
  EXPECT_NE(no_rua.found.Render(Lang::kEn).find("policy quarantine, pct=50"), std::string::npos);
  EXPECT_NE(no_rua.what_to_do.Render(Lang::kEn).find("rua=mailto:dmarc@shop.example"), std::string::npos);
  Check unknown = with({"v=DMARC1; p=none; rua=mailto:d@shop.example; foo=bar"});
  EXPECT_EQ(unknown.state, State::kWarn);
  EXPECT_NE(unknown.what_to_do.Render(Lang::kEn).find("foo="), std::string::npos);
  FakeLookups down;
  down.Fail("_dmarc.shop.example", RrType::kTxt);
  Check failed = One(CheckDomain(facts_, down, CheckScope::kDomainOnly), CheckId::kDmarcRecord);
  EXPECT_EQ(failed.state, State::kWarn);
  EXPECT_NE(failed.found.Render(Lang::kEn).find("timeout"), std::string::npos);
}

TEST_F(DomainCheckTest, StrictDkimAlignmentWithASubdomainSignerFails) {
  facts_.signing_domain = "mail.shop.example";
  EXPECT_EQ(StateOf(CheckId::kDkimAlignment), State::kPass);  // adkim=r (default)
  FakeLookups dns;
  dns.Txt("_dmarc.shop.example", "v=DMARC1; p=reject; adkim=s; rua=mailto:d@shop.example");
  Report r = CheckDomain(facts_, dns, CheckScope::kDomainOnly);
  Check c = One(r, CheckId::kDkimAlignment);
  EXPECT_EQ(c.state, State::kFail);
  EXPECT_NE(c.found.Render(Lang::kEn).find("adkim=s"), std::string::npos);
  EXPECT_NE(c.what_to_do.Render(Lang::kEn).find("Remove adkim=s from the DMARC record at _dmarc.shop.example"),
            std::string::npos);
  facts_.signing_domain = "platform.example";
  Check other = One(CheckDomain(facts_, dns, CheckScope::kDomainOnly), CheckId::kDkimAlignment);
  EXPECT_EQ(other.state, State::kFail);
  EXPECT_NE(other.found.Render(Lang::kEn).find("another organization"), std::string::npos);
  EXPECT_EQ(One(CheckDomain(facts_, dns, CheckScope::kDomainOnly), CheckId::kSpfAlignment).state, State::kWarn);
}

TEST_F(DomainCheckTest, SpfAlignmentIsInformational) {
  Check c = One(Run(), CheckId::kSpfAlignment);
  EXPECT_EQ(c.state, State::kPass);
  EXPECT_NE(c.found.Render(Lang::kEn).find("DKIM signature alone"), std::string::npos);
  facts_.envelope_domain = "bounce.shop.example";
  c = One(Run(CheckScope::kDomainOnly), CheckId::kSpfAlignment);
  EXPECT_NE(c.found.Render(Lang::kEn).find("is aligned with shop.example (relaxed)"), std::string::npos);
}

TEST_F(DomainCheckTest, SpfWithoutTheRelayIpOrRecordOrWithinLimits) {
  facts_.relays[0].egress_ips.push_back("192.0.2.11");
  dns_.Ptr("192.0.2.11", "out2.relay.example.net", "192.0.2.11");
  Report r = Run();
  auto spf = r.Find(CheckId::kSpf);
  ASSERT_EQ(spf.size(), 2u);
  EXPECT_EQ(spf[0]->state, State::kPass);
  EXPECT_EQ(spf[1]->state, State::kFail);
  EXPECT_EQ(spf[1]->found.Render(Lang::kEn),
            "The SPF record of bounce.platform.example does not authorize 192.0.2.11 (result: fail).");
  EXPECT_EQ(spf[1]->what_to_do.Render(Lang::kEn),
            "Add ip4:192.0.2.11 (or the relay provider's include:) to the SPF record of bounce.platform.example, "
            "before its \"all\".");
  EXPECT_EQ(One(r, CheckId::kSpfLookups).state, State::kPass);

  FakeLookups none = dns_;
  facts_.envelope_domain = "bounce2.platform.example";
  Report r2 = CheckDomain(facts_, none, CheckScope::kPlatformOnly);
  EXPECT_EQ(r2.Find(CheckId::kSpf)[0]->state, State::kFail);
  EXPECT_NE(r2.Find(CheckId::kSpf)[0]->what_to_do.Render(Lang::kEn).find("\"v=spf1 ip4:192.0.2.10 -all\""),
            std::string::npos);
  EXPECT_TRUE(r2.Find(CheckId::kSpfLookups).empty());
}

TEST_F(DomainCheckTest, SpfLookupLimitAndDnsTrouble) {
  FakeLookups dns;
  std::string rec = "v=spf1";
  for (int i = 1; i <= 11; ++i) rec += " include:i" + std::to_string(i) + ".relay.test";
  dns.Txt("bounce.platform.example", rec + " -all");
  for (int i = 1; i <= 11; ++i) dns.Txt("i" + std::to_string(i) + ".relay.test", "v=spf1 ip4:192.0.2.10 -all");
  Report r = CheckDomain(facts_, dns, CheckScope::kPlatformOnly);
  Check count = One(r, CheckId::kSpfLookups);
  EXPECT_EQ(count.state, State::kFail);
  EXPECT_EQ(count.found.Render(Lang::kEn), "DNS lookups the SPF record of bounce.platform.example needs: 11 (the limit is 10).");
  EXPECT_NE(count.what_to_do.Render(Lang::kJa).find("10 回以内"), std::string::npos);

  FakeLookups down;
  down.Fail("bounce.platform.example", RrType::kTxt);
  r = CheckDomain(facts_, down, CheckScope::kPlatformOnly);
  EXPECT_EQ(r.Find(CheckId::kSpf)[0]->state, State::kWarn);
  EXPECT_EQ(One(r, CheckId::kSpfLookups).state, State::kWarn);
}

TEST_F(DomainCheckTest, EgressAddressesMissingOrPrivateAreWarnings) {
  facts_.relays[0].egress_ips = {};
  Check c = One(Run(), CheckId::kSpf);
  EXPECT_EQ(c.state, State::kWarn);
  EXPECT_EQ(c.subject, "main");
  facts_.relays[0].egress_ips = {"10.1.2.3"};
  Report r = Run();
  EXPECT_EQ(One(r, CheckId::kSpf).state, State::kWarn);
  EXPECT_TRUE(r.Find(CheckId::kReverseDns).empty());
}

TEST_F(DomainCheckTest, ReverseDnsMissingOrNotConfirmed) {
  FakeLookups dns = dns_;
  facts_.relays[0].egress_ips = {"192.0.2.20", "192.0.2.21", "2001:db8::25"};
  dns.Ptr("192.0.2.21", "out.relay.example.net", "");  // out.relay.example.net is 192.0.2.10
  dns.Ptr("2001:db8::25", "v6.relay.example.net", "2001:db8:0:0::25");
  Report r = CheckDomain(facts_, dns, CheckScope::kPlatformOnly);
  auto rdns = r.Find(CheckId::kReverseDns);
  ASSERT_EQ(rdns.size(), 3u);
  EXPECT_EQ(rdns[0]->state, State::kFail);
  EXPECT_EQ(rdns[0]->found.Render(Lang::kEn),
            "192.0.2.20 has no reverse DNS name (PTR); Gmail and Yahoo refuse or distrust mail from such addresses.");
  EXPECT_EQ(rdns[1]->state, State::kFail);
  EXPECT_EQ(rdns[1]->found.Render(Lang::kEn),
            "192.0.2.21 has the reverse name out.relay.example.net, but out.relay.example.net does not resolve to "
            "192.0.2.21 (192.0.2.10).");
  EXPECT_EQ(rdns[2]->state, State::kPass);
  FakeLookups dangling;
  facts_.relays[0].egress_ips = {"192.0.2.22"};
  dangling.Ptr("192.0.2.22", "gone.relay.example.net", "");
  EXPECT_NE(One(CheckDomain(facts_, dangling, CheckScope::kPlatformOnly), CheckId::kReverseDns)
                .found.Render(Lang::kJa)
                .find("（アドレスなし）"),
            std::string::npos);
}

TEST_F(DomainCheckTest, BounceMxStates) {
  EXPECT_EQ(StateOf(CheckId::kBounceMx), State::kPass);
  facts_.inbound_mx_hosts = {"in.platform.example"};
  EXPECT_EQ(StateOf(CheckId::kBounceMx), State::kFail);
  EXPECT_NE(FoundOf(CheckId::kBounceMx).find("not to Tayori's inbound service (in.platform.example)"), std::string::npos);
  facts_.inbound_mx_hosts.clear();
  EXPECT_EQ(StateOf(CheckId::kBounceMx), State::kWarn);
  FakeLookups none;
  none.Txt("bounce.platform.example", "v=spf1 ip4:192.0.2.10 -all");
  EXPECT_EQ(One(CheckDomain(facts_, none, CheckScope::kPlatformOnly), CheckId::kBounceMx).state, State::kWarn);
  facts_.inbound_mx_hosts = {"mx.platform.example"};
  EXPECT_EQ(One(CheckDomain(facts_, none, CheckScope::kPlatformOnly), CheckId::kBounceMx).state, State::kFail);
  none.Add("bounce.platform.example", RrType::kMx, "", 0);
  Check null_mx = One(CheckDomain(facts_, none, CheckScope::kPlatformOnly), CheckId::kBounceMx);
  EXPECT_EQ(null_mx.state, State::kFail);
  EXPECT_NE(null_mx.found.Render(Lang::kEn).find("null MX"), std::string::npos);
}

TEST_F(DomainCheckTest, RelayTlsOutcomes) {
  struct Case {
    ProbeResult::Outcome outcome;
    const char* phrase;
  } cases[] = {
      {ProbeResult::Outcome::kNoStartTls, "does not offer STARTTLS"},
      {ProbeResult::Outcome::kBadCertificate, "does not verify: self-signed"},
      {ProbeResult::Outcome::kUnreachable, "could not be reached"},
      {ProbeResult::Outcome::kFailed, "TLS handshake"},
  };
  for (const Case& c : cases) {
    dns_.tls_result = ProbeResult{c.outcome, 0, "", "self-signed"};
    Check tls = One(Run(CheckScope::kPlatformOnly), CheckId::kRelayTls);
    EXPECT_EQ(tls.state, State::kFail);
    EXPECT_NE(tls.found.Render(Lang::kEn).find(c.phrase), std::string::npos) << tls.found.Render(Lang::kEn);
    EXPECT_FALSE(tls.what_to_do.empty());
  }
  facts_.relays[0].tls = TlsMode::kNone;
  size_t probes = dns_.tls_targets.size();
  EXPECT_EQ(StateOf(CheckId::kRelayTls), State::kFail);
  EXPECT_EQ(dns_.tls_targets.size(), probes);  // not probed
  facts_.relays[0].tls = TlsMode::kImplicit;
  dns_.tls_result = ProbeResult{ProbeResult::Outcome::kOk, 0, "", ""};
  EXPECT_EQ(StateOf(CheckId::kRelayTls), State::kPass);
  EXPECT_TRUE(dns_.tls_targets.back().implicit_tls);
}

TEST_F(DomainCheckTest, UnsubscribeEndpointOutcomes) {
  dns_.post_result = ProbeResult{ProbeResult::Outcome::kOk, 301, "https://elsewhere.example/u/x", ""};
  EXPECT_EQ(StateOf(CheckId::kUnsubscribe), State::kFail);
  EXPECT_NE(FoundOf(CheckId::kUnsubscribe).find("redirect (301) to https://elsewhere.example/u/x"), std::string::npos);
  dns_.post_result = ProbeResult{ProbeResult::Outcome::kOk, 404, "", ""};
  EXPECT_NE(FoundOf(CheckId::kUnsubscribe).find("HTTP 404"), std::string::npos);
  dns_.post_result = ProbeResult{ProbeResult::Outcome::kBadCertificate, 0, "", "certificate expired"};
  EXPECT_NE(FoundOf(CheckId::kUnsubscribe).find("certificate expired"), std::string::npos);
  size_t posts = dns_.post_targets.size();
  facts_.unsubscribe_base_url = "http://u.platform.example/u/";
  EXPECT_EQ(StateOf(CheckId::kUnsubscribe), State::kFail);
  EXPECT_NE(FixOf(CheckId::kUnsubscribe, Lang::kJa).find("https://"), std::string::npos);
  EXPECT_EQ(dns_.post_targets.size(), posts);  // http is not probed
  facts_.unsubscribe_base_url.clear();
  EXPECT_TRUE(Run().Find(CheckId::kUnsubscribe).empty());
}

}  // namespace
}  // namespace tayori::readiness
