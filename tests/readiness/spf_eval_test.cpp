// libspf2 driven through the Lookups DNS layer, answered from memory.
#include "readiness/spf_eval.h"

#include <gtest/gtest.h>

#include "fake_lookups.h"

namespace tayori::readiness {
namespace {

using testing::FakeLookups;

TEST(SpfEvalTest, PassAndFailForTheIpAsked) {
  FakeLookups dns;
  dns.Txt("bounce.test", "v=spf1 ip4:192.0.2.10 -all").Txt("bounce.test", "google-site-verification=abc");
  SpfEvaluation ok = EvaluateSpf("bounce.test", "192.0.2.10", dns);
  EXPECT_EQ(ok.result, SpfResult::kPass) << ok.error;
  EXPECT_GE(ok.dns_queries, 1);
  EXPECT_EQ(EvaluateSpf("bounce.test", "192.0.2.11", dns).result, SpfResult::kFail);
  // libspf2 never asks for the retired SPF RR type through the network.
  for (const auto& q : dns.queries) EXPECT_EQ(q.second, RrType::kTxt) << q.first;
}

TEST(SpfEvalTest, SoftfailNeutralAndIpv6) {
  FakeLookups dns;
  dns.Txt("soft.test", "v=spf1 ~all").Txt("neutral.test", "v=spf1 ?all").Txt("six.test", "v=spf1 ip6:2001:db8::/32 -all");
  EXPECT_EQ(EvaluateSpf("soft.test", "192.0.2.1", dns).result, SpfResult::kSoftFail);
  EXPECT_EQ(EvaluateSpf("neutral.test", "192.0.2.1", dns).result, SpfResult::kNeutral);
  EXPECT_EQ(EvaluateSpf("six.test", "2001:db8::25", dns).result, SpfResult::kPass);
  EXPECT_EQ(EvaluateSpf("six.test", "2001:db9::25", dns).result, SpfResult::kFail);
}

TEST(SpfEvalTest, IncludeRedirectAAndMxAreFollowedThroughTheLayer) {
  FakeLookups dns;
  dns.Txt("inc.test", "v=spf1 include:_spf.relay.test -all")
      .Txt("_spf.relay.test", "v=spf1 ip4:198.51.100.0/24 -all")
      .Txt("redir.test", "v=spf1 redirect=_spf.relay.test")
      .Txt("amx.test", "v=spf1 a:out.relay.test mx -all")
      .A("out.relay.test", "203.0.113.5")
      .Add("amx.test", RrType::kMx, "mx.amx.test", 10)
      .A("mx.amx.test", "203.0.113.25");
  EXPECT_EQ(EvaluateSpf("inc.test", "198.51.100.7", dns).result, SpfResult::kPass);
  EXPECT_EQ(EvaluateSpf("inc.test", "203.0.113.7", dns).result, SpfResult::kFail);
  EXPECT_EQ(EvaluateSpf("redir.test", "198.51.100.7", dns).result, SpfResult::kPass);
  EXPECT_EQ(EvaluateSpf("redir.test", "203.0.113.7", dns).result, SpfResult::kFail);
  EXPECT_EQ(EvaluateSpf("amx.test", "203.0.113.5", dns).result, SpfResult::kPass);
  EXPECT_EQ(EvaluateSpf("amx.test", "203.0.113.25", dns).result, SpfResult::kPass);
  EXPECT_EQ(EvaluateSpf("amx.test", "203.0.113.26", dns).result, SpfResult::kFail);
}

TEST(SpfEvalTest, ElevenLookupsAreAPermerrorNamedAsSuch) {
  FakeLookups dns;
  std::string rec = "v=spf1";
  for (int i = 1; i <= 11; ++i) {
    rec += " a:h" + std::to_string(i) + ".test";
    dns.A("h" + std::to_string(i) + ".test", "203.0.113." + std::to_string(i));
  }
  dns.Txt("many.test", rec + " ip4:192.0.2.10 -all");
  SpfEvaluation e = EvaluateSpf("many.test", "192.0.2.10", dns);
  EXPECT_EQ(e.result, SpfResult::kPermError);
  EXPECT_TRUE(e.too_many_lookups) << e.error;
  SpfLookupCount c = CountSpfLookups("many.test", dns);
  EXPECT_TRUE(c.has_record);
  EXPECT_EQ(c.lookups, 11);
}

TEST(SpfEvalTest, StaticCountFollowsIncludesAndRedirectButNotAfterAll) {
  FakeLookups dns;
  dns.Txt("top.test", "v=spf1 include:a.test include:b.test mx -all redirect=ignored.test")
      .Txt("a.test", "v=spf1 a mx ptr exists:%{i}.x.test ?all")
      .Txt("b.test", "v=spf1 include:a.test redirect=c.test")
      .Txt("c.test", "v=spf1 include:%{d}.mac.test include:loop.test ip4:192.0.2.0/24 -all")
      .Txt("loop.test", "v=spf1 include:c.test -all");
  SpfLookupCount c = CountSpfLookups("top.test", dns);
  // top: 2 include + mx = 3; a: 4; b: include + redirect = 2, and a again: 4;
  // c: 2 includes (the macro one is not followed); loop: 1, back to c: stop.
  EXPECT_EQ(c.lookups, 16);
  EXPECT_FALSE(c.dns_failed);
  EXPECT_FALSE(CountSpfLookups("none.test", dns).has_record);
}

TEST(SpfEvalTest, NoRecordSyntaxErrorsAndDnsFailures) {
  FakeLookups dns;
  dns.Txt("txt-only.test", "hello").Txt("broken.test", "v=spf1 ip4:999.1.1.1 -all");
  dns.Txt("two.test", "v=spf1 -all").Txt("two.test", "v=spf1 +all");
  dns.Fail("down.test", RrType::kTxt);
  EXPECT_EQ(EvaluateSpf("nothing.test", "192.0.2.1", dns).result, SpfResult::kNone);
  EXPECT_EQ(EvaluateSpf("txt-only.test", "192.0.2.1", dns).result, SpfResult::kNone);
  SpfEvaluation broken = EvaluateSpf("broken.test", "192.0.2.1", dns);
  EXPECT_EQ(broken.result, SpfResult::kPermError);
  EXPECT_FALSE(broken.error.empty());
  EXPECT_EQ(EvaluateSpf("two.test", "192.0.2.1", dns).result, SpfResult::kPermError);
  SpfEvaluation down = EvaluateSpf("down.test", "192.0.2.1", dns);
  EXPECT_EQ(down.result, SpfResult::kTempError);
  EXPECT_EQ(EvaluateSpf("broken.test", "not-an-ip", dns).result, SpfResult::kPermError);
  SpfLookupCount c = CountSpfLookups("down.test", dns);
  EXPECT_TRUE(c.dns_failed);
  EXPECT_EQ(c.error, "timeout");
}

}  // namespace
}  // namespace tayori::readiness
