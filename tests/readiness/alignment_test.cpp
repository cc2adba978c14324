#include "readiness/alignment.h"

#include <gtest/gtest.h>

namespace tayori::readiness {
namespace {

TEST(AlignmentTest, OrganizationalDomainFollowsThePublicSuffixList) {
  EXPECT_EQ(OrganizationalDomain("example.com"), "example.com");
  EXPECT_EQ(OrganizationalDomain("news.mail.Example.COM."), "example.com");
  EXPECT_EQ(OrganizationalDomain("shop.example.co.jp"), "example.co.jp");
  EXPECT_EQ(OrganizationalDomain("a.b.example.tokyo.jp"), "example.tokyo.jp");
  // Not in the list: the default rule "*" makes the TLD the public suffix.
  EXPECT_EQ(OrganizationalDomain("news.shop.rd1.test"), "rd1.test");
  // A public suffix is its own organizational domain.
  EXPECT_EQ(OrganizationalDomain("co.jp"), "co.jp");
}

TEST(AlignmentTest, StrictNeedsTheSameNameRelaxedTheSameOrganization) {
  EXPECT_TRUE(Aligned("shop.example", "SHOP.example.", AlignmentMode::kStrict));
  EXPECT_FALSE(Aligned("mail.shop.example", "shop.example", AlignmentMode::kStrict));
  EXPECT_TRUE(Aligned("mail.shop.example", "shop.example", AlignmentMode::kRelaxed));
  EXPECT_TRUE(Aligned("bounce.example.co.jp", "news.example.co.jp", AlignmentMode::kRelaxed));
  EXPECT_FALSE(Aligned("other.co.jp", "example.co.jp", AlignmentMode::kRelaxed));
  EXPECT_FALSE(Aligned("bounce.platform.example", "shop.example", AlignmentMode::kRelaxed));
  EXPECT_FALSE(Aligned("", "shop.example", AlignmentMode::kRelaxed));
}

TEST(AlignmentTest, EnvelopeDomainOfTheReturnPathPattern) {
  EXPECT_EQ(EnvelopeDomain("bounces+{delivery_id}.{mac}@Bounce.Platform.example"), "bounce.platform.example");
  EXPECT_EQ(EnvelopeDomain("<a@b.example>"), "b.example");
  EXPECT_EQ(EnvelopeDomain("bounce.example"), "bounce.example");
}

}  // namespace
}  // namespace tayori::readiness
