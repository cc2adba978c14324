// Integration: the Route 53 provider against a local capture server
// (tests/tools/http_capture.py), which records the request and recomputes
// its AWS Signature Version 4 with Python's hmac/hashlib.
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "dns/route53.h"
#include "dns/txt.h"
#include "testing/child_process.h"
#include "testing/test_env.h"

namespace tayori::dns {
namespace {

constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr const char* kChangeInfo =
    "<?xml version=\"1.0\"?><ChangeResourceRecordSetsResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">"
    "<ChangeInfo><Id>/change/C1</Id><Status>PENDING</Status></ChangeInfo></ChangeResourceRecordSetsResponse>";

struct Capture {
  std::string dir;
  std::string out;
  std::unique_ptr<testing::ChildProcess> server;
};

Capture StartCapture(const std::string& statuses, const std::string& error_body = "") {
  Capture c;
  char tmpl[] = "/tmp/tayori-r53-XXXXXX";
  c.dir = ::mkdtemp(tmpl);
  c.out = c.dir + "/requests.jsonl";
  std::ofstream(c.dir + "/ok.xml") << kChangeInfo;
  std::vector<std::string> argv = {"/usr/bin/python3", testing::SourcePath("tests/tools/http_capture.py"), "--out",
                                   c.out, "--statuses", statuses, "--body-file", c.dir + "/ok.xml", "--sigv4-secret",
                                   kSecret};
  if (!error_body.empty()) {
    argv.push_back("--error-body");
    argv.push_back(error_body);
  }
  c.server = std::make_unique<testing::ChildProcess>(argv);
  return c;
}

std::vector<nlohmann::json> Requests(const Capture& c) {
  std::vector<nlohmann::json> out;
  std::ifstream in(c.out);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

Status ApplyAll(int port, std::vector<RecordChange> changes) {
  loop::Loop loop;
  Status result = Internal("not finished");
  {
    net::Transfers transfers(loop, net::PoolOptions{1, 0});
    Route53Settings s{"http://127.0.0.1:" + std::to_string(port), "Z0123456789ABC", "us-east-1", "AKIDEXAMPLE",
                      kSecret};
    Route53Provider provider(s, loop, transfers,
                             RetryPolicy{3, std::chrono::milliseconds(20), std::chrono::milliseconds(50)});
    provider.Apply(std::move(changes), [&](Status st) {
      result = std::move(st);
      loop.Stop();
    });
    loop.Run();
  }
  return result;
}

const std::string kValue = "v=DKIM1; k=rsa; p=" + std::string(392, 'C');

TEST(Route53Test, ChangeBatchIsPostedToTheZoneAndCorrectlySigned) {
  Capture c = StartCapture("200");
  ASSERT_TRUE(c.server->ok());
  Status st = ApplyAll(c.server->port(),
                       {{ChangeAction::kUpsert, "s1._domainkey.shop.platform.example", "TXT", kValue, 300},
                        {ChangeAction::kDelete, "s2._domainkey.shop.platform.example", "TXT", "v=DKIM1; p=", 300}});
  ASSERT_TRUE(st.ok()) << st.ToString();
  auto reqs = Requests(c);
  ASSERT_EQ(reqs.size(), 1u);
  const auto& r = reqs[0];
  EXPECT_EQ(r["method"], "POST");
  EXPECT_EQ(r["path"], "/2013-04-01/hostedzone/Z0123456789ABC/rrset");
  std::string body = r["body"];
  EXPECT_EQ(body, BuildRoute53ChangeBatch(
                      {{ChangeAction::kUpsert, "s1._domainkey.shop.platform.example", "TXT", kValue, 300},
                       {ChangeAction::kDelete, "s2._domainkey.shop.platform.example", "TXT", "v=DKIM1; p=", 300}}));
  EXPECT_NE(body.find("<Action>UPSERT</Action>"), std::string::npos);
  EXPECT_NE(body.find("<Value>" + QuoteTxt(kValue) + "</Value>"), std::string::npos);
  EXPECT_NE(body.find("<Action>DELETE</Action>"), std::string::npos);
  std::string auth = r["headers"]["authorization"];
  EXPECT_EQ(auth.rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", 0), 0u) << auth;
  const auto& sig = r["sigv4"];
  EXPECT_TRUE(sig["valid"].get<bool>()) << sig.dump();
  EXPECT_EQ(sig["region"], "us-east-1");
  EXPECT_EQ(sig["service"], "route53");
  auto signed_headers = sig["signed_headers"].get<std::vector<std::string>>();
  EXPECT_NE(std::find(signed_headers.begin(), signed_headers.end(), "host"), signed_headers.end());
  EXPECT_NE(std::find(signed_headers.begin(), signed_headers.end(), "x-amz-date"), signed_headers.end());
  // The secret itself never travels.
  EXPECT_EQ(r.dump().find(kSecret), std::string::npos);
}

TEST(Route53Test, ServerErrorsAreRetriedWithBackoff) {
  Capture c = StartCapture("503,500,200");
  ASSERT_TRUE(c.server->ok());
  Status st = ApplyAll(c.server->port(), {{ChangeAction::kUpsert, "a.platform.example", "TXT", "v=DKIM1; p=x", 60}});
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(Requests(c).size(), 3u);
}

TEST(Route53Test, RefusedChangeReportsRoute53Message) {
  Capture c = StartCapture("400",
                           "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidChangeBatch</Code><Message>"
                           "RRSet with DNS name a.elsewhere. is not permitted in zone platform.example."
                           "</Message></Error></ErrorResponse>");
  ASSERT_TRUE(c.server->ok());
  Status st = ApplyAll(c.server->port(), {{ChangeAction::kUpsert, "a.elsewhere", "TXT", "v=DKIM1; p=x", 60}});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error_class(), ErrorClass::kPermanent);
  EXPECT_NE(st.message().find("InvalidChangeBatch: RRSet with DNS name a.elsewhere. is not permitted"),
            std::string::npos)
      << st.message();
  EXPECT_EQ(Requests(c).size(), 1u);  // permanent: not retried
}

}  // namespace
}  // namespace tayori::dns
