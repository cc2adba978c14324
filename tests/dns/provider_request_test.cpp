// Request building and response classification of the two providers, pure.
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "dns/powerdns.h"
#include "dns/route53.h"
#include "dns/txt.h"

namespace tayori::dns {
namespace {

const std::string kLong = "v=DKIM1; k=rsa; p=" + std::string(392, 'B');

std::vector<RecordChange> Changes() {
  return {RecordChange{ChangeAction::kUpsert, "s1._domainkey.shop.platform.example", "TXT", kLong, 300},
          RecordChange{ChangeAction::kDelete, "s2._domainkey.shop.platform.example", "TXT", "v=DKIM1; p=", 300}};
}

TEST(PowerDnsRequestTest, PatchesRrsetsWithReplaceAndDelete) {
  PowerDnsSettings s{"http://127.0.0.1:8081/", "secret-key", "localhost", "platform.example"};
  net::HttpRequest r = BuildPowerDnsPatch(s, Changes());
  EXPECT_EQ(r.method, "PATCH");
  EXPECT_EQ(r.url, "http://127.0.0.1:8081/api/v1/servers/localhost/zones/platform.example.");
  EXPECT_NE(std::find(r.headers.begin(), r.headers.end(), "X-API-Key: secret-key"), r.headers.end());
  auto j = nlohmann::json::parse(r.body);
  ASSERT_EQ(j["rrsets"].size(), 2u);
  const auto& up = j["rrsets"][0];
  EXPECT_EQ(up["name"], "s1._domainkey.shop.platform.example.");
  EXPECT_EQ(up["type"], "TXT");
  EXPECT_EQ(up["changetype"], "REPLACE");
  EXPECT_EQ(up["ttl"], 300);
  ASSERT_EQ(up["records"].size(), 1u);
  EXPECT_EQ(up["records"][0]["content"], QuoteTxt(kLong));
  EXPECT_EQ(up["records"][0]["disabled"], false);
  const auto& del = j["rrsets"][1];
  EXPECT_EQ(del["changetype"], "DELETE");
  EXPECT_FALSE(del.contains("records"));
}

TEST(PowerDnsRequestTest, CnameContentIsAbsolute) {
  PowerDnsSettings s{"http://h:1", "k", "localhost", "shop.example"};
  auto r = BuildPowerDnsPatch(s, {RecordChange{ChangeAction::kUpsert, "s1._domainkey.shop.example", "CNAME",
                                               "s1._domainkey.shop-example.platform.example", 60}});
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["rrsets"][0]["records"][0]["content"], "s1._domainkey.shop-example.platform.example.");
}

TEST(PowerDnsRequestTest, ErrorsCarryTheApiMessageAndServerErrorsAreTransient) {
  net::HttpResult r{true, "", 422, "{\"error\": \"Record x./TXT 'bad': Not in expected format\"}"};
  Status st = ClassifyPowerDnsResponse(r, "platform.example");
  EXPECT_EQ(st.error_class(), ErrorClass::kPermanent);
  EXPECT_NE(st.message().find("Not in expected format"), std::string::npos) << st.message();
  r.status = 404;
  r.body = "Not Found";
  st = ClassifyPowerDnsResponse(r, "platform.example");
  EXPECT_NE(st.message().find("does the zone platform.example exist"), std::string::npos) << st.message();
  r.status = 503;
  EXPECT_TRUE(ClassifyPowerDnsResponse(r, "z").transient());
  r.status = 204;
  EXPECT_TRUE(ClassifyPowerDnsResponse(r, "z").ok());
}

TEST(Route53RequestTest, PostsAChangeBatchSignedWithSigV4) {
  Route53Settings s{"https://route53.example/", "/hostedzone/Z123", "us-east-1", "AKIDEXAMPLE", "secret"};
  net::HttpRequest r = BuildRoute53Request(s, Changes());
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://route53.example/2013-04-01/hostedzone/Z123/rrset");
  EXPECT_EQ(r.aws_sigv4, "aws:amz:us-east-1:route53");
  EXPECT_EQ(r.user_password, "AKIDEXAMPLE:secret");
  const std::string& x = r.body;
  EXPECT_NE(x.find("<ChangeResourceRecordSetsRequest xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">"),
            std::string::npos);
  EXPECT_NE(x.find("<Action>UPSERT</Action><ResourceRecordSet><Name>s1._domainkey.shop.platform.example.</Name>"
                   "<Type>TXT</Type><TTL>300</TTL><ResourceRecords><ResourceRecord><Value>" + QuoteTxt(kLong) +
                   "</Value>"),
            std::string::npos)
      << x;
  EXPECT_NE(x.find("<Action>DELETE</Action><ResourceRecordSet><Name>s2._domainkey.shop.platform.example.</Name>"
                   "<Type>TXT</Type><TTL>300</TTL><ResourceRecords><ResourceRecord><Value>\"v=DKIM1; p=\"</Value>"),
            std::string::npos)
      << x;
}

TEST(Route53RequestTest, XmlSpecialCharactersAreEscaped) {
  std::string x = BuildRoute53ChangeBatch({RecordChange{ChangeAction::kUpsert, "a.example", "TXT", "x<y&z>", 60}});
  EXPECT_NE(x.find("<Value>\"x&lt;y&amp;z&gt;\"</Value>"), std::string::npos) << x;
}

TEST(Route53RequestTest, ErrorsCarryRoute53MessageAndThrottlingIsTransient) {
  net::HttpResult r{true, "", 400,
                    "<?xml version=\"1.0\"?><ErrorResponse><Error><Type>Sender</Type><Code>InvalidChangeBatch</Code>"
                    "<Message>RRSet with DNS name x. is not permitted in zone y.</Message></Error></ErrorResponse>"};
  Status st = ClassifyRoute53Response(r);
  EXPECT_EQ(st.error_class(), ErrorClass::kPermanent);
  EXPECT_NE(st.message().find("InvalidChangeBatch: RRSet with DNS name x. is not permitted"), std::string::npos)
      << st.message();
  r.body = "<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>";
  EXPECT_TRUE(ClassifyRoute53Response(r).transient());
  r.status = 500;
  EXPECT_TRUE(ClassifyRoute53Response(r).transient());
  r.status = 200;
  EXPECT_TRUE(ClassifyRoute53Response(r).ok());
}

}  // namespace
}  // namespace tayori::dns
