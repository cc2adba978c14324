#include "crypto/key.h"

#include <gtest/gtest.h>

#include <thread>

#include "crypto/primitives.h"
#include "dkim/key_record.h"
#include "test_util.h"

namespace tayori::dkim {
namespace {

TEST(KeyTest, RefusesToGenerateRsaBelow2048Bits) {
  auto weak = crypto::PrivateKey::GenerateRsa(1024);
  ASSERT_FALSE(weak.ok());
  EXPECT_EQ(weak.status().error_class(), ErrorClass::kInvalidInput);
  EXPECT_NE(weak.status().message().find("at least 2048"), std::string::npos);
  EXPECT_FALSE(crypto::PrivateKey::GenerateRsa(2047).ok());
  EXPECT_FALSE(crypto::PrivateKey::GenerateRsa(16384).ok());
}

TEST(KeyTest, GeneratesRsa2048AndItsRecord) {
  auto key = crypto::PrivateKey::GenerateRsa();
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ((*key)->type(), crypto::KeyType::kRsa);
  EXPECT_EQ((*key)->bits(), 2048);
  std::string txt = dkim::KeyRecordText(*(*key));
  EXPECT_EQ(txt.rfind("v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA", 0), 0u);
  // The record parses back into the same public key.
  auto record = ParseKeyRecord(txt);
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  EXPECT_EQ(record->key->bits(), 2048);
}

TEST(KeyTest, GeneratesEd25519WithRawPublicKeyRecord) {
  auto key = crypto::PrivateKey::GenerateEd25519();
  ASSERT_TRUE(key.ok());
  EXPECT_EQ((*key)->type(), crypto::KeyType::kEd25519);
  EXPECT_EQ((*key)->PublicKeyBase64().size(), 44u);  // 32 bytes, RFC 8463 §4.2
  EXPECT_EQ(dkim::KeyRecordText(*(*key)).rfind("v=DKIM1; k=ed25519; p=", 0), 0u);
}

TEST(KeyTest, PemRoundTripIsPkcs8AndKeepsTheKey) {
  for (auto gen : {+[] { return crypto::PrivateKey::GenerateRsa(); }, +[] { return crypto::PrivateKey::GenerateEd25519(); }}) {
    auto key = gen();
    ASSERT_TRUE(key.ok());
    auto pem = (*key)->ToPem();
    ASSERT_TRUE(pem.ok());
    EXPECT_EQ(pem->rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u);
    auto back = crypto::PrivateKey::FromPem(*pem);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ((*back)->type(), (*key)->type());
    EXPECT_EQ((*back)->PublicKeyBase64(), (*key)->PublicKeyBase64());
    EXPECT_EQ(*(*back)->ToPem(), *pem);
  }
}

TEST(KeyTest, LoadsA1024BitKeyButReportsItsSize) {
  auto key = crypto::PrivateKey::FromPem(testing::ReadTestFile("rsa1024.pem"));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ((*key)->bits(), 1024);
}

TEST(KeyTest, RejectsGarbagePem) {
  auto bad = crypto::PrivateKey::FromPem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().error_class(), ErrorClass::kInvalidInput);
  EXPECT_FALSE(crypto::PrivateKey::FromPem("").ok());
}

// A key row names its algorithm, so the engine reads the key as that type:
// the same key as the general reader gives, PKCS#1 too, and a key of the
// other type is refused by name.
TEST(KeyTest, ReadsAKeyOfAKnownTypeAndRefusesTheOtherType) {
  for (auto [file, type] : {std::pair{"rsa2048.pem", crypto::KeyType::kRsa}, std::pair{"ed25519.pem", crypto::KeyType::kEd25519}}) {
    std::string pem = testing::ReadTestFile(file);
    auto any = crypto::PrivateKey::FromPem(pem);
    auto typed = crypto::PrivateKey::FromPem(pem, type);
    ASSERT_TRUE(any.ok() && typed.ok()) << file << ": " << typed.status().ToString();
    EXPECT_EQ((*typed)->type(), type);
    EXPECT_EQ((*typed)->PublicKeyBase64(), (*any)->PublicKeyBase64());
    auto other = crypto::PrivateKey::FromPem(pem, type == crypto::KeyType::kRsa ? crypto::KeyType::kEd25519
                                                                                : crypto::KeyType::kRsa);
    ASSERT_FALSE(other.ok()) << file;
    EXPECT_EQ(other.status().error_class(), ErrorClass::kInvalidInput);
    EXPECT_NE(other.status().message().find("expected"), std::string::npos) << other.status().message();
  }
  // The older PKCS#1 form ("RSA PRIVATE KEY"), as OpenDKIM installations keep.
  auto key = crypto::PrivateKey::FromPem(testing::ReadTestFile("rsa2048.pem"));
  ASSERT_TRUE(key.ok());
  std::string pkcs1 = testing::ReadTestFile("rsa2048.pkcs1.pem");
  ASSERT_EQ(pkcs1.rfind("-----BEGIN RSA PRIVATE KEY-----", 0), 0u);
  auto typed = crypto::PrivateKey::FromPem(pkcs1, crypto::KeyType::kRsa);
  ASSERT_TRUE(typed.ok()) << typed.status().ToString();
  EXPECT_EQ((*typed)->PublicKeyBase64(), (*key)->PublicKeyBase64());
  auto garbage = crypto::PrivateKey::FromPem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                                             crypto::KeyType::kRsa);
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().error_class(), ErrorClass::kInvalidInput);
}

// Each thread reuses one decoder per type: keys read one after another, with
// failures between them, come out each as itself.
TEST(KeyTest, KeysReadOneAfterAnotherOnOneThreadAreEachThemselves) {
  std::vector<std::shared_ptr<const crypto::PrivateKey>> made;
  for (int i = 0; i < 3; ++i) {
    auto k = crypto::PrivateKey::GenerateRsa();
    ASSERT_TRUE(k.ok());
    made.push_back(*k);
  }
  std::string garbage = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
  std::string ed = testing::ReadTestFile("ed25519.pem");
  for (int round = 0; round < 2; ++round) {
    for (const auto& k : made) {
      auto pem = k->ToPem();
      ASSERT_TRUE(pem.ok());
      EXPECT_FALSE(crypto::PrivateKey::FromPem(garbage, crypto::KeyType::kRsa).ok());
      EXPECT_FALSE(crypto::PrivateKey::FromPem(ed, crypto::KeyType::kRsa).ok());
      auto read = crypto::PrivateKey::FromPem(*pem, crypto::KeyType::kRsa);
      ASSERT_TRUE(read.ok()) << read.status().ToString();
      EXPECT_EQ((*read)->PublicKeyBase64(), k->PublicKeyBase64());
    }
  }
  // And on another thread, with its own decoders.
  std::thread other([&] {
    auto pem = made[1]->ToPem();
    auto read = crypto::PrivateKey::FromPem(*pem, crypto::KeyType::kRsa);
    ASSERT_TRUE(read.ok());
    EXPECT_EQ((*read)->PublicKeyBase64(), made[1]->PublicKeyBase64());
  });
  other.join();
}

// The check of a loaded key against its row's p=: its own public half, in
// the bytes the record publishes, and nothing else.
TEST(KeyTest, HasPublicKeyIsTrueForItsOwnPublicHalfOnly) {
  auto rsa = crypto::PrivateKey::FromPem(testing::ReadTestFile("rsa2048.pem"));
  auto other = crypto::PrivateKey::GenerateRsa();
  auto ed = crypto::PrivateKey::FromPem(testing::ReadTestFile("ed25519.pem"));
  auto ed_other = crypto::PrivateKey::GenerateEd25519();
  ASSERT_TRUE(rsa.ok() && other.ok() && ed.ok() && ed_other.ok());
  auto bytes = [](const crypto::PrivateKey& k) { return *crypto::Base64Decode(k.PublicKeyBase64()); };
  EXPECT_TRUE((*rsa)->HasPublicKey(bytes(**rsa)));
  EXPECT_FALSE((*rsa)->HasPublicKey(bytes(**other)));
  EXPECT_TRUE((*other)->HasPublicKey(bytes(**other)));
  EXPECT_FALSE((*rsa)->HasPublicKey(bytes(**ed)));
  EXPECT_FALSE((*rsa)->HasPublicKey(""));
  EXPECT_FALSE((*rsa)->HasPublicKey(bytes(**rsa).substr(0, 100)));
  EXPECT_FALSE((*rsa)->HasPublicKey(bytes(**rsa) + "x"));  // bytes after the key
  EXPECT_FALSE((*rsa)->HasPublicKey(bytes(**rsa) + bytes(**rsa)));
  EXPECT_FALSE((*ed)->HasPublicKey(bytes(**ed) + "x"));
  EXPECT_TRUE((*ed)->HasPublicKey(bytes(**ed)));
  EXPECT_FALSE((*ed)->HasPublicKey(bytes(**ed_other)));
  EXPECT_FALSE((*ed)->HasPublicKey(bytes(**rsa)));
}

TEST(KeyTest, SplitsTxtValueInto255ByteStrings) {
  auto key = crypto::PrivateKey::GenerateRsa();
  ASSERT_TRUE(key.ok());
  std::string txt = dkim::KeyRecordText(*(*key));
  EXPECT_EQ(txt.size(), 410u);  // 2048-bit key: 2 strings (stack.md §4)
  auto parts = crypto::SplitTxtValue(txt);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].size(), 255u);
  EXPECT_EQ(parts[1].size(), 155u);
  EXPECT_EQ(parts[0] + parts[1], txt);
  EXPECT_EQ(crypto::SplitTxtValue(std::string(510, 'a')).size(), 2u);
  EXPECT_EQ(crypto::SplitTxtValue(std::string(511, 'a')).size(), 3u);
  EXPECT_EQ(crypto::SplitTxtValue("").size(), 1u);
  EXPECT_EQ(crypto::SplitTxtValue("abcdefg", 3), (std::vector<std::string>{"abc", "def", "g"}));
}

TEST(KeyTest, PublicKeyAccepts1024ButNotSmaller) {
  auto k1024 = crypto::PrivateKey::FromPem(testing::ReadTestFile("rsa1024.pem"));
  ASSERT_TRUE(k1024.ok());
  auto record = ParseKeyRecord(dkim::KeyRecordText(*(*k1024)));
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  EXPECT_EQ(record->key->bits(), 1024);
  // A 512-bit key (SubjectPublicKeyInfo) is refused.
  auto small = ParseKeyRecord(
      "v=DKIM1; p=MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAN7D3uz0sGbhtGgJ2bJbUzNij0b8hFqB2r2Lc6YW7p5gdn5T+ou37CxYz/"
      "cC6c9AAPd6j6jq2cm4weqBlkpaolcCAwEAAQ==");
  ASSERT_FALSE(small.ok());
  EXPECT_NE(small.status().message().find("512 bits"), std::string::npos);
}

}  // namespace
}  // namespace tayori::dkim
