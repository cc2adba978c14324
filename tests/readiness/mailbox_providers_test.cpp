#include "readiness/mailbox_providers.h"

#include <gtest/gtest.h>

namespace tayori::readiness {
namespace {

TEST(MailboxProvidersTest, ListedDomainsMatchCaseInsensitively) {
  for (const char* d : {"gmail.com", "GoogleMail.com", "yahoo.co.jp", "yahoo.com", "ymail.com", "outlook.com",
                        "hotmail.com", "live.com", "msn.com", "icloud.com", "me.com", "aol.com", "docomo.ne.jp",
                        "ezweb.ne.jp", "au.com", "softbank.ne.jp", "i.softbank.jp", "nifty.com", "gmail.com."})
    EXPECT_TRUE(IsMailboxProviderDomain(d)) << d;
  EXPECT_EQ(FindMailboxProvider("yahoo.co.jp")->provider, "LINE Yahoo");
}

TEST(MailboxProvidersTest, SubdomainsMatchOnlyWhereMailboxesLiveUnderThem) {
  EXPECT_TRUE(IsMailboxProviderDomain("t.vodafone.ne.jp"));
  EXPECT_TRUE(IsMailboxProviderDomain("d.vodafone.ne.jp"));
  EXPECT_FALSE(IsMailboxProviderDomain("news.gmail.com"));
  EXPECT_FALSE(IsMailboxProviderDomain("xvodafone.ne.jp"));
}

TEST(MailboxProvidersTest, ShopDomainsAndLookalikesDoNotMatch) {
  for (const char* d : {"shop.example", "gmail.com.example", "notgmail.com", "mygmail.com", "yahoo.co.jp.shop.example",
                        "softbank.jp", "", "com"})
    EXPECT_FALSE(IsMailboxProviderDomain(d)) << d;
}

}  // namespace
}  // namespace tayori::readiness
