#include "http/form.h"

#include <gtest/gtest.h>

namespace tayori::http {
namespace {

std::vector<FormField> Fields(std::initializer_list<std::pair<const char*, const char*>> l) {
  std::vector<FormField> out;
  for (auto& [n, v] : l) out.push_back({n, v});
  return out;
}

TEST(UrlEncodedFormTest, ParsesTheOneClickBody) {
  auto f = ParseUrlEncodedForm("List-Unsubscribe=One-Click");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f, Fields({{"List-Unsubscribe", "One-Click"}}));
  EXPECT_TRUE(IsOneClickUnsubscribe(*f));
}

TEST(UrlEncodedFormTest, DecodesPlusAndEscapesAndIgnoresEmptyPairs) {
  auto f = ParseUrlEncodedForm("a=1+2&&b=%41%42&c&List-Unsubscribe=One-Click\r\n");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f, Fields({{"a", "1 2"}, {"b", "AB"}, {"c", ""}, {"List-Unsubscribe", "One-Click"}}));
  EXPECT_TRUE(ParseUrlEncodedForm("").ok());
}

TEST(UrlEncodedFormTest, RejectsBadEscapesAndTooManyFields) {
  EXPECT_FALSE(ParseUrlEncodedForm("a=%G1").ok());
  EXPECT_FALSE(ParseUrlEncodedForm("a=%4").ok());
  std::string many;
  for (size_t i = 0; i <= kMaxFields; ++i) many += "a=b&";
  EXPECT_FALSE(ParseUrlEncodedForm(many).ok());
}

TEST(OneClickTest, NeedsTheExactNameAndValue) {
  EXPECT_FALSE(IsOneClickUnsubscribe(Fields({{"List-Unsubscribe", "one-click"}})));
  EXPECT_FALSE(IsOneClickUnsubscribe(Fields({{"list-unsubscribe", "One-Click"}})));
  EXPECT_FALSE(IsOneClickUnsubscribe({}));
  EXPECT_TRUE(IsOneClickUnsubscribe(Fields({{"x", "y"}, {"List-Unsubscribe", "One-Click"}})));
}

TEST(MediaTypeTest, LowerCasesTypeAndParamNamesAndUnquotesValues) {
  auto mt = ParseMediaType(" Multipart/Form-Data ; Boundary=\"a b\\\"c\"; charset=utf-8; ");
  ASSERT_TRUE(mt.ok()) << mt.status().ToString();
  EXPECT_EQ(mt->type, "multipart/form-data");
  EXPECT_EQ(mt->Param("boundary"), "a b\"c");
  EXPECT_EQ(mt->Param("charset"), "utf-8");
  EXPECT_FALSE(ParseMediaType("text").ok());
  EXPECT_FALSE(ParseMediaType("text/plain; x").ok());
  EXPECT_FALSE(ParseMediaType("text/plain; x=\"open").ok());
}

constexpr char kMultipart[] =
    "preamble\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"List-Unsubscribe\"\r\n"
    "\r\n"
    "One-Click\r\n"
    "--XyZ\r\n"
    "content-disposition: form-data; name=other; filename=\"x.txt\"\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "line1\r\nline2\r\n"
    "--XyZ--\r\n"
    "epilogue";

TEST(MultipartFormTest, ParsesPartsByName) {
  auto f = ParseMultipartForm(kMultipart, "XyZ");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(*f, Fields({{"List-Unsubscribe", "One-Click"}, {"other", "line1\r\nline2"}}));
  EXPECT_TRUE(IsOneClickUnsubscribe(*f));
}

TEST(MultipartFormTest, RejectsBrokenBodies) {
  EXPECT_FALSE(ParseMultipartForm(kMultipart, "").ok());
  EXPECT_FALSE(ParseMultipartForm(kMultipart, "other").ok());
  EXPECT_FALSE(ParseMultipartForm("--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nvalue", "XyZ").ok());
  EXPECT_FALSE(ParseMultipartForm("--XyZ\r\nContent-Type: text/plain\r\n\r\nv\r\n--XyZ--", "XyZ").ok());
  EXPECT_FALSE(ParseMultipartForm("--XyZ\r\nContent-Disposition: attachment; name=a\r\n\r\nv\r\n--XyZ--", "XyZ").ok());
  EXPECT_FALSE(ParseMultipartForm("--XyZ\r\nContent-Disposition: form-data\r\n\r\nv\r\n--XyZ--", "XyZ").ok());
  EXPECT_FALSE(ParseMultipartForm("--XyZ", "XyZ").ok());
  EXPECT_TRUE(ParseMultipartForm("--XyZ--", "XyZ").ok());
}

TEST(ParseFormTest, SaysWhetherTheTypeOrTheBodyIsWrong) {
  FormError why;
  EXPECT_TRUE(ParseForm("application/x-www-form-urlencoded; charset=UTF-8", "List-Unsubscribe=One-Click", &why).ok());
  EXPECT_EQ(why, FormError::kNone);
  EXPECT_FALSE(ParseForm("", "List-Unsubscribe=One-Click", &why).ok());
  EXPECT_EQ(why, FormError::kUnsupportedMediaType);
  EXPECT_FALSE(ParseForm("text/plain", "List-Unsubscribe=One-Click", &why).ok());
  EXPECT_EQ(why, FormError::kUnsupportedMediaType);
  EXPECT_FALSE(ParseForm("application/json", "{}", &why).ok());
  EXPECT_EQ(why, FormError::kUnsupportedMediaType);
  EXPECT_FALSE(ParseForm("application/x-www-form-urlencoded", "a=%zz", &why).ok());
  EXPECT_EQ(why, FormError::kMalformed);
  EXPECT_FALSE(ParseForm("multipart/form-data", kMultipart, &why).ok());  // no boundary
  EXPECT_EQ(why, FormError::kMalformed);
  auto f = ParseForm("multipart/form-data; boundary=XyZ", kMultipart, &why);
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(IsOneClickUnsubscribe(*f));
}

}  // namespace
}  // namespace tayori::http
