#include "feedback/verp.h"

#include <gtest/gtest.h>

#include "smtp/return_path.h"

namespace tayori::feedback {
namespace {

const char* kPattern = "bounces+{delivery_id}.{mac}@bounce.tayori.example";
const char* kKey = "corpus-verp-key-not-a-secret";

TEST(VerpTest, OwnAddressesVerify) {
  VerpMatcher m({kPattern, kKey});
  smtp::ReturnPath rp(kPattern, kKey);
  for (uint64_t id : {0ull, 1ull, 1001ull, 18446744073709551615ull}) {
    auto r = m.Check(rp.For(id));
    EXPECT_EQ(r.verdict, VerpMatcher::Verdict::kVerified) << rp.For(id);
    EXPECT_EQ(r.delivery_id, id);
  }
  // The corpus's addresses (made by its generator with the same HMAC).
  EXPECT_EQ(m.Check("bounces+1001.7toj3vznw4@bounce.tayori.example").delivery_id, 1001u);
  // In brackets, upper case, as some MTAs rewrite them.
  EXPECT_EQ(m.Check("<BOUNCES+1001.7TOJ3VZNW4@Bounce.Tayori.Example>").verdict, VerpMatcher::Verdict::kVerified);
}

TEST(VerpTest, AlteredAddressesAreForged) {
  VerpMatcher m({kPattern, kKey});
  for (const char* a : {"bounces+1002.7toj3vznw4@bounce.tayori.example",   // another id
                        "bounces+1001.7toj3vznw5@bounce.tayori.example",   // another MAC
                        "bounces+01001.7toj3vznw4@bounce.tayori.example",  // leading zero
                        "bounces+99999999999999999999.7toj3vznw4@bounce.tayori.example"}) {  // overflow
    EXPECT_EQ(m.Check(a).verdict, VerpMatcher::Verdict::kForged) << a;
  }
}

TEST(VerpTest, OtherAddressesAreNotVerp) {
  VerpMatcher m({kPattern, kKey});
  for (const char* a : {"reader@example.com", "bounces+1001.7toj3vznw4@other.example", "bounces+1001@bounce.tayori.example",
                        "bounces+.7toj3vznw4@bounce.tayori.example", "bounces+1001.7toj3vznw4@bounce.tayori.example.evil",
                        "", "<>"}) {
    EXPECT_EQ(m.Check(a).verdict, VerpMatcher::Verdict::kNotVerp) << a;
  }
}

TEST(VerpTest, AdjacentPlaceholders) {
  const char* pattern = "b{delivery_id}{mac}@x.example";
  VerpMatcher m({pattern, kKey});
  smtp::ReturnPath rp(pattern, kKey);
  for (uint64_t id : {7ull, 2345ull}) EXPECT_EQ(m.Check(rp.For(id)).delivery_id, id) << rp.For(id);
}

TEST(VerpTest, WithoutAMacNothingVerifies) {
  VerpMatcher no_mac({"bounces+{delivery_id}@bounce.example", kKey});
  EXPECT_EQ(no_mac.Check("bounces+7@bounce.example").verdict, VerpMatcher::Verdict::kNotVerp);
  VerpMatcher no_key({kPattern, ""});
  EXPECT_EQ(no_key.Check("bounces+1001.7toj3vznw4@bounce.tayori.example").verdict, VerpMatcher::Verdict::kNotVerp);
}

}  // namespace
}  // namespace tayori::feedback
