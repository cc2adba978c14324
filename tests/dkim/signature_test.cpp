#include "dkim/signature.h"

#include <gtest/gtest.h>

namespace tayori::dkim {
namespace {

constexpr char kBh[] = "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=";

std::string Field(const std::string& tags) { return "DKIM-Signature: " + tags; }
std::string Valid(const std::string& extra = "") {
  return Field("v=1; a=rsa-sha256; d=shop.example; s=s1; h=from:to; bh=" + std::string(kBh) + "; b=AAAA" + extra);
}

TEST(SignatureTest, ParsesRequiredAndOptionalTags) {
  auto sig = ParseSignatureField(
      Field("v=1; a=ed25519-sha256; c=relaxed/simple; d=shop.example; s=s1;\r\n t=100; x=200; l=5; q=dns/txt;"
            " i=news@mail.shop.example; h=From : To:\r\n SUBJECT; bh=" +
            std::string(kBh) + "; b=AA\r\n AA"));
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  EXPECT_EQ(sig->algorithm, Algorithm::kEd25519Sha256);
  EXPECT_EQ(sig->header_canon, Canonicalization::kRelaxed);
  EXPECT_EQ(sig->body_canon, Canonicalization::kSimple);
  EXPECT_EQ(sig->signed_headers, (std::vector<std::string>{"from", "to", "subject"}));
  EXPECT_EQ(sig->timestamp, 100);
  EXPECT_EQ(sig->expiry, 200);
  EXPECT_EQ(sig->body_length, 5u);
  EXPECT_EQ(sig->signature, std::string("\0\0\0", 3));
  EXPECT_EQ(sig->body_hash.size(), 32u);
}

TEST(SignatureTest, DefaultsToSimpleSimpleAndHeaderOnlyCMeansSimpleBody) {
  auto sig = ParseSignatureField(Valid());
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->header_canon, Canonicalization::kSimple);
  EXPECT_EQ(sig->body_canon, Canonicalization::kSimple);
  auto relaxed = ParseSignatureField(Valid("; c=relaxed"));
  ASSERT_TRUE(relaxed.ok());
  EXPECT_EQ(relaxed->header_canon, Canonicalization::kRelaxed);
  EXPECT_EQ(relaxed->body_canon, Canonicalization::kSimple);
}

void ExpectError(const std::string& field, ErrorClass cls, const std::string& needle) {
  auto sig = ParseSignatureField(field);
  ASSERT_FALSE(sig.ok()) << field;
  EXPECT_EQ(sig.status().error_class(), cls) << sig.status().ToString();
  EXPECT_NE(sig.status().message().find(needle), std::string::npos) << sig.status().message();
}

TEST(SignatureTest, PreciseErrorsForMalformedSignatures) {
  const auto kMalformed = ErrorClass::kInvalidInput;
  ExpectError(Field("v=1; a=rsa-sha256; d=x.example; s=s; h=from; b=AAAA"), kMalformed, "required tag bh=");
  ExpectError(Field("v=1; a=rsa-sha256; d=x.example; s=s; bh=" + std::string(kBh) + "; b=AAAA"), kMalformed,
              "required tag h=");
  ExpectError(Valid("; s=s2"), kMalformed, "duplicate tag 's'");
  ExpectError(Field("v=1; a=rsa-sha256; d=x.example; s=s; h=to; bh=" + std::string(kBh) + "; b=AAAA"), kMalformed,
              "h= does not include From");
  ExpectError(Field("v=1; a=rsa-sha256; d=x.example; s=s; h=from; bh=" + std::string(kBh) + "; b=A*AA"), kMalformed,
              "b= is not valid base64");
  ExpectError(Field("v=1; a=rsa-sha256; d=x.example; s=s; h=from; bh=AAAA; b=AAAA"), kMalformed,
              "bh= is not a SHA-256 digest");
  ExpectError(Valid("; l=12a"), kMalformed, "l= must be decimal digits");
  ExpectError(Valid("; l=99999999999999999999999"), kMalformed, "l= is out of range");
  ExpectError(Valid("; t=200; x=100"), kMalformed, "x= is not after t=");
  ExpectError(Valid("; i=user@other.example"), kMalformed, "i=user@other.example is not within d=shop.example");
  ExpectError(Valid(";; "), kMalformed, "empty tag-spec");
  ExpectError("Subject: v=1", kMalformed, "not a DKIM-Signature");
}

TEST(SignatureTest, UnsupportedIsReportedApartFromMalformed) {
  const auto kUnsupported = ErrorClass::kPermanent;
  ExpectError(Field("v=1; a=rsa-sha1; d=x.example; s=s; h=from; bh=" + std::string(kBh) + "; b=AAAA"), kUnsupported,
              "rsa-sha1");
  ExpectError(Field("v=1; a=hmac-sha256; d=x.example; s=s; h=from; bh=" + std::string(kBh) + "; b=AAAA"),
              kUnsupported, "unknown algorithm a=hmac-sha256");
  ExpectError(Field("v=2; a=rsa-sha256; d=x.example; s=s; h=from; bh=" + std::string(kBh) + "; b=AAAA"),
              kUnsupported, "unsupported version");
  ExpectError(Valid("; c=nowsp/simple"), kUnsupported, "unknown header canonicalization");
  ExpectError(Valid("; q=http/well-known"), kUnsupported, "no dns/txt");
}

TEST(SignatureTest, BValueOffsetsCoverTheFoldedValue) {
  std::string field = Field("v=1; a=rsa-sha256; d=shop.example; s=s1; h=from; bh=" + std::string(kBh) +
                            ";\r\n b=AAAA\r\n BBBB; t=1");
  auto sig = ParseSignatureField(field);
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(field.substr(sig->b_value_begin, sig->b_value_end - sig->b_value_begin), "AAAA\r\n BBBB");
}

}  // namespace
}  // namespace tayori::dkim
