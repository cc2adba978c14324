#include "inbound/recipient.h"

#include <gtest/gtest.h>

#include "config/config.h"
#include "inbound/from_config.h"

namespace tayori::inbound {
namespace {

RecipientClassifier Platform() {
  return RecipientClassifier("bounces+{delivery_id}.{mac}@bounce.platform.example",
                             {"bounce.platform.example", "bounce.shop.example."}, {"fbl@platform.example"});
}

RecipientKind KindOf(const RecipientClassifier& c, std::string_view a) { return c.Classify(a).kind; }

TEST(RecipientTest, VerpShapedAddressesAtBounceDomainsAreBounces) {
  RecipientClassifier c = Platform();
  EXPECT_EQ(KindOf(c, "bounces+123.abcdefgh27@bounce.platform.example"), RecipientKind::kBounce);
  EXPECT_EQ(KindOf(c, "<bounces+1.aaaaaaaaaa@bounce.platform.example>"), RecipientKind::kBounce);
  EXPECT_EQ(KindOf(c, "bounces+18446744073709551615.aaaaaaaaaa@bounce.shop.example"), RecipientKind::kBounce);
  // Case: the domain, the fixed parts and the MAC.
  EXPECT_EQ(KindOf(c, "Bounces+123.ABCDEFGH27@Bounce.Platform.EXAMPLE"), RecipientKind::kBounce);
  EXPECT_EQ(KindOf(c, "bounces+123.abcdefgh27@bounce.platform.example."), RecipientKind::kBounce);
}

TEST(RecipientTest, OtherShapesAreRefusedWithAReason) {
  RecipientClassifier c = Platform();
  for (const char* a : {"bounces+123@bounce.platform.example", "bounces+123.abcdefgh2@bounce.platform.example",
                        "bounces+123.abcdefgh271@bounce.platform.example",
                        "bounces+123.abcdefgh18@bounce.platform.example",  // 1 and 8 are not base32
                        "bounces+.abcdefgh27@bounce.platform.example",
                        "bounces+123456789012345678901.abcdefgh27@bounce.platform.example",  // 21 digits
                        "bounce+123.abcdefgh27@bounce.platform.example", "postmaster@bounce.platform.example"}) {
    RecipientVerdict v = c.Classify(a);
    EXPECT_EQ(v.kind, RecipientKind::kRefused) << a;
    EXPECT_EQ(v.reason, "not a return path of this platform") << a;
  }
  RecipientVerdict v = c.Classify("bounces+123.abcdefgh27@elsewhere.example");
  EXPECT_EQ(v.kind, RecipientKind::kRefused);
  EXPECT_EQ(v.reason, "not a bounce or complaint address");
  EXPECT_EQ(KindOf(c, "bounces+123.abcdefgh27@sub.bounce.platform.example"), RecipientKind::kRefused);
  EXPECT_EQ(KindOf(c, "postmaster"), RecipientKind::kRefused);
  EXPECT_EQ(KindOf(c, ""), RecipientKind::kRefused);
  EXPECT_EQ(KindOf(c, "@bounce.platform.example"), RecipientKind::kRefused);
}

TEST(RecipientTest, ComplaintAddresses) {
  RecipientClassifier c = Platform();
  EXPECT_EQ(KindOf(c, "fbl@platform.example"), RecipientKind::kComplaint);
  EXPECT_EQ(KindOf(c, "FBL@Platform.Example"), RecipientKind::kComplaint);
  EXPECT_EQ(KindOf(c, "fbl2@platform.example"), RecipientKind::kRefused);
}

TEST(RecipientTest, PatternsWithoutMacOrWithTheMacFirst) {
  RecipientClassifier plain("b-{delivery_id}@bounce.example", {"bounce.example"}, {});
  EXPECT_EQ(KindOf(plain, "b-42@bounce.example"), RecipientKind::kBounce);
  EXPECT_EQ(KindOf(plain, "b-42x@bounce.example"), RecipientKind::kRefused);
  // A MAC right after the id may begin with digits: the id is tried shorter.
  RecipientClassifier tight("r{delivery_id}{mac}@bounce.example", {"bounce.example"}, {});
  EXPECT_EQ(KindOf(tight, "r1234567abcde@bounce.example"), RecipientKind::kBounce);
  RecipientClassifier fixed("bounces@bounce.example", {"bounce.example"}, {});
  EXPECT_EQ(KindOf(fixed, "BOUNCES@bounce.example"), RecipientKind::kBounce);
  EXPECT_EQ(KindOf(fixed, "bounces1@bounce.example"), RecipientKind::kRefused);
}

TEST(RecipientTest, FromConfigUsesTheReturnPathsDomainByDefault) {
  auto cfg = config::ParseConfig(
      "[envelope]\nreturn_path = \"bounces+{delivery_id}.{mac}@bounce.platform.example\"\nmac_key_env = \"K\"\n"
      "[inbound]\ncomplaint_addresses = [\"fbl@platform.example\"]\nprotocol = \"lmtp\"\ncommand_timeout_s = 5\n",
      "t.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  RecipientClassifier c = ClassifierFromConfig(*cfg);
  EXPECT_EQ(KindOf(c, "bounces+9.abcdefghij@bounce.platform.example"), RecipientKind::kBounce);
  EXPECT_EQ(KindOf(c, "fbl@platform.example"), RecipientKind::kComplaint);
  RecipientCheck check = c.AsCheck();
  EXPECT_EQ(check("bounces+9.abcdefghij@bounce.platform.example").kind, RecipientKind::kBounce);
  ServerOptions o = ServerOptionsFromConfig(cfg->inbound);
  EXPECT_EQ(o.protocol, Protocol::kLmtp);
  EXPECT_EQ(o.command_timeout, std::chrono::seconds(5));
  EXPECT_EQ(o.max_message_bytes, kDefaultMaxMessageBytes);
  EXPECT_EQ(o.port, 2525);
}

}  // namespace
}  // namespace tayori::inbound
