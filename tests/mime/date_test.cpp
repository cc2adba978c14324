#include "mime/date.h"

#include <gtest/gtest.h>

#include "mime/message_id.h"

namespace tayori::mime {
namespace {

SysTime At(int64_t unix_seconds) { return SysTime(std::chrono::seconds(unix_seconds)); }

TEST(DateTest, Rfc5322Form) {
  EXPECT_EQ(FormatDate(At(0)), "Thu, 1 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(FormatDate(At(1739406600), 540), "Thu, 13 Feb 2025 09:30:00 +0900");
  EXPECT_EQ(FormatDate(At(1709164800)), "Thu, 29 Feb 2024 00:00:00 +0000");
  EXPECT_EQ(FormatDate(At(1709164799), -300), "Wed, 28 Feb 2024 18:59:59 -0500");
  EXPECT_EQ(FormatDate(At(4102444800)), "Fri, 1 Jan 2100 00:00:00 +0000");
}

TEST(MessageIdTest, RandomHexAtDomain) {
  std::string r(16, '\0');
  for (int i = 0; i < 16; ++i) r[i] = static_cast<char>(i * 17);
  EXPECT_EQ(MakeMessageId(r, "xn--wgv71a.example"), "<00112233445566778899aabbccddeeff@xn--wgv71a.example>");
}

}  // namespace
}  // namespace tayori::mime
