#include "crypto/primitives.h"

#include "crypto/sha256_stream.h"

#include <gtest/gtest.h>

namespace tayori::crypto {
namespace {

TEST(CryptoTest, Base64Rfc4648Vectors) {
  const std::pair<const char*, const char*> v[] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                                                   {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                                                   {"foobar", "Zm9vYmFy"}};
  for (auto [plain, enc] : v) {
    EXPECT_EQ(Base64Encode(plain), enc);
    auto d = Base64Decode(enc);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(*d, plain);
  }
}

TEST(CryptoTest, Base64RejectsMalformed) {
  EXPECT_FALSE(Base64Decode("Zm9").ok());
  EXPECT_FALSE(Base64Decode("Zm9v YmFy").ok());
  EXPECT_FALSE(Base64Decode("Zh==").ok());  // non-zero padding bits
  EXPECT_FALSE(Base64UrlDecode("ab+c").ok());
}

TEST(CryptoTest, Base64UrlRoundTripWithoutPadding) {
  std::string bytes = "\xfb\xff\xfe";
  EXPECT_EQ(Base64UrlEncode(bytes), "-__-");
  EXPECT_EQ(*Base64UrlDecode("-__-"), bytes);
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(*Base64UrlDecode("Zg"), "f");
}

TEST(CryptoTest, Sha256AndHmacMatchKnownVectors) {
  EXPECT_EQ(HexEncode(AsBytes(Sha256("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2.
  EXPECT_EQ(HexEncode(AsBytes(HmacSha256("Jefe", "what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(CryptoTest, Sha256StreamInPiecesEqualsTheWholeAndResets) {
  Sha256Stream stream;
  stream.Write("The quick brown ");
  stream.Write("");
  stream.Write("fox jumps over the lazy dog");
  EXPECT_EQ(stream.Finish(), Sha256("The quick brown fox jumps over the lazy dog"));
  stream.Reset();
  EXPECT_EQ(HexEncode(AsBytes(stream.Finish())),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");  // SHA-256 of nothing
}

TEST(CryptoTest, ConstantTimeEqual) {
  EXPECT_TRUE(ConstantTimeEqual("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEqual("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEqual("abc", "ab"));
}

TEST(CryptoTest, RandomBytesDiffer) {
  EXPECT_EQ(RandomBytes(16).size(), 16u);
  EXPECT_NE(RandomBytes(16), RandomBytes(16));
}

}  // namespace
}  // namespace tayori::crypto
