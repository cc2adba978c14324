#include "readiness/report.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "config/config.h"
#include "readiness/lookups.h"

namespace tayori::readiness {
namespace {

Report Sample() {
  Report r;
  r.domain = "shop.example";
  r.checks.push_back({CheckId::kFromDomain, "", State::kPass, Text(MessageId::kFromOwnDomain).Arg("domain", "shop.example"), Text()});
  r.checks.push_back({CheckId::kDmarcRecord, "", State::kFail, Text(MessageId::kDmarcMissing).Arg("name", "_dmarc.shop.example"),
                      Text(MessageId::kFixDmarcAdd).Arg("org", "shop.example")});
  r.checks.push_back({CheckId::kReverseDns, "192.0.2.1", State::kWarn,
                      Text(MessageId::kDnsFailed).Arg("name", "1.2.0.192.in-addr.arpa").Arg("error", "timeout"),
                      Text(MessageId::kFixRetryDns)});
  return r;
}

TEST(ReportTest, OverallIsTheWorstState) {
  Report r = Sample();
  EXPECT_EQ(r.Overall(), State::kFail);
  EXPECT_EQ(r.Find(CheckId::kReverseDns).size(), 1u);
  EXPECT_EQ(Report{}.Overall(), State::kPass);
}

TEST(ReportTest, TextListsEachCheckWithWhatToDo) {
  std::string t = RenderText(Sample(), Lang::kEn);
  EXPECT_NE(t.find("[PASS] from_domain: shop.example is the shop's own domain"), std::string::npos) << t;
  EXPECT_NE(t.find("[FAIL] dmarc_record: There is no DMARC record at _dmarc.shop.example.\n"
                   "       → Publish a TXT record at _dmarc.shop.example"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("[WARN] reverse_dns (192.0.2.1): "), std::string::npos) << t;
  EXPECT_NE(t.find("shop.example: 1 fail, 1 warn, 1 pass\n"), std::string::npos) << t;
  std::string ja = RenderText(Sample(), Lang::kJa);
  EXPECT_NE(ja.find("_dmarc.shop.example に DMARC レコードがありません。"), std::string::npos) << ja;
}

TEST(ReportTest, JsonCarriesIdsStatesAndTexts) {
  auto j = nlohmann::json::parse(RenderJson(Sample(), Lang::kJa));
  EXPECT_EQ(j["domain"], "shop.example");
  EXPECT_EQ(j["state"], "fail");
  EXPECT_EQ(j["lang"], "ja");
  ASSERT_EQ(j["checks"].size(), 3u);
  EXPECT_EQ(j["checks"][0]["id"], "from_domain");
  EXPECT_EQ(j["checks"][0]["what_to_do"], "");
  EXPECT_EQ(j["checks"][2]["subject"], "192.0.2.1");
  EXPECT_EQ(j["checks"][1]["state"], "fail");
  EXPECT_NE(j["checks"][1]["what_to_do"].get<std::string>().find("_dmarc.shop.example"), std::string::npos);
}

TEST(ReportTest, CheckNamesRoundTripAndMatchTheConfigsList) {
  std::vector<std::string> names;
  for (CheckId id : AllCheckIds()) {
    names.emplace_back(CheckIdName(id));
    EXPECT_EQ(CheckIdFromName(CheckIdName(id)), id);
  }
  EXPECT_FALSE(CheckIdFromName("dmarc").has_value());
  // readiness.mandatory is validated against config's own copy of the names.
  EXPECT_EQ(names, config::ReadinessCheckNames());
}

TEST(ReportTest, OnlyFailuresOfTheNamedChecksCount) {
  Report r = Sample();
  auto failed = r.FailedAmong({CheckId::kDmarcRecord, CheckId::kReverseDns});
  ASSERT_EQ(failed.size(), 1u) << "a warning (a failed lookup) never counts";
  EXPECT_EQ(failed[0]->id, CheckId::kDmarcRecord);
  EXPECT_TRUE(r.FailedAmong({CheckId::kFromDomain, CheckId::kReverseDns}).empty());
  EXPECT_TRUE(r.FailedAmong({}).empty());
}

TEST(ReportTest, AStoredJsonReportRendersAsTheText) {
  for (Lang lang : {Lang::kEn, Lang::kJa}) {
    auto text = RenderTextFromJson(RenderJson(Sample(), lang));
    ASSERT_TRUE(text.ok()) << text.status().ToString();
    EXPECT_EQ(*text, RenderText(Sample(), lang));
  }
  EXPECT_FALSE(RenderTextFromJson("not json").ok());
  EXPECT_FALSE(RenderTextFromJson(R"({"domain":"x"})").ok());
}

TEST(LookupsTest, ReverseNames) {
  EXPECT_EQ(ReverseName("192.0.2.10"), "10.2.0.192.in-addr.arpa");
  EXPECT_EQ(ReverseName("2001:db8::1"),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
  EXPECT_EQ(ReverseName("not an ip"), "");
}

}  // namespace
}  // namespace tayori::readiness
