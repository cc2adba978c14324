#include "dkim/signer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "dkim/signature.h"
#include "dkim/verifier.h"
#include "test_util.h"
#include "dkim/key_record.h"

namespace tayori::dkim {
namespace {

using std::chrono::seconds;

constexpr char kMessage[] =
    "From: =?UTF-8?B?44GK5bqX?= <news@shop.example>\r\n"
    "To: user@example.net\r\n"
    "Subject: =?UTF-8?B?5paw5ZWG5ZOB44Gu44GK55+l44KJ44Gb?=\r\n"
    "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
    "Message-ID: <1@shop.example>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=UTF-8\r\n"
    "List-Unsubscribe: <https://shop.example/u/abc>,\r\n <mailto:u@shop.example>\r\n"
    "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
    "List-Id: <news.shop.example>\r\n"
    "X-Mailer: tayori\r\n"
    "\r\n"
    "Hello \t world  \r\n\r\n";

class SignerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rsa_ = testing::LoadKey("rsa2048.pem");
    ed_ = testing::LoadKey("ed25519.pem");
    records_ = {{"s1._domainkey.shop.example", dkim::KeyRecordText(*rsa_)},
                {"e1._domainkey.shop.example", dkim::KeyRecordText(*ed_)}};
  }
  SignerBuilder Builder() { return std::move(SignerBuilder().Domain("shop.example").Selector("s1").Key(rsa_).UseClock(clock_)); }
  Verifier MakeVerifier() { return Verifier(testing::MapLookup(records_), clock_); }

  FakeClock clock_;
  std::shared_ptr<const crypto::PrivateKey> rsa_;
  std::shared_ptr<const crypto::PrivateKey> ed_;
  std::map<std::string, std::string> records_;
};

TEST_F(SignerTest, BuilderRefusesIncompleteOrWeakConfigurations) {
  EXPECT_FALSE(SignerBuilder().Selector("s1").Key(rsa_).Build().ok());
  EXPECT_FALSE(SignerBuilder().Domain("shop.example").Key(rsa_).Build().ok());
  EXPECT_FALSE(SignerBuilder().Domain("shop.example").Selector("s1").Build().ok());
  EXPECT_FALSE(Builder().Selector("bad_selector").Build().ok());
  EXPECT_FALSE(Builder().Domain("not a domain").Build().ok());
  auto ed_only = SignerBuilder().Domain("shop.example").Selector("s1").Key(ed_).Build();
  ASSERT_FALSE(ed_only.ok());
  EXPECT_NE(ed_only.status().message().find("must be RSA"), std::string::npos);
  auto weak = Builder().Key(testing::LoadKey("rsa1024.pem")).Build();
  ASSERT_FALSE(weak.ok());
  EXPECT_NE(weak.status().message().find("1024 bits is too weak"), std::string::npos);
  EXPECT_FALSE(Builder().SignedHeaders({"to", "subject"}).Build().ok());
  EXPECT_FALSE(Builder().OverSignedHeaders({"x-other"}).Build().ok());
  EXPECT_FALSE(Builder().AddEd25519("s1", ed_).Build().ok());  // same selector
  EXPECT_FALSE(Builder().AddEd25519("e1", rsa_).Build().ok());
  EXPECT_FALSE(Builder().ExpiresAfter(seconds(0)).Build().ok());
  EXPECT_TRUE(Builder().Build().ok());
}

TEST_F(SignerTest, DomainGoesOutAsALabel) {
  auto signer = Builder().Domain("ショップ.example").Build();
  ASSERT_TRUE(signer.ok()) << signer.status().ToString();
  EXPECT_EQ(signer->domain(), "xn--xckya1d0c.example");
  auto fields = signer->SignatureFields(kMessage);
  ASSERT_TRUE(fields.ok());
  EXPECT_NE(fields->find("d=xn--xckya1d0c.example;"), std::string::npos);
}

TEST_F(SignerTest, HeaderListCoversPresentHeadersAndOverSignsTheRisky) {
  auto signer = Builder().Build();
  ASSERT_TRUE(signer.ok());
  auto fields = signer->SignatureFields(kMessage);
  ASSERT_TRUE(fields.ok());
  auto sig = ParseSignatureField(fields->substr(0, fields->size() - 2));
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  // Feedback-ID is absent so not named; X-Mailer is not in the list.
  EXPECT_EQ(sig->signed_headers,
            (std::vector<std::string>{"from", "from", "to", "subject", "subject", "date", "message-id",
                                      "mime-version", "content-type", "list-unsubscribe", "list-unsubscribe",
                                      "list-unsubscribe-post", "list-unsubscribe-post", "list-id"}));
  EXPECT_EQ(sig->header_canon, Canonicalization::kRelaxed);
  EXPECT_EQ(sig->body_canon, Canonicalization::kRelaxed);
  EXPECT_EQ(sig->timestamp, 1'700'000'000);
  EXPECT_FALSE(sig->expiry.has_value());
}

TEST_F(SignerTest, AbsentOverSignedHeaderIsNamedOnce) {
  auto signer = Builder().Build();
  ASSERT_TRUE(signer.ok());
  auto fields = signer->SignatureFields("From: a@shop.example\r\n\r\nhi\r\n");
  ASSERT_TRUE(fields.ok());
  auto sig = ParseSignatureField(fields->substr(0, fields->size() - 2));
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->signed_headers, (std::vector<std::string>{"from", "from", "subject", "list-unsubscribe",
                                                           "list-unsubscribe-post"}));
}

TEST_F(SignerTest, FieldIsFoldedAt78ColumnsWithCrlfAndPrepended) {
  auto signer = Builder().AddEd25519("e1", ed_).ExpiresAfter(seconds(86400)).Build();
  ASSERT_TRUE(signer.ok());
  auto signed_message = signer->Sign(kMessage);
  ASSERT_TRUE(signed_message.ok());
  EXPECT_EQ(signed_message->substr(signed_message->size() - std::string(kMessage).size()), kMessage);
  EXPECT_EQ(signed_message->rfind("DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=shop.example;", 0), 0u);
  std::string header = signed_message->substr(0, signed_message->find("From:"));
  size_t pos = 0;
  int lines = 0;
  while (pos < header.size()) {
    size_t eol = header.find("\r\n", pos);
    ASSERT_NE(eol, std::string::npos);
    EXPECT_LE(eol - pos, kSignatureFoldColumn) << header.substr(pos, eol - pos);
    EXPECT_EQ(header.substr(pos, eol - pos).find('\n'), std::string::npos);
    pos = eol + 2;
    ++lines;
  }
  EXPECT_GT(lines, 8);
  EXPECT_NE(header.find("x=1700086400;"), std::string::npos);
  EXPECT_NE(header.find("\r\n b="), std::string::npos);
  auto verdicts = MakeVerifier().VerifyAll(*signed_message);
  ASSERT_EQ(verdicts.size(), 2u);
  EXPECT_TRUE(verdicts[0].pass()) << verdicts[0].ToString();
  EXPECT_EQ(verdicts[0].algorithm, Algorithm::kEd25519Sha256);
  EXPECT_TRUE(verdicts[1].pass()) << verdicts[1].ToString();
  EXPECT_EQ(verdicts[1].algorithm, Algorithm::kRsaSha256);
}

TEST_F(SignerTest, EveryCanonicalizationPairVerifies) {
  for (auto hc : {Canonicalization::kSimple, Canonicalization::kRelaxed})
    for (auto bc : {Canonicalization::kSimple, Canonicalization::kRelaxed}) {
      auto signer = Builder().AddEd25519("e1", ed_).Canon(hc, bc).Build();
      ASSERT_TRUE(signer.ok());
      auto signed_message = signer->Sign(kMessage);
      ASSERT_TRUE(signed_message.ok());
      for (const Verdict& v : MakeVerifier().VerifyAll(*signed_message)) EXPECT_TRUE(v.pass()) << v.ToString();
    }
}

TEST_F(SignerTest, RefusesBareLfAndMessagesWithoutOneFrom) {
  auto signer = Builder().Build();
  ASSERT_TRUE(signer.ok());
  auto lf = signer->Sign("From: a@shop.example\nTo: b@example.net\n\nhi\n");
  ASSERT_FALSE(lf.ok());
  EXPECT_EQ(lf.status().error_class(), ErrorClass::kInvalidInput);
  EXPECT_NE(lf.status().message().find("line 1: bare LF"), std::string::npos);
  auto no_from = signer->Sign("To: b@example.net\r\n\r\nhi\r\n");
  ASSERT_FALSE(no_from.ok());
  EXPECT_NE(no_from.status().message().find("no From"), std::string::npos);
  EXPECT_FALSE(signer->Sign("From: a@shop.example\r\nFrom: c@shop.example\r\n\r\nhi\r\n").ok());
}

TEST_F(SignerTest, TamperingWithAnySignedHeaderOrTheBodyFails) {
  auto signer = Builder().AddEd25519("e1", ed_).Build();
  ASSERT_TRUE(signer.ok());
  auto signed_message = signer->Sign(kMessage);
  ASSERT_TRUE(signed_message.ok());
  Verifier verifier = MakeVerifier();
  auto expect_all_fail = [&](const std::string& m, const std::string& what) {
    for (const Verdict& v : verifier.VerifyAll(m)) EXPECT_FALSE(v.pass()) << what << ": " << v.ToString();
  };
  for (const char* name : {"From:", "To:", "Subject:", "Date:", "Message-ID:", "MIME-Version:", "Content-Type:",
                           "List-Unsubscribe:", "List-Unsubscribe-Post:", "List-Id:"}) {
    std::string m = *signed_message;
    size_t at = m.find(std::string("\r\n") + name) + 2 + std::strlen(name);
    m.insert(at, "X");
    expect_all_fail(m, name);
  }
  std::string body = *signed_message;
  body.replace(body.find("Hello"), 5, "Hellp");
  expect_all_fail(body, "body");
  // Over-signed: a second copy of From, Subject or List-Unsubscribe(-Post) breaks it.
  for (const char* added : {"From: evil@attacker.example\r\n", "Subject: urgent\r\n",
                            "List-Unsubscribe: <https://evil.example/>\r\n",
                            "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"}) {
    std::string m = *signed_message;
    m.insert(m.find("\r\n\r\n") + 2, added);
    expect_all_fail(m, added);
  }
  // A header nobody signed may be added: relays add Received: all the time.
  std::string received = "Received: from relay.example by mx.example\r\n" + *signed_message;
  for (const Verdict& v : verifier.VerifyAll(received)) EXPECT_TRUE(v.pass()) << v.ToString();
}

TEST_F(SignerTest, ExpiryIsHonouredWithTheInjectedClock) {
  auto signer = Builder().ExpiresAfter(seconds(3600)).Build();
  ASSERT_TRUE(signer.ok());
  auto signed_message = signer->Sign(kMessage);
  ASSERT_TRUE(signed_message.ok());
  EXPECT_TRUE(MakeVerifier().Verify(*signed_message).pass());
  clock_.Advance(seconds(3601));
  Verdict late = MakeVerifier().Verify(*signed_message);
  EXPECT_EQ(late.status, VerifyStatus::kPermError);
  EXPECT_EQ(late.reason, FailureReason::kExpired);
}

TEST_F(SignerTest, OneSignerSignsFromManyThreads) {
  auto signer = Builder().AddEd25519("e1", ed_).Build();
  ASSERT_TRUE(signer.ok());
  const Signer& shared = *signer;
  auto expected = shared.Sign(kMessage);
  ASSERT_TRUE(expected.ok());
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        auto s = shared.Sign(kMessage);
        // RSA PKCS#1 v1.5 and Ed25519 are deterministic: same input, same bytes.
        if (!s.ok() || *s != *expected) ++mismatches;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace tayori::dkim
