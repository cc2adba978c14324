#include "crypto/seal.h"

#include <gtest/gtest.h>

#include "crypto/primitives.h"
#include "test_util.h"

namespace tayori::crypto {
namespace {

Kek TestKek(const char* id = "kek1", char fill = '\x42') {
  auto k = ParseKek(id, Base64Encode(std::string(32, fill)));
  EXPECT_TRUE(k.ok());
  return *k;
}

// Two different public keys (any base64 will do for the binding).
const std::string kPub1 = Base64Encode("public key one");
const std::string kPub2 = Base64Encode("public key two");

KeyBinding Row(const char* domain = "shop.example", const char* selector = "s1", const std::string& pub = kPub1) {
  return KeyBinding{domain, selector, pub};
}

std::string SealOk(const Kek& kek, const KeyBinding& b, std::string_view plaintext) {
  auto blob = Seal(kek, b, plaintext);
  EXPECT_TRUE(blob.ok()) << blob.status().ToString();
  return blob.ok() ? *blob : std::string();
}

TEST(SealTest, RoundTripAndCiphertextHidesPlaintext) {
  std::string pem = "-----BEGIN PRIVATE KEY-----\nMIIsecretmaterial\n-----END PRIVATE KEY-----\n";
  std::string blob = SealOk(TestKek(), Row(), pem);
  EXPECT_EQ(FormatOf(blob), SealFormat::kTk2);
  EXPECT_EQ(blob.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(blob.find("secretmaterial"), std::string::npos);
  EXPECT_NE(SealOk(TestKek(), Row(), pem), blob) << "nonce must differ";
  auto opened = Open(TestKek(), Row(), blob);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, pem);
}

TEST(SealTest, WrongKekIdOrKeyOrTamperingFails) {
  std::string blob = SealOk(TestKek(), Row(), "secret");
  EXPECT_EQ(Open(TestKek("kek2"), Row(), blob).status().error_class(), ErrorClass::kPermanent);
  EXPECT_EQ(Open(TestKek("kek1", '\x43'), Row(), blob).status().error_class(), ErrorClass::kPermanent);
  std::string tampered = blob;
  tampered[tampered.size() / 2] ^= 1;
  EXPECT_FALSE(Open(TestKek(), Row(), tampered).ok());
  EXPECT_EQ(Open(TestKek(), Row(), "garbage").status().error_class(), ErrorClass::kInvalidInput);
}

TEST(SealTest, ABlobMovedToAnotherKeyRowDoesNotOpen) {
  std::string blob = SealOk(TestKek(), Row("shop.example", "s1", kPub1), "secret");
  for (const KeyBinding& elsewhere : {Row("other.example", "s1", kPub1), Row("shop.example", "s2", kPub1),
                                      Row("shop.example", "s1", kPub2), Row("shop.example.evil", "s1", kPub1)}) {
    auto r = Open(TestKek(), elsewhere, blob);
    ASSERT_FALSE(r.ok()) << elsewhere.domain << " " << elsewhere.selector;
    EXPECT_EQ(r.status().error_class(), ErrorClass::kPermanent);
    EXPECT_NE(r.status().message().find(elsewhere.domain + " selector " + elsewhere.selector), std::string::npos)
        << r.status().message();
    EXPECT_NE(r.status().message().find("moved from another key row"), std::string::npos);
  }
  // DNS names compare without case.
  EXPECT_TRUE(Open(TestKek(), Row("Shop.EXAMPLE", "S1", kPub1), blob).ok());
}

TEST(SealTest, BindingNeedsABase64PublicKey) {
  EXPECT_EQ(Seal(TestKek(), Row("shop.example", "s1", "not base64!"), "x").status().error_class(),
            ErrorClass::kInvalidInput);
  EXPECT_EQ(Seal(TestKek(), Row("shop.example", "s1", ""), "x").status().error_class(), ErrorClass::kInvalidInput);
}

// A blob written by the TK1 code of earlier releases: rsa2048.pem under KEK
// "kek1" = base64 of 32 bytes of 0x42. It opens whatever the binding (TK1
// binds only the KEK id), and only with that KEK.
TEST(SealTest, Tk1BlobsOfEarlierReleasesStillOpen) {
  std::string b64 = dkim::testing::ReadTestFile("rsa2048.pem.tk1.b64");
  while (!b64.empty() && (b64.back() == '\n' || b64.back() == '\r')) b64.pop_back();
  auto blob = Base64Decode(b64);
  ASSERT_TRUE(blob.ok());
  EXPECT_EQ(FormatOf(*blob), SealFormat::kTk1);
  auto pem = Open(TestKek(), Row(), *blob);
  ASSERT_TRUE(pem.ok()) << pem.status().ToString();
  EXPECT_EQ(*pem, dkim::testing::ReadTestFile("rsa2048.pem"));
  EXPECT_TRUE(Open(TestKek(), Row("anything.example", "s9", kPub2), *blob).ok());
  EXPECT_EQ(Open(TestKek("kek2"), Row(), *blob).status().error_class(), ErrorClass::kPermanent);
}

TEST(SealTest, KekMustBe32BytesAndErrorHidesIt) {
  auto r = ParseKek("kek1", Base64Encode("short-secret-value"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().find("short-secret"), std::string::npos);
  EXPECT_FALSE(ParseKek("kek1", "not base64!").ok());
}

}  // namespace
}  // namespace tayori::crypto
