// Integration: `tayori domain check` scenarios against the private PowerDNS
// (a shop zone, a platform zone and reverse zones per test process), the
// fault relay with STARTTLS and a one-click HTTPS server. Every check passes
// in AllGood and fails in at least one other case.
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "crypto/key.h"
#include "readiness/domain_check.h"
#include "readiness/network_lookups.h"
#include "readiness_testing.h"
#include "testing/child_process.h"
#include "testing/test_env.h"
#include "dkim/key_record.h"

namespace tayori::readiness {
namespace {

using testing::SetRecords;
using testing::TestIp;
using testing::TxtContent;

const std::string kShop = "shop-" + std::to_string(getpid()) + ".test";
const std::string kPlatform = "platform-" + std::to_string(getpid()) + ".test";
const std::string kBounce = "bounce." + kPlatform;

std::shared_ptr<const crypto::PrivateKey> LoadKey(const std::string& file) {
  std::ifstream in(std::string(TAYORI_DKIM_TESTDATA) + "/" + file);
  std::stringstream ss;
  ss << in.rdbuf();
  auto key = crypto::PrivateKey::FromPem(ss.str());
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return *key;
}

class DomainCheckPdnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pdns_ = tayori::testing::RequirePdns();
    ASSERT_GT(pdns_.dns_port, 0);
    tayori::testing::CreateZone(pdns_, kShop);
    tayori::testing::CreateZone(pdns_, kPlatform);
    key_ = LoadKey("rsa2048.pem");
    ip0_ = TestIp(0);
    SetRecords(pdns_, kShop, "s1._domainkey." + kShop, "TXT", {TxtContent(dkim::KeyRecordText(*key_))});
    SetRecords(pdns_, kShop, "_dmarc." + kShop, "TXT", {TxtContent("v=DMARC1; p=reject; rua=mailto:dmarc@" + kShop)});
    SetRecords(pdns_, kPlatform, kBounce, "TXT", {TxtContent("v=spf1 ip4:" + ip0_ + " -all")});
    SetRecords(pdns_, kPlatform, kBounce, "MX", {"10 mx." + kPlatform + "."});
    SetRecords(pdns_, kPlatform, "out." + kPlatform, "A", {ip0_});
    reverse_zones_.push_back(testing::CreatePtrZone(pdns_, ip0_, "out." + kPlatform));

    facts_.from_domain = kShop;
    facts_.selectors = {{"s1", SelectorRole::kActive, key_->PublicKeyBase64(), ""}};
    facts_.envelope_domain = kBounce;
    facts_.relays = {{"main", "127.0.0.1", 1, TlsMode::kStartTls, "", {ip0_}}};
    facts_.inbound_mx_hosts = {"mx." + kPlatform};
  }
  void TearDown() override {
    tayori::testing::DeleteZone(pdns_, kShop);
    tayori::testing::DeleteZone(pdns_, kPlatform);
    for (const auto& z : reverse_zones_) tayori::testing::DeleteZone(pdns_, z);
  }

  // The relay (fault relay with STARTTLS) and the one-click server, trusted
  // through the test certificate.
  void StartServices() {
    cert_ = std::make_unique<testing::TestCertificate>();
    relay_ = std::make_unique<tayori::testing::ChildProcess>(
        tayori::testing::FaultRelayCommand({"--tls", cert_->cert, cert_->key}));
    ASSERT_TRUE(relay_->ok());
    web_ = std::make_unique<tayori::testing::ChildProcess>(std::vector<std::string>{
        "/usr/bin/python3", tayori::testing::SourcePath("tests/readiness/one_click_server.py"), "--cert", cert_->cert,
        "--key", cert_->key});
    ASSERT_TRUE(web_->ok());
    facts_.relays[0].port = relay_->port();
    facts_.relays[0].ca_file = cert_->cert;
    facts_.unsubscribe_base_url = "https://127.0.0.1:" + std::to_string(web_->port()) + "/u/";
    facts_.unsubscribe_test_token = "k1.PROBE";
    facts_.unsubscribe_ca_file = cert_->cert;
  }

  Report Run(CheckScope scope = CheckScope::kAll) {
    auto lookups = NetworkLookups::Create(
        NetworkOptions{DnsClientOptions{pdns_.resolver(), std::chrono::milliseconds(1000), 2}, std::chrono::seconds(10)});
    EXPECT_TRUE(lookups.ok()) << lookups.status().ToString();
    return CheckDomain(facts_, **lookups, scope);
  }

  static std::vector<Check> All(const Report& r, CheckId id) {
    std::vector<Check> out;
    for (const Check* c : r.Find(id)) out.push_back(*c);
    return out;
  }
  static Check One(const Report& r, CheckId id) {
    auto all = All(r, id);
    EXPECT_EQ(all.size(), 1u) << CheckIdName(id) << "\n" << RenderText(r, Lang::kEn);
    return all.empty() ? Check{} : all.front();
  }

  tayori::testing::Pdns pdns_;
  std::shared_ptr<const crypto::PrivateKey> key_;
  std::string ip0_;
  DomainFacts facts_;
  std::vector<std::string> reverse_zones_;
  std::unique_ptr<testing::TestCertificate> cert_;
  std::unique_ptr<tayori::testing::ChildProcess> relay_, web_;
};

TEST_F(DomainCheckPdnsTest, AllGood) {
  StartServices();
  Report r = Run();
  EXPECT_EQ(r.Overall(), State::kPass) << RenderText(r, Lang::kEn);
  for (CheckId id : {CheckId::kFromDomain, CheckId::kDkimKey, CheckId::kDmarcRecord, CheckId::kDkimAlignment,
                     CheckId::kSpfAlignment, CheckId::kSpf, CheckId::kSpfLookups, CheckId::kReverseDns,
                     CheckId::kBounceMx, CheckId::kRelayTls, CheckId::kUnsubscribe})
    EXPECT_EQ(One(r, id).state, State::kPass) << CheckIdName(id);
  EXPECT_EQ(One(r, CheckId::kReverseDns).found.Render(Lang::kEn),
            ip0_ + " has the reverse name out." + kPlatform + ", which resolves back to " + ip0_ + ".");
  std::string ja = RenderText(r, Lang::kJa);
  EXPECT_NE(ja.find("ワンクリック配信停止の POST に 200 で応答しました"), std::string::npos) << ja;
}

TEST_F(DomainCheckPdnsTest, NoDmarc) {
  SetRecords(pdns_, kShop, "_dmarc." + kShop, "TXT", {});
  Check c = One(Run(CheckScope::kDomainOnly), CheckId::kDmarcRecord);
  EXPECT_EQ(c.state, State::kFail);
  EXPECT_EQ(c.found.Render(Lang::kEn), "There is no DMARC record at _dmarc." + kShop + ".");
  EXPECT_NE(c.what_to_do.Render(Lang::kJa).find("_dmarc." + kShop + " に TXT レコード"), std::string::npos);
}

TEST_F(DomainCheckPdnsTest, DmarcOnTheOrganizationalDomainOnly) {
  facts_.from_domain = "news." + kShop;
  SetRecords(pdns_, kShop, "s1._domainkey.news." + kShop, "TXT", {TxtContent(dkim::KeyRecordText(*key_))});
  SetRecords(pdns_, kShop, "_dmarc." + kShop, "TXT",
             {TxtContent("v=DMARC1; p=reject; sp=quarantine; rua=mailto:dmarc@" + kShop)});
  Report r = Run(CheckScope::kDomainOnly);
  Check c = One(r, CheckId::kDmarcRecord);
  EXPECT_EQ(c.state, State::kPass) << RenderText(r, Lang::kEn);
  EXPECT_NE(c.found.Render(Lang::kEn).find("organizational domain at _dmarc." + kShop + " applies: policy quarantine"),
            std::string::npos)
      << c.found.Render(Lang::kEn);
  EXPECT_EQ(One(r, CheckId::kDkimKey).state, State::kPass);
  EXPECT_EQ(One(r, CheckId::kDkimAlignment).state, State::kPass);
}

TEST_F(DomainCheckPdnsTest, StrictDkimAlignmentWithASubdomainSigner) {
  facts_.signing_domain = "mail." + kShop;
  EXPECT_EQ(One(Run(CheckScope::kDomainOnly), CheckId::kDkimAlignment).state, State::kPass);  // relaxed
  SetRecords(pdns_, kShop, "_dmarc." + kShop, "TXT",
             {TxtContent("v=DMARC1; p=reject; adkim=s; rua=mailto:dmarc@" + kShop)});
  Check c = One(Run(CheckScope::kDomainOnly), CheckId::kDkimAlignment);
  EXPECT_EQ(c.state, State::kFail);
  EXPECT_NE(c.found.Render(Lang::kEn).find("d=mail." + kShop + ", which is not exactly " + kShop), std::string::npos);
}

TEST_F(DomainCheckPdnsTest, BrokenDmarcSyntax) {
  SetRecords(pdns_, kShop, "_dmarc." + kShop, "TXT", {TxtContent("v=DMARC1; p=rejectt; pct=150")});
  Check c = One(Run(CheckScope::kDomainOnly), CheckId::kDmarcRecord);
  EXPECT_EQ(c.state, State::kFail);
  EXPECT_NE(c.found.Render(Lang::kEn).find("p= has the invalid value \"rejectt\""), std::string::npos);
}

TEST_F(DomainCheckPdnsTest, SpfWithAndWithoutTheRelayIp) {
  const std::string ip1 = TestIp(1);
  facts_.relays[0].egress_ips.push_back(ip1);
  reverse_zones_.push_back(testing::CreatePtrZone(pdns_, ip1, "out1." + kPlatform));
  SetRecords(pdns_, kPlatform, "out1." + kPlatform, "A", {ip1});
  Report r = Run(CheckScope::kPlatformOnly);
  auto spf = All(r, CheckId::kSpf);
  ASSERT_EQ(spf.size(), 2u);
  EXPECT_EQ(spf[0].state, State::kPass);
  EXPECT_EQ(spf[1].state, State::kFail);
  EXPECT_EQ(spf[1].what_to_do.Render(Lang::kEn), "Add ip4:" + ip1 + " (or the relay provider's include:) to the SPF record of " +
                                                     kBounce + ", before its \"all\".");
  EXPECT_EQ(One(r, CheckId::kSpfLookups).state, State::kPass);
}

TEST_F(DomainCheckPdnsTest, SpfWithElevenLookups) {
  std::string rec = "v=spf1";
  for (int i = 1; i <= 11; ++i) {
    rec += " a:h" + std::to_string(i) + "." + kPlatform;
    SetRecords(pdns_, kPlatform, "h" + std::to_string(i) + "." + kPlatform, "A", {"192.0.2." + std::to_string(i)});
  }
  SetRecords(pdns_, kPlatform, kBounce, "TXT", {TxtContent(rec + " ip4:" + ip0_ + " -all")});
  Report r = Run(CheckScope::kPlatformOnly);
  Check spf = One(r, CheckId::kSpf);
  EXPECT_EQ(spf.state, State::kFail);
  EXPECT_NE(spf.found.Render(Lang::kEn).find("more than 10 DNS lookups"), std::string::npos) << spf.found.Render(Lang::kEn);
  Check count = One(r, CheckId::kSpfLookups);
  EXPECT_EQ(count.state, State::kFail);
  EXPECT_NE(count.found.Render(Lang::kEn).find("needs: 11 (the limit is 10)"), std::string::npos);
}

TEST_F(DomainCheckPdnsTest, SpfThroughARedirect) {
  SetRecords(pdns_, kPlatform, kBounce, "TXT", {TxtContent("v=spf1 redirect=_spf." + kPlatform)});
  SetRecords(pdns_, kPlatform, "_spf." + kPlatform, "TXT", {TxtContent("v=spf1 ip4:" + ip0_ + " -all")});
  Report r = Run(CheckScope::kPlatformOnly);
  EXPECT_EQ(One(r, CheckId::kSpf).state, State::kPass) << RenderText(r, Lang::kEn);
  EXPECT_NE(One(r, CheckId::kSpfLookups).found.Render(Lang::kEn).find("needs: 1 (the limit is 10)"), std::string::npos);
  SetRecords(pdns_, kPlatform, "_spf." + kPlatform, "TXT", {TxtContent("v=spf1 ip4:192.0.2.0/24 -all")});
  EXPECT_EQ(One(Run(CheckScope::kPlatformOnly), CheckId::kSpf).state, State::kFail);
}

TEST_F(DomainCheckPdnsTest, PtrMissingOrMismatched) {
  const std::string missing = TestIp(1), mismatched = TestIp(2);
  reverse_zones_.push_back(testing::CreatePtrZone(pdns_, missing, ""));
  reverse_zones_.push_back(testing::CreatePtrZone(pdns_, mismatched, "out." + kPlatform));  // out. is ip0
  facts_.relays[0].egress_ips = {missing, mismatched};
  Report r = Run(CheckScope::kPlatformOnly);
  auto rdns = All(r, CheckId::kReverseDns);
  ASSERT_EQ(rdns.size(), 2u) << RenderText(r, Lang::kEn);
  EXPECT_EQ(rdns[0].state, State::kFail);
  EXPECT_NE(rdns[0].found.Render(Lang::kEn).find("has no reverse DNS name"), std::string::npos);
  EXPECT_EQ(rdns[1].state, State::kFail);
  EXPECT_EQ(rdns[1].found.Render(Lang::kEn), mismatched + " has the reverse name out." + kPlatform + ", but out." +
                                                 kPlatform + " does not resolve to " + mismatched + " (" + ip0_ + ").");
}

TEST_F(DomainCheckPdnsTest, FreemailFromIsRefused) {
  facts_.from_domain = "gmail.com";
  Check c = One(Run(CheckScope::kDomainOnly), CheckId::kFromDomain);
  EXPECT_EQ(c.state, State::kFail);
  EXPECT_NE(c.found.Render(Lang::kEn).find("mailbox provider (Google)"), std::string::npos);
}

TEST_F(DomainCheckPdnsTest, DkimKeyDiffersAndDelegatedCnamesMissingOrWrong) {
  SetRecords(pdns_, kShop, "s1._domainkey." + kShop, "TXT", {TxtContent(dkim::KeyRecordText(*LoadKey("rsa1024.pem")))});
  Check differs = One(Run(CheckScope::kDomainOnly), CheckId::kDkimKey);
  EXPECT_EQ(differs.state, State::kFail);
  EXPECT_NE(differs.found.Render(Lang::kEn).find("different key"), std::string::npos);

  facts_.delegated = true;
  facts_.selectors = {{"s1", SelectorRole::kActive, key_->PublicKeyBase64(), "s1._domainkey.d." + kPlatform},
                      {"s2", SelectorRole::kNext, key_->PublicKeyBase64(), "s2._domainkey.d." + kPlatform}};
  SetRecords(pdns_, kShop, "s1._domainkey." + kShop, "TXT", {});
  SetRecords(pdns_, kPlatform, "s1._domainkey.d." + kPlatform, "TXT", {TxtContent(dkim::KeyRecordText(*key_))});
  SetRecords(pdns_, kPlatform, "s2._domainkey.d." + kPlatform, "TXT", {TxtContent(dkim::KeyRecordText(*key_))});
  SetRecords(pdns_, kShop, "s1._domainkey." + kShop, "CNAME", {"s1._domainkey.d." + kPlatform + "."});
  SetRecords(pdns_, kShop, "s2._domainkey." + kShop, "CNAME", {"s1._domainkey.d." + kPlatform + "."});
  Report r = Run(CheckScope::kDomainOnly);
  auto cnames = All(r, CheckId::kDkimCname);
  ASSERT_EQ(cnames.size(), 2u) << RenderText(r, Lang::kEn);
  EXPECT_EQ(cnames[0].state, State::kPass);
  EXPECT_EQ(cnames[1].state, State::kFail);  // s2 points at s1's name
  SetRecords(pdns_, kShop, "s2._domainkey." + kShop, "CNAME", {});
  r = Run(CheckScope::kDomainOnly);
  cnames = All(r, CheckId::kDkimCname);
  ASSERT_EQ(cnames.size(), 2u);
  EXPECT_EQ(cnames[1].state, State::kFail);
  EXPECT_NE(cnames[1].found.Render(Lang::kEn).find("There is no CNAME at s2._domainkey." + kShop), std::string::npos);
  EXPECT_EQ(All(r, CheckId::kDkimKey)[1].state, State::kFail);
}

TEST_F(DomainCheckPdnsTest, BounceMxMissingOrElsewhere) {
  SetRecords(pdns_, kPlatform, kBounce, "MX", {"10 mx.elsewhere.example."});
  Check c = One(Run(CheckScope::kPlatformOnly), CheckId::kBounceMx);
  EXPECT_EQ(c.state, State::kFail);
  EXPECT_NE(c.found.Render(Lang::kEn).find("go to mx.elsewhere.example, not to Tayori's inbound"), std::string::npos);
  SetRecords(pdns_, kPlatform, kBounce, "MX", {});
  EXPECT_EQ(One(Run(CheckScope::kPlatformOnly), CheckId::kBounceMx).state, State::kFail);
  facts_.inbound_mx_hosts.clear();
  EXPECT_EQ(One(Run(CheckScope::kPlatformOnly), CheckId::kBounceMx).state, State::kWarn);
}

TEST_F(DomainCheckPdnsTest, RelayTlsNotOfferedOrUntrusted) {
  StartServices();
  facts_.relays[0].ca_file.clear();
  Check untrusted = One(Run(CheckScope::kPlatformOnly), CheckId::kRelayTls);
  EXPECT_EQ(untrusted.state, State::kFail);
  EXPECT_NE(untrusted.found.Render(Lang::kEn).find("does not verify"), std::string::npos) << untrusted.found.Render(Lang::kEn);
  tayori::testing::ChildProcess plain(tayori::testing::FaultRelayCommand());
  ASSERT_TRUE(plain.ok());
  facts_.relays[0].port = plain.port();
  Check none = One(Run(CheckScope::kPlatformOnly), CheckId::kRelayTls);
  EXPECT_EQ(none.state, State::kFail);
  EXPECT_NE(none.found.Render(Lang::kEn).find("does not offer STARTTLS"), std::string::npos);
}

TEST_F(DomainCheckPdnsTest, UnsubscribeEndpointRedirectsOrRefuses) {
  StartServices();
  facts_.unsubscribe_test_token = "redirect";
  Check redirect = One(Run(CheckScope::kPlatformOnly), CheckId::kUnsubscribe);
  EXPECT_EQ(redirect.state, State::kFail);
  EXPECT_NE(redirect.found.Render(Lang::kEn).find("redirect (301)"), std::string::npos);
  facts_.unsubscribe_test_token = "missing";
  EXPECT_NE(One(Run(CheckScope::kPlatformOnly), CheckId::kUnsubscribe).found.Render(Lang::kEn).find("HTTP 404"),
            std::string::npos);
  facts_.unsubscribe_base_url = "http://127.0.0.1:" + std::to_string(web_->port()) + "/u/";
  EXPECT_EQ(One(Run(CheckScope::kPlatformOnly), CheckId::kUnsubscribe).state, State::kFail);
}

}  // namespace
}  // namespace tayori::readiness
