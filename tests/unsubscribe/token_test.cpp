#include "unsubscribe/token.h"

#include <gtest/gtest.h>

#include "crypto/primitives.h"

namespace tayori::unsubscribe {
namespace {

SigningKey Key(std::string_view id, char fill) { return *SigningKey::Make(id, std::string(32, fill)); }

TokenFields Sample() { return TokenFields{.tenant_id = 42, .list_id = 7, .subscriber_id = 123456789, .campaign_id = 1001, .scope = Scope::kList}; }

KeySet Keys(std::initializer_list<SigningKey> ks) {
  KeySet set;
  for (const auto& k : ks) EXPECT_TRUE(set.Add(k).ok());
  return set;
}

TEST(TokenTest, RoundTripsAndIsUrlSafe) {
  SigningKey k1 = Key("k1", 'a');
  std::string t = Encode(k1, Sample());
  EXPECT_EQ(t.rfind("k1.", 0), 0u);
  EXPECT_LT(t.size(), 64u) << t;
  for (char c : t) EXPECT_TRUE(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') << t;
  auto f = Verify(t, Keys({k1}));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(*f, Sample());
}

TEST(TokenTest, ShopScopeAndExtremeIds) {
  SigningKey k = Key("A9", 'z');
  TokenFields f{.tenant_id = UINT64_MAX, .list_id = 0, .subscriber_id = 1, .campaign_id = 0, .scope = Scope::kShop};
  auto back = Verify(Encode(k, f), Keys({k}));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, f);
}

TEST(TokenTest, EveryAlteredCharacterIsRejected) {
  SigningKey k1 = Key("k1", 'a');
  KeySet keys = Keys({k1});
  std::string t = Encode(k1, Sample());
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (size_t i = 3; i < t.size(); ++i) {
    std::string forged = t;
    forged[i] = alphabet[(alphabet.find(t[i]) + 1) % alphabet.size()];
    TokenError why;
    auto r = Verify(forged, keys, &why);
    EXPECT_FALSE(r.ok()) << "position " << i;
    EXPECT_NE(why, TokenError::kNone);
  }
}

TEST(TokenTest, ForgeryWithTheWrongSecretIsABadMac) {
  SigningKey real = Key("k1", 'a');
  SigningKey attacker = Key("k1", 'b');
  TokenFields f = Sample();
  f.subscriber_id = 999;  // someone else's subscription
  TokenError why;
  auto r = Verify(Encode(attacker, f), Keys({real}), &why);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(why, TokenError::kBadMac);
  EXPECT_NE(r.status().message().find("bad MAC"), std::string::npos);
}

TEST(TokenTest, UnknownKeyId) {
  SigningKey k1 = Key("k1", 'a'), k9 = Key("k9", 'a');
  TokenError why;
  auto r = Verify(Encode(k9, Sample()), Keys({k1}), &why);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(why, TokenError::kUnknownKeyId);
  EXPECT_NE(r.status().message().find("unknown key id 'k9'"), std::string::npos);
}

TEST(TokenTest, KeyIdIsBoundIntoTheMac) {
  // Same secret under two ids: a token cannot be relabelled to the other id.
  SigningKey k1 = Key("k1", 'a'), k2 = Key("k2", 'a');
  std::string t = Encode(k1, Sample());
  TokenError why;
  EXPECT_FALSE(Verify("k2" + t.substr(2), Keys({k1, k2}), &why).ok());
  EXPECT_EQ(why, TokenError::kBadMac);
}

TEST(TokenTest, RotationKeepsOldTokensValid) {
  SigningKey old_key = Key("k1", 'a'), new_key = Key("k2", 'b');
  std::string old_token = Encode(old_key, Sample());
  std::string new_token = Encode(new_key, Sample());
  KeySet during = Keys({old_key, new_key});
  EXPECT_TRUE(Verify(old_token, during).ok());
  EXPECT_TRUE(Verify(new_token, during).ok());
  KeySet after = Keys({new_key});  // k1 retired
  TokenError why;
  EXPECT_FALSE(Verify(old_token, after, &why).ok());
  EXPECT_EQ(why, TokenError::kUnknownKeyId);
  EXPECT_TRUE(Verify(new_token, after).ok());
}

TEST(TokenTest, MalformedTokensSayWhy) {
  KeySet keys = Keys({Key("k1", 'a')});
  auto why_of = [&](std::string_view t) {
    TokenError e;
    auto r = Verify(t, keys, &e);
    EXPECT_FALSE(r.ok()) << t;
    EXPECT_EQ(e, TokenError::kMalformed) << t;
    return r.status().message();
  };
  EXPECT_NE(why_of("").find("no '.'"), std::string::npos);
  EXPECT_NE(why_of("k1").find("no '.'"), std::string::npos);
  EXPECT_NE(why_of(".AAAA").find("key id"), std::string::npos);
  EXPECT_NE(why_of("k-1.AAAA").find("key id"), std::string::npos);
  EXPECT_NE(why_of("k1.!!!!").find("base64url"), std::string::npos);
  EXPECT_NE(why_of("k1.AQE").find("too short"), std::string::npos);
  std::string v2 = std::string("\x02\x01\x01\x01\x01\x01", 6) + std::string(16, 'm');
  EXPECT_NE(why_of("k1." + crypto::Base64UrlEncode(v2)).find("version 2"), std::string::npos);
  std::string bad_scope = std::string("\x01\x07\x01\x01\x01\x01", 6) + std::string(16, 'm');
  EXPECT_NE(why_of("k1." + crypto::Base64UrlEncode(bad_scope)).find("scope"), std::string::npos);
  std::string overlong = std::string("\x01\x01\x81\x00\x01\x01\x01", 7) + std::string(16, 'm');
  EXPECT_NE(why_of("k1." + crypto::Base64UrlEncode(overlong)).find("do not decode"), std::string::npos);
}

// The configured secret is base64; the HMAC key is the decoded bytes, so a
// token minted elsewhere with those bytes verifies here.
TEST(TokenTest, SecretFromBase64IsTheDecodedBytes) {
  std::string raw;
  for (int i = 0; i < 40; ++i) raw += static_cast<char>(0xF0 + i % 16);  // bytes that need '+' and '/'
  const TokenFields f{42, 7, 555, 1001, Scope::kList};
  std::string want = Encode(*SigningKey::Make("k1", raw), f);
  std::string b64 = crypto::Base64Encode(raw);
  ASSERT_NE(b64.find_first_of("+/"), std::string::npos);
  std::string url = b64;
  for (char& c : url) c = c == '+' ? '-' : c == '/' ? '_' : c;
  std::string unpadded = b64.substr(0, b64.find('='));
  std::string wrapped = b64.substr(0, 20) + "\n" + b64.substr(20) + "\n";
  for (const std::string& text : {b64, url, unpadded, wrapped, " " + b64 + " "}) {
    auto key = SigningKey::FromBase64("k1", text);
    ASSERT_TRUE(key.ok()) << text << ": " << key.status().ToString();
    EXPECT_EQ(key->secret(), raw);
    EXPECT_EQ(Encode(*key, f), want);
  }
}

TEST(TokenTest, SecretFromBase64RefusesWhatIsNotBase64OfEnoughBytes) {
  auto message = [](std::string_view text) {
    auto key = SigningKey::FromBase64("k1", text);
    EXPECT_FALSE(key.ok()) << text;
    EXPECT_EQ(key.status().error_class(), ErrorClass::kConfig);
    if (!text.empty()) {
      EXPECT_EQ(key.status().message().find(text), std::string::npos) << "the secret is quoted";
    }
    return key.status().message();
  };
  // Long text: enough before, when the text itself was the key.
  EXPECT_NE(message("this-is-not-base64-but-it-is-long-enough!!!").find("not base64"), std::string::npos);
  EXPECT_NE(message(crypto::Base64Encode(std::string(31, 'x'))).find("decodes to 31 bytes, needs at least 32"),
            std::string::npos);
  EXPECT_NE(message("").find("empty"), std::string::npos);
  EXPECT_NE(message("ab+c-def" + crypto::Base64Encode(std::string(40, 'y'))).find("mixes"), std::string::npos);
  EXPECT_TRUE(SigningKey::FromBase64("k1", crypto::Base64Encode(std::string(32, 'z'))).ok());
}

TEST(TokenTest, KeysAreCheckedOnce) {
  EXPECT_FALSE(SigningKey::Make("", std::string(32, 'a')).ok());
  EXPECT_FALSE(SigningKey::Make("toolongkeyid12345", std::string(32, 'a')).ok());
  EXPECT_FALSE(SigningKey::Make("k_1", std::string(32, 'a')).ok());
  EXPECT_NE(SigningKey::Make("k1", "short").status().message().find("at least 32"), std::string::npos);
  KeySet set;
  EXPECT_TRUE(set.Add(Key("k1", 'a')).ok());
  EXPECT_FALSE(set.Add(Key("k1", 'b')).ok());
}

}  // namespace
}  // namespace tayori::unsubscribe
