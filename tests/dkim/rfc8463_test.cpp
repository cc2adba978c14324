// RFC 8463 Appendix A: the published Ed25519 key, message and signatures.
// Ed25519 is deterministic, so signing the same header data with the same key
// must reproduce the published b= byte for byte.
#include <gtest/gtest.h>

#include "base/clock.h"
#include "crypto/primitives.h"
#include "crypto/digest_signature.h"
#include "crypto/key.h"
#include "dkim/message.h"
#include "dkim/signature.h"
#include "dkim/signed_data.h"
#include "dkim/tag_list.h"
#include "dkim/verifier.h"
#include "test_util.h"
#include "dkim/key_record.h"

namespace tayori::dkim {
namespace {

// A.1: the Ed25519 private key (the 32-byte seed) and its public key.
constexpr char kEdSeedBase64[] = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
constexpr char kEdPublicBase64[] = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

// A.2: the key records (the RSA key is the 1024-bit one of RFC 6376's era,
// which verifiers must still accept).
constexpr char kEdRecord[] = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
constexpr char kRsaRecord[] =
    "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR"
    "iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC"
    "DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3"
    "Ip3G+2kryOTIKT+l/K4w3QIDAQAB";

// A.3: the signed message.
constexpr char kEdSignatureField[] =
    "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
    " d=football.example.com; i=@football.example.com;\r\n"
    " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
    " subject : date : message-id : from : subject : date;\r\n"
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
    " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n";
constexpr char kRsaSignatureField[] =
    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n"
    " d=football.example.com; i=@football.example.com;\r\n"
    " q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r\n"
    " date : message-id : from : subject : date;\r\n"
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    " b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\r\n"
    " DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\r\n"
    " dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\r\n";
constexpr char kMessage[] =
    "From: Joe SixPack <joe@football.example.com>\r\n"
    "To: Suzie Q <suzie@shopping.example.net>\r\n"
    "Subject: Is dinner ready?\r\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
    "\r\n"
    "Hi.\r\n"
    "\r\n"
    "We lost the game.  Are you hungry yet?\r\n"
    "\r\n"
    "Joe.\r\n";

// The PKCS#8 PEM of a raw Ed25519 seed (RFC 8410 §7: a fixed 16-byte prefix).
std::string SeedToPem(const std::string& seed) {
  const std::string prefix("\x30\x2e\x02\x01\x00\x30\x05\x06\x03\x2b\x65\x70\x04\x22\x04\x20", 16);
  return "-----BEGIN PRIVATE KEY-----\n" + crypto::Base64Encode(prefix + seed) + "\n-----END PRIVATE KEY-----\n";
}

std::shared_ptr<const crypto::PrivateKey> RfcEdKey() {
  auto seed = crypto::Base64Decode(kEdSeedBase64);
  EXPECT_TRUE(seed.ok());
  auto key = crypto::PrivateKey::FromPem(SeedToPem(*seed));
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return *key;
}

TEST(Rfc8463Test, PrivateKeyDerivesThePublishedPublicKeyAndRecord) {
  auto key = RfcEdKey();
  EXPECT_EQ(key->type(), crypto::KeyType::kEd25519);
  EXPECT_EQ(key->PublicKeyBase64(), kEdPublicBase64);
  EXPECT_EQ(dkim::KeyRecordText(*key), kEdRecord);
}

TEST(Rfc8463Test, BodyHashMatchesPublishedBh) {
  auto view = SplitMessage(kMessage);
  ASSERT_TRUE(view.ok());
  Sha256Hasher hasher;
  BodyHash bh = ComputeBodyHash(view->body, Canonicalization::kRelaxed, std::nullopt, &hasher);
  EXPECT_EQ(crypto::Base64Encode(crypto::AsBytes(bh.digest)), "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=");
}

TEST(Rfc8463Test, Ed25519SignatureMatchesPublishedBByteForByte) {
  // Sign the published header data with the published key: the field as
  // published with b= emptied, and the fields h= names picked bottom-up.
  std::string field = std::string(kEdSignatureField);
  field.resize(field.size() - 2);  // the final CRLF is not part of the field
  auto sig = ParseSignatureField(field);
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  std::string without_b = field.substr(0, sig->b_value_begin) + field.substr(sig->b_value_end);
  EXPECT_EQ(without_b.substr(without_b.size() - 5), "\r\n b=");

  auto view = SplitMessage(kMessage);
  ASSERT_TRUE(view.ok());
  StringSink data;
  WriteSignedHeaderData(view->fields, sig->signed_headers, Canonicalization::kRelaxed, without_b, &data);
  EXPECT_EQ(data.data(),
            "from:Joe SixPack <joe@football.example.com>\r\n"
            "to:Suzie Q <suzie@shopping.example.net>\r\n"
            "subject:Is dinner ready?\r\n"
            "date:Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
            "message-id:<20030712040037.46341.5F8J@football.example.com>\r\n"
            "dkim-signature:v=1; a=ed25519-sha256; c=relaxed/relaxed; d=football.example.com; "
            "i=@football.example.com; q=dns/txt; s=brisbane; t=1528637909; h=from : to : subject : date : "
            "message-id : from : subject : date; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=");

  auto b = crypto::SignDigest(*RfcEdKey(), crypto::Sha256(data.data()));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(crypto::Base64Encode(*b),
            "/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11BusFa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==");
  EXPECT_EQ(*b, sig->signature);
}

TEST(Rfc8463Test, PublishedMessageVerifiesUnderBothSignatures) {
  std::string signed_message = std::string(kEdSignatureField) + kRsaSignatureField + kMessage;
  FakeClock clock;
  Verifier verifier(testing::MapLookup({{"brisbane._domainkey.football.example.com", kEdRecord},
                                        {"test._domainkey.football.example.com", kRsaRecord}}),
                    clock);
  auto verdicts = verifier.VerifyAll(signed_message);
  ASSERT_EQ(verdicts.size(), 2u);
  EXPECT_TRUE(verdicts[0].pass()) << verdicts[0].ToString();
  EXPECT_EQ(verdicts[0].algorithm, Algorithm::kEd25519Sha256);
  // The RSA key is 1024 bits: still accepted when verifying (RFC 8301 §3.2).
  EXPECT_TRUE(verdicts[1].pass()) << verdicts[1].ToString();
  EXPECT_EQ(verdicts[1].algorithm, Algorithm::kRsaSha256);
}

TEST(Rfc8463Test, TamperingFailsBothSignatures) {
  std::string signed_message = std::string(kEdSignatureField) + kRsaSignatureField + kMessage;
  FakeClock clock;
  Verifier verifier(testing::MapLookup({{"brisbane._domainkey.football.example.com", kEdRecord},
                                        {"test._domainkey.football.example.com", kRsaRecord}}),
                    clock);
  auto body = signed_message;
  body.replace(body.find("hungry"), 6, "angry!");
  for (const Verdict& v : verifier.VerifyAll(body)) EXPECT_EQ(v.reason, FailureReason::kBodyHashMismatch);
  auto header = signed_message;
  header.replace(header.find("dinner"), 6, "lunch!");
  for (const Verdict& v : verifier.VerifyAll(header)) EXPECT_EQ(v.reason, FailureReason::kSignatureMismatch);
  // h= names From twice: a second From added on top breaks both.
  auto second_from = signed_message;
  second_from.insert(second_from.find("From: Joe"), "From: Mallory <m@evil.example>\r\n");
  for (const Verdict& v : verifier.VerifyAll(second_from)) EXPECT_EQ(v.reason, FailureReason::kSignatureMismatch);
}

}  // namespace
}  // namespace tayori::dkim
