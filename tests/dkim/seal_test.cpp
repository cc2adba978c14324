#include "dkim/seal.h"

#include <gtest/gtest.h>

#include "dkim/crypto.h"

namespace tayori::crypto {
namespace {

Kek TestKek(const char* id = "kek1") {
  auto k = ParseKek(id, Base64Encode(std::string(32, '\x42')));
  EXPECT_TRUE(k.ok());
  return *k;
}

TEST(SealTest, RoundTripAndCiphertextHidesPlaintext) {
  std::string pem = "-----BEGIN PRIVATE KEY-----\nMIIsecretmaterial\n-----END PRIVATE KEY-----\n";
  std::string blob = Seal(TestKek(), pem);
  EXPECT_EQ(blob.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(blob.find("secretmaterial"), std::string::npos);
  EXPECT_NE(Seal(TestKek(), pem), blob) << "nonce must differ";
  auto opened = Open(TestKek(), blob);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, pem);
}

TEST(SealTest, WrongKekIdOrKeyOrTamperingFails) {
  std::string blob = Seal(TestKek(), "secret");
  EXPECT_EQ(Open(TestKek("kek2"), blob).status().error_class(), ErrorClass::kPermanent);
  auto other = ParseKek("kek1", Base64Encode(std::string(32, '\x43')));
  EXPECT_FALSE(Open(*other, blob).ok());
  std::string tampered = blob;
  tampered[tampered.size() / 2] ^= 1;
  EXPECT_FALSE(Open(TestKek(), tampered).ok());
  EXPECT_EQ(Open(TestKek(), "garbage").status().error_class(), ErrorClass::kInvalidInput);
}

TEST(SealTest, KekMustBe32BytesAndErrorHidesIt) {
  auto r = ParseKek("kek1", Base64Encode("short-secret-value"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().find("short-secret"), std::string::npos);
  EXPECT_FALSE(ParseKek("kek1", "not base64!").ok());
}

}  // namespace
}  // namespace tayori::crypto
