// Opening a key row's sealed key (keys/sealed_keys.h) without a database:
// the KEK it names, the row binding of TK2 blobs, and the check against p=
// that also catches TK1 blobs copied between rows.
#include "keys/sealed_keys.h"

#include <cstdlib>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "crypto/primitives.h"

namespace tayori::keys {
namespace {

std::string ReadTestFile(const std::string& name) {
  std::ifstream in(std::string(TAYORI_DKIM_TESTDATA) + "/" + name, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

crypto::Kek Kek(const char* id, char fill) {
  auto k = crypto::ParseKek(id, crypto::Base64Encode(std::string(32, fill)));
  EXPECT_TRUE(k.ok());
  return *k;
}

std::shared_ptr<const crypto::PrivateKey> NewKey() {
  auto k = crypto::PrivateKey::GenerateRsa(2048);
  EXPECT_TRUE(k.ok());
  return *k;
}

// A key row as the store returns it, sealed for `domain` with `kek`.
store::DomainKeyRow SealedRow(const crypto::Kek& kek, const std::string& domain, const std::string& selector,
                              const crypto::PrivateKey& key) {
  store::DomainKeyRow row;
  row.selector = selector;
  row.public_key = key.PublicKeyBase64();
  row.kek_id = kek.id;
  auto pem = key.ToPem();
  EXPECT_TRUE(pem.ok());
  auto blob = crypto::Seal(kek, BindingOf(domain, row), *pem);
  EXPECT_TRUE(blob.ok()) << blob.status().ToString();
  row.private_key_sealed = *blob;
  return row;
}

TEST(SealedKeysTest, LoadsEveryKekWithTheActiveOneFirst) {
  ::setenv("TAYORI_TEST_SK_K1", crypto::Base64Encode(std::string(32, '\x01')).c_str(), 1);
  ::setenv("TAYORI_TEST_SK_K2", crypto::Base64Encode(std::string(32, '\x02')).c_str(), 1);
  config::Dkim d;
  d.keks = {{"old", "TAYORI_TEST_SK_K1"}, {"new", "TAYORI_TEST_SK_K2"}};
  d.active_kek_id = "new";
  auto keks = LoadKeks(d);
  ASSERT_TRUE(keks.ok()) << keks.status().ToString();
  ASSERT_EQ(keks->size(), 2u);
  EXPECT_EQ((*keks)[0].id, "new");
  EXPECT_EQ((*keks)[0].bytes, std::string(32, '\x02'));
  EXPECT_EQ((*keks)[1].id, "old");

  ::setenv("TAYORI_TEST_SK_K1", "c2hvcnQtc2VjcmV0", 1);  // "short-secret"
  auto bad = LoadKeks(d);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().error_class(), ErrorClass::kConfig);
  EXPECT_EQ(bad.status().message().find("c2hvcnQtc2VjcmV0"), std::string::npos);
  ::unsetenv("TAYORI_TEST_SK_K1");
  bad = LoadKeks(d);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("dkim.keks[old].secret_env"), std::string::npos) << bad.status().message();
}

TEST(SealedKeysTest, OpensARowWithTheKekItNamesAndChecksPublicKey) {
  crypto::Kek k1 = Kek("kek1", 'a'), k2 = Kek("kek2", 'b');
  auto key = NewKey();
  store::DomainKeyRow row = SealedRow(k1, "shop.example", "s1", *key);
  auto opened = OpenDomainKey({k2, k1}, "shop.example", row);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->key->PublicKeyBase64(), row.public_key);
  crypto::KeyCache cache;
  EXPECT_TRUE(OpenDomainKey({k1}, "shop.example", row, &cache).ok());
  EXPECT_EQ(cache.stats().misses, 1u);

  auto missing = OpenDomainKey({k2}, "shop.example", row);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().error_class(), ErrorClass::kPermanent);
  EXPECT_EQ(missing.status().message(),
            "key of shop.example selector s1 is sealed with KEK 'kek1', which is not configured (dkim.keks)");
}

TEST(SealedKeysTest, ABlobCopiedIntoAnotherDomainsRowIsRefused) {
  crypto::Kek k1 = Kek("kek1", 'a');
  auto key_a = NewKey(), key_b = NewKey();
  store::DomainKeyRow a = SealedRow(k1, "a.example", "s1", *key_a);
  store::DomainKeyRow b = SealedRow(k1, "b.example", "s1", *key_b);
  // The blob alone, and the blob with its p=: neither opens in b's row.
  store::DomainKeyRow copied = b;
  copied.private_key_sealed = a.private_key_sealed;
  for (const store::DomainKeyRow& row : {copied, a}) {
    auto r = OpenDomainKey({k1}, "b.example", row);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().error_class(), ErrorClass::kPermanent);
    EXPECT_NE(r.status().message().find("b.example selector s1"), std::string::npos) << r.status().message();
  }
}

// A TK1 blob of an earlier release (rsa2048.pem under "kek1" = 32 x 0x42)
// carries no binding: it opens in any row, and the p= check is what refuses
// it in a row whose public key is another one.
TEST(SealedKeysTest, Tk1BlobsOpenOnlyBesideTheirOwnPublicKey) {
  std::string b64 = ReadTestFile("rsa2048.pem.tk1.b64");
  while (!b64.empty() && (b64.back() == '\n' || b64.back() == '\r')) b64.pop_back();
  auto blob = crypto::Base64Decode(b64);
  ASSERT_TRUE(blob.ok());
  auto legacy_key = crypto::PrivateKey::FromPem(ReadTestFile("rsa2048.pem"));
  ASSERT_TRUE(legacy_key.ok());
  store::DomainKeyRow row;
  row.selector = "s1";
  row.kek_id = "kek1";
  row.private_key_sealed = *blob;
  row.public_key = (*legacy_key)->PublicKeyBase64();
  EXPECT_TRUE(OpenDomainKey({Kek("kek1", '\x42')}, "old.example", row).ok());
  row.public_key = NewKey()->PublicKeyBase64();
  auto r = OpenDomainKey({Kek("kek1", '\x42')}, "old.example", row);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "key of old.example selector s1 does not match its public key (p=): the sealed key belongs to another "
            "key row");
}

}  // namespace
}  // namespace tayori::keys
