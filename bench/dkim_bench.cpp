// DKIM signing cost against the raw RSA-2048 signature it is built on.
//
// Signs a reference ~6 KB newsletter (Japanese RFC 2047 subject,
// multipart/alternative text + HTML in quoted-printable, list headers) on one
// core with the real Signer, next to the bare OpenSSL operations:
//   BM_RawRsa2048DigestSign  EVP_DigestSignInit + EVP_DigestSign of 32 bytes
//                            (SHA-256 of 32 bytes + RSA-2048), per message
//   BM_RawRsa2048PkeySign    EVP_PKEY_sign of a 32-byte digest with a context
//                            set up once (the RSA private-key operation alone)
// The goal: BM_SignRsa2048 at >= 95% of the raw rate, i.e. canonicalizing,
// hashing and formatting cost under 5% of the signature itself.
//
//   dkim_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
// (This benchmark includes OpenSSL directly for the raw baselines; the engine
// keeps OpenSSL inside engine/crypto.)
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <malloc.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "dkim/canonicalization.h"
#include "crypto/digest_signature.h"
#include "crypto/key.h"
#include "crypto/primitives.h"
#include "dkim/signed_data.h"
#include "dkim/signer.h"

namespace {

using tayori::crypto::PrivateKey;

std::string ReferenceMessage() {
  const std::string boundary = "=_tayori_0123456789abcdef";
  std::string m =
      "From: =?UTF-8?B?44OG44K544OI44K344On44OD44OX?= <news@shop.example>\r\n"
      "To: reader@dest.example\r\n"
      "Subject: =?UTF-8?B?44CQ5pyf6ZaT6ZmQ5a6a44CR5Yas44Gu44K744O844Or?=\r\n"
      " =?UTF-8?B?5pyA5aSnNTAl44Kq44OV44Gu44GK55+l44KJ44Gb?=\r\n"
      "Date: Tue, 14 Nov 2023 22:13:20 +0900\r\n"
      "Message-ID: <c42.r1234567.1700000000@shop.example>\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n"
      "List-Unsubscribe: <https://shop.example/unsubscribe/v1.c42.r1234567.Zm9vYmFyYmF6cXV4>,\r\n"
      " <mailto:unsubscribe@shop.example?subject=c42.r1234567>\r\n"
      "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
      "List-Id: <weekly.shop.example>\r\n"
      "Feedback-ID: c42:shop7:news:TayoriSend\r\n"
      "\r\n";
  // Quoted-printable UTF-8 Japanese text: "=E3=81=93..." lines of 76 columns.
  std::string qp_line;
  for (int i = 0; i < 8; ++i) qp_line += "=E3=81=93=E3=82=93";
  qp_line += "=\r\n";
  m += "--" + boundary + "\r\nContent-Type: text/plain; charset=UTF-8\r\n"
       "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
  for (int i = 0; i < 20; ++i) m += qp_line;
  m += "https://shop.example/u/c42.r1234567\r\n\r\n";
  m += "--" + boundary + "\r\nContent-Type: text/html; charset=UTF-8\r\n"
       "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
       "<html><body style=3D\"font-family: sans-serif\">\r\n";
  for (int i = 0; i < 30; ++i) m += "<p>" + qp_line.substr(0, 60) + "</p>  \r\n";
  m += "<p><a href=3D\"https://shop.example/u/c42.r1234567\">unsubscribe</a></p>\r\n</body></html>\r\n";
  m += "--" + boundary + "--\r\n";
  return m;
}

struct Fixture {
  Fixture() {
    rsa = PrivateKey::GenerateRsa(2048).value();
    ed = PrivateKey::GenerateEd25519().value();
    message = ReferenceMessage();
  }
  std::shared_ptr<const PrivateKey> rsa;
  std::shared_ptr<const PrivateKey> ed;
  std::string message;
};

const Fixture& F() {
  static const Fixture f;
  return f;
}

void BM_SignRsa2048(benchmark::State& state) {
  auto signer = tayori::dkim::SignerBuilder().Domain("shop.example").Selector("s1").Key(F().rsa).Build().value();
  for (auto _ : state) {
    auto signed_message = signer.Sign(F().message);
    if (!signed_message.ok()) std::abort();
    benchmark::DoNotOptimize(signed_message->data());
  }
  state.counters["msg_bytes"] = static_cast<double>(F().message.size());
}
BENCHMARK(BM_SignRsa2048);

// What a new key costs a campaign before its messages: the PEM parsed and the
// first signature made (OpenSSL sets up the key's Montgomery contexts and
// blinding on its first private operation). Minus BM_SignRsa2048, that is the
// per-campaign key cost when every shop has its own key.
// Arg 1: the key read as a known type (the engine's way, the key row names
// its algorithm); arg 0: by the general reader.
void BM_FreshKeyFirstSignature(benchmark::State& state) {
  std::string pem = F().rsa->ToPem().value();
  bool typed = state.range(0) == 1;
  for (auto _ : state) {
    auto key = (typed ? PrivateKey::FromPem(pem, tayori::crypto::KeyType::kRsa) : PrivateKey::FromPem(pem)).value();
    auto signer = tayori::dkim::SignerBuilder().Domain("shop.example").Selector("s1").Key(key).Build().value();
    auto signed_message = signer.Sign(F().message);
    if (!signed_message.ok()) std::abort();
    benchmark::DoNotOptimize(signed_message->data());
  }
}
BENCHMARK(BM_FreshKeyFirstSignature)->Arg(0)->Arg(1);

// What one entry of the engine's key cache holds on the heap: an RSA-2048 key
// read as the engine reads it and used for one signature (which adds its
// Montgomery contexts and blinding). Each iteration reads kHeld keys, signs
// once with each and keeps them all, then takes glibc's in-use bytes once:
// with one key at a time, blocks freed by the previous key and kept in
// glibc's per-thread cache were reused unseen and the figure came out low.
// The cache's bound in bytes is its capacity (4,096 keys) times this counter,
// plus its own bookkeeping per entry (the PEM's digest, an LRU and an index
// node).
void BM_CachedKeyBytes(benchmark::State& state) {
  constexpr int kHeld = 200;
  std::string pem = F().rsa->ToPem().value();
  double bytes = 0;
  for (auto _ : state) {
    std::vector<std::shared_ptr<const PrivateKey>> held;
    held.reserve(kHeld);
    size_t before = mallinfo2().uordblks;
    for (int i = 0; i < kHeld; ++i) {
      held.push_back(PrivateKey::FromPem(pem, tayori::crypto::KeyType::kRsa).value());
      auto signer = tayori::dkim::SignerBuilder().Domain("shop.example").Selector("s1").Key(held.back()).Build().value();
      auto signed_message = signer.Sign(F().message);
      if (!signed_message.ok()) std::abort();
      benchmark::DoNotOptimize(signed_message->data());
    }
    bytes += (static_cast<double>(mallinfo2().uordblks) - static_cast<double>(before)) / kHeld;
  }
  state.counters["bytes_per_key"] = bytes / static_cast<double>(state.iterations());
}
BENCHMARK(BM_CachedKeyBytes)->Unit(benchmark::kMillisecond);

// The check of a loaded key against its row's p= (keys/sealed_keys.cpp),
// once per campaign when every shop has its own key: /0 encodes the key's
// p= and compares the bytes (as before), /1 PrivateKey::HasPublicKey.
void BM_PublicKeyCheck(benchmark::State& state) {
  std::string p = tayori::crypto::Base64Decode(F().rsa->PublicKeyBase64()).value();
  bool direct = state.range(0) == 1;
  for (auto _ : state) {
    bool same = direct ? F().rsa->HasPublicKey(p) : tayori::crypto::Base64Decode(F().rsa->PublicKeyBase64()).value() == p;
    if (!same) std::abort();
  }
}
BENCHMARK(BM_PublicKeyCheck)->Arg(0)->Arg(1);

void BM_SignRsa2048PlusEd25519(benchmark::State& state) {
  auto signer = tayori::dkim::SignerBuilder()
                    .Domain("shop.example")
                    .Selector("s1")
                    .Key(F().rsa)
                    .AddEd25519("e1", F().ed)
                    .Build()
                    .value();
  for (auto _ : state) {
    auto signed_message = signer.Sign(F().message);
    if (!signed_message.ok()) std::abort();
    benchmark::DoNotOptimize(signed_message->data());
  }
}
BENCHMARK(BM_SignRsa2048PlusEd25519);

// The Ed25519 signature on its own through the same pure steps the Signer
// runs (the Signer always adds RSA, so it cannot make Ed25519 alone).
void BM_SignEd25519Steps(benchmark::State& state) {
  auto view = tayori::dkim::SplitMessage(F().message).value();
  const std::vector<std::string> h = {"from", "from", "to", "subject", "subject", "date", "message-id"};
  tayori::dkim::Sha256Hasher hasher;
  const std::string field = "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=shop.example; s=e1; b=";
  for (auto _ : state) {
    auto body = tayori::dkim::ComputeBodyHash(view.body, tayori::dkim::Canonicalization::kRelaxed, std::nullopt,
                                              &hasher);
    benchmark::DoNotOptimize(body);
    hasher.Reset();
    tayori::dkim::WriteSignedHeaderData(view.fields, h, tayori::dkim::Canonicalization::kRelaxed, field, &hasher);
    auto sig = tayori::crypto::SignDigest(*F().ed, hasher.Finish());
    benchmark::DoNotOptimize(sig);
  }
}
BENCHMARK(BM_SignEd25519Steps);

// Canonicalization + SHA-256 of the body alone: the overhead the goal bounds.
void BM_BodyHashRelaxed(benchmark::State& state) {
  auto view = tayori::dkim::SplitMessage(F().message).value();
  tayori::dkim::Sha256Hasher hasher;
  for (auto _ : state) {
    auto body = tayori::dkim::ComputeBodyHash(view.body, tayori::dkim::Canonicalization::kRelaxed, std::nullopt,
                                              &hasher);
    benchmark::DoNotOptimize(body);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * view.body.size()));
}
BENCHMARK(BM_BodyHashRelaxed);

void BM_RawRsa2048DigestSign(benchmark::State& state) {
  unsigned char data[32] = {1, 2, 3};
  unsigned char sig[512];
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  for (auto _ : state) {
    size_t len = sizeof sig;
    if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, F().rsa->pkey()) != 1 ||
        EVP_DigestSign(ctx, sig, &len, data, sizeof data) != 1)
      std::abort();
    benchmark::DoNotOptimize(sig);
    EVP_MD_CTX_reset(ctx);
  }
  EVP_MD_CTX_free(ctx);
}
BENCHMARK(BM_RawRsa2048DigestSign);

void BM_RawRsa2048PkeySign(benchmark::State& state) {
  unsigned char digest[32] = {1, 2, 3};
  unsigned char sig[512];
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, F().rsa->pkey(), nullptr);
  if (ctx == nullptr || EVP_PKEY_sign_init(ctx) != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) != 1)
    std::abort();
  for (auto _ : state) {
    size_t len = sizeof sig;
    if (EVP_PKEY_sign(ctx, sig, &len, digest, sizeof digest) != 1) std::abort();
    benchmark::DoNotOptimize(sig);
  }
  EVP_PKEY_CTX_free(ctx);
}
BENCHMARK(BM_RawRsa2048PkeySign);

}  // namespace

BENCHMARK_MAIN();
