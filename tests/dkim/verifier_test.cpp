#include "dkim/verifier.h"

#include <gtest/gtest.h>

#include "crypto/primitives.h"
#include "crypto/digest_signature.h"
#include "dkim/signature.h"
#include "dkim/signed_data.h"
#include "dkim/signer.h"
#include "test_util.h"
#include "dkim/key_record.h"

namespace tayori::dkim {
namespace {

constexpr char kMessage[] =
    "From: news@shop.example\r\n"
    "To: user@example.net\r\n"
    "Subject: hello\r\n"
    "\r\n"
    "Line one\r\n"
    "Line two\r\n";

class VerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rsa_ = testing::LoadKey("rsa2048.pem");
    records_ = {{"s1._domainkey.shop.example", dkim::KeyRecordText(*rsa_)}};
  }
  std::string SignedMessage() {
    auto signer = SignerBuilder().Domain("shop.example").Selector("s1").Key(rsa_).UseClock(clock_).Build();
    EXPECT_TRUE(signer.ok());
    return *signer->Sign(kMessage);
  }
  // Signs `message` under a hand-written tag list (with "b=" last and empty),
  // for tags the Signer never writes (l=, i=).
  std::string SignWithTags(const std::string& tags, const std::string& message) {
    std::string field = "DKIM-Signature: " + tags;
    auto sig = ParseSignatureField(field + "AAAA");
    EXPECT_TRUE(sig.ok()) << sig.status().ToString();
    auto view = SplitMessage(message);
    Sha256Hasher hasher;
    WriteSignedHeaderData(view->fields, sig->signed_headers, sig->header_canon, field, &hasher);
    auto b = crypto::SignDigest(*rsa_, hasher.Finish());
    return field + crypto::Base64Encode(*b) + "\r\n" + message;
  }
  std::string BodyHashTag(const std::string& message, std::optional<uint64_t> limit) {
    auto view = SplitMessage(message);
    Sha256Hasher hasher;
    auto bh = ComputeBodyHash(view->body, Canonicalization::kSimple, limit, &hasher);
    return crypto::Base64Encode(crypto::AsBytes(bh.digest));
  }
  Verdict Verify(const std::string& m) { return Verifier(testing::MapLookup(records_), clock_).Verify(m); }

  FakeClock clock_;
  std::shared_ptr<const crypto::PrivateKey> rsa_;
  std::map<std::string, std::string> records_;
};

TEST_F(VerifierTest, PassesAndNamesTheSigner) {
  Verdict v = Verify(SignedMessage());
  EXPECT_TRUE(v.pass()) << v.ToString();
  EXPECT_EQ(v.ToString(), "pass d=shop.example s=s1 a=rsa-sha256");
}

TEST_F(VerifierTest, NoSignature) {
  Verdict v = Verify(kMessage);
  EXPECT_EQ(v.status, VerifyStatus::kPermError);
  EXPECT_EQ(v.reason, FailureReason::kNoSignature);
}

TEST_F(VerifierTest, RevokedKeyIsAPermanentError) {
  records_["s1._domainkey.shop.example"] = "v=DKIM1; k=rsa; p=";
  Verdict v = Verify(SignedMessage());
  EXPECT_EQ(v.status, VerifyStatus::kPermError);
  EXPECT_EQ(v.reason, FailureReason::kKeyRevoked);
}

TEST_F(VerifierTest, MissingKeyAndFailedLookupAreTold) {
  std::string m = SignedMessage();
  records_.clear();
  EXPECT_EQ(Verify(m).reason, FailureReason::kKeyNotFound);
  Verifier flaky([](std::string_view) -> Result<std::string> { return Transient("SERVFAIL"); }, clock_);
  Verdict v = flaky.Verify(m);
  EXPECT_EQ(v.status, VerifyStatus::kTempError);
  EXPECT_EQ(v.reason, FailureReason::kKeyUnavailable);
  EXPECT_EQ(v.detail, "SERVFAIL");
}

TEST_F(VerifierTest, KeyRecordProblems) {
  std::string m = SignedMessage();
  records_["s1._domainkey.shop.example"] = dkim::KeyRecordText(*testing::LoadKey("ed25519.pem"));
  EXPECT_EQ(Verify(m).reason, FailureReason::kKeyTypeMismatch);
  records_["s1._domainkey.shop.example"] = "v=DKIM1; k=dsa; p=AAAA";
  Verdict unknown = Verify(m);
  EXPECT_EQ(unknown.reason, FailureReason::kKeyInvalid);
  EXPECT_NE(unknown.detail.find("unknown key type k=dsa"), std::string::npos);
  records_["s1._domainkey.shop.example"] = "v=DKIM1; k=rsa; p=!!!";
  EXPECT_EQ(Verify(m).reason, FailureReason::kKeyInvalid);
  records_["s1._domainkey.shop.example"] = "k=rsa; v=DKIM1; p=AAAA";
  EXPECT_NE(Verify(m).detail.find("v= must be the first tag"), std::string::npos);
  records_["s1._domainkey.shop.example"] = "v=DKIM1; h=sha1; p=AAAA";
  EXPECT_NE(Verify(m).detail.find("does not allow sha256"), std::string::npos);
  // A different valid key: the signature does not verify.
  records_["s1._domainkey.shop.example"] = dkim::KeyRecordText(*crypto::PrivateKey::GenerateRsa().value());
  EXPECT_EQ(Verify(m).reason, FailureReason::kSignatureMismatch);
}

TEST_F(VerifierTest, MalformedAndUnsupportedSignaturesAreTold) {
  std::string m = SignedMessage();
  std::string dup = m;
  dup.insert(dup.find("d=shop.example;"), "d=shop.example; ");
  Verdict v = Verify(dup);
  EXPECT_EQ(v.reason, FailureReason::kMalformedSignature);
  EXPECT_NE(v.detail.find("duplicate tag 'd'"), std::string::npos);
  std::string sha1 = m;
  sha1.replace(sha1.find("a=rsa-sha256"), 12, "a=rsa-sha1");
  EXPECT_EQ(Verify(sha1).reason, FailureReason::kUnsupported);
  EXPECT_EQ(Verify("DKIM-Signature: v=1\r\nbroken line\r\n\r\n").reason, FailureReason::kMalformedMessage);
}

TEST_F(VerifierTest, BodyLengthLimitCoversOnlyThatManyBytes) {
  std::string tags = "v=1; a=rsa-sha256; c=simple/simple; d=shop.example; s=s1; h=from:to:subject; l=10; bh=" +
                     BodyHashTag(kMessage, 10) + "; b=";
  std::string m = SignWithTags(tags, kMessage);
  EXPECT_TRUE(Verify(m).pass()) << Verify(m).ToString();
  // Text appended after the first l= bytes does not break it (why l= is risky)...
  EXPECT_TRUE(Verify(m + "appended\r\n").pass());
  // ...but a change inside them does.
  std::string changed = m;
  changed.replace(changed.find("Line one"), 8, "Line 1!!");
  EXPECT_EQ(Verify(changed).reason, FailureReason::kBodyHashMismatch);
  std::string too_long = "v=1; a=rsa-sha256; d=shop.example; s=s1; h=from; l=1000; bh=" + BodyHashTag(kMessage, 1000) +
                         "; b=";
  EXPECT_EQ(Verify(SignWithTags(too_long, kMessage)).reason, FailureReason::kBodyTooShort);
}

TEST_F(VerifierTest, StrictKeyRefusesSubdomainIdentity) {
  std::string tags = "v=1; a=rsa-sha256; d=shop.example; s=s1; i=@news.shop.example; h=from; bh=" +
                     BodyHashTag(kMessage, std::nullopt) + "; b=";
  std::string m = SignWithTags(tags, kMessage);
  EXPECT_TRUE(Verify(m).pass()) << Verify(m).ToString();
  records_["s1._domainkey.shop.example"] = dkim::KeyRecordText(*rsa_) + "; t=s";
  EXPECT_EQ(Verify(m).reason, FailureReason::kIdentityMismatch);
}

TEST_F(VerifierTest, VerifyReturnsThePassingSignatureAmongSeveral) {
  std::string m = SignedMessage();
  std::string broken_first =
      "DKIM-Signature: v=1; a=rsa-sha256; d=other.example; s=x; h=from; bh=" + BodyHashTag(kMessage, std::nullopt) +
      "; b=AAAA\r\n" + m;
  auto all = Verifier(testing::MapLookup(records_), clock_).VerifyAll(broken_first);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].reason, FailureReason::kKeyNotFound);
  EXPECT_TRUE(Verify(broken_first).pass());
}

}  // namespace
}  // namespace tayori::dkim
