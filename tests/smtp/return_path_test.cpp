#include "smtp/return_path.h"

#include <gtest/gtest.h>

namespace tayori::smtp {
namespace {

TEST(ReturnPathTest, FillsDeliveryIdAndMac) {
  ReturnPath rp("bounces+{delivery_id}.{mac}@bounce.platform.example", "secret");
  std::string a = rp.For(12345);
  ASSERT_EQ(a.rfind("bounces+12345.", 0), 0u) << a;
  std::string mac = a.substr(14, 10);
  EXPECT_EQ(a.substr(24), "@bounce.platform.example");
  EXPECT_TRUE(rp.Verify(12345, mac));
  EXPECT_FALSE(rp.Verify(12346, mac));
  EXPECT_EQ(rp.For(12345), a);  // deterministic
  EXPECT_NE(ReturnPath("b+{delivery_id}.{mac}@x.example", "other").For(12345).substr(8), a.substr(14));
}

TEST(ReturnPathTest, PatternWithoutMac) {
  EXPECT_EQ(ReturnPath("b+{delivery_id}@x.example", "").For(7), "b+7@x.example");
  EXPECT_EQ(ReturnPath("fixed@x.example", "").For(7), "fixed@x.example");
}

}  // namespace
}  // namespace tayori::smtp
