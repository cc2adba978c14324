// Module dkim/: the DKIM protocol on top of crypto/: canonicalization, tag lists, key records, the
// signer and the verifier; no OpenSSL header. May include: base/, crypto/, mime/ (its links in
// CMakeLists.txt, and what they link publicly; scripts/check-layering checks both).
//
// Signer: adds DKIM-Signature fields to outgoing messages (RFC 6376 §5).
//
// Built once per sending domain with SignerBuilder, which checks everything
// up front, so a Signer that exists can sign any well-formed message:
//
//   auto signer = SignerBuilder()
//                     .Domain("shop.example").Selector("s2026").Key(rsa_key)
//                     .AddEd25519("e2026", ed_key)          // optional second signature
//                     .UseClock(clock)                      // t= comes from here
//                     .Build();
//   if (!signer.ok()) ...;
//   auto signed_message = signer->Sign(message);            // Result<std::string>
//
// An RSA signature is always made (receivers such as Gmail do not accept an
// Ed25519 signature alone: RFC 8463 support is not universal); an Ed25519 one (RFC 8463) may be
// added. Both cover the same headers with the same canonicalization.
//
// Input: a complete RFC 5322 message with CRLF line ends. A bare LF or CR is
// refused (kInvalidInput naming the line) instead of being signed as is: MTAs
// rewrite bare line ends, which would break the signature in transit.
// Converting LF to CRLF is the caller's choice (the CLI does it).
//
// A Signer is immutable and thread-safe: worker threads may share one. It
// holds its keys by shared_ptr, so a crypto::KeyCache eviction does not affect it.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "dkim/canonicalization.h"
#include "crypto/key.h"
#include "dkim/message.h"

namespace tayori::dkim {

// Signed when present (RFC 8058 §4 requires the List-Unsubscribe pair;
// the rest are the headers receivers show and thread by).
inline constexpr std::array<std::string_view, 11> kDefaultSignedHeaders = {
    "from",    "to",          "subject",          "date",                  "message-id", "mime-version",
    "content-type", "list-unsubscribe", "list-unsubscribe-post", "list-id", "feedback-id"};
// Named once more in h= than they occur, so a copy added in transit breaks
// the signature (RFC 6376 §8.15). A header that is absent is still named
// once: adding it later breaks the signature too.
inline constexpr std::array<std::string_view, 4> kDefaultOverSignedHeaders = {
    "from", "subject", "list-unsubscribe", "list-unsubscribe-post"};

// Lines of the DKIM-Signature field are folded to at most this many columns.
constexpr size_t kSignatureFoldColumn = 78;

class Signer {
 public:
  // The DKIM-Signature field(s) for `message`, each ending in CRLF, to be
  // prepended: the Ed25519 one first when configured, then the RSA one.
  // Errors (kInvalidInput): bare LF/CR, a malformed header, no From or more
  // than one From (RFC 5322 §3.6 allows exactly one).
  Result<std::string> SignatureFields(std::string_view message) const;
  // `message` with the signature field(s) prepended.
  Result<std::string> Sign(std::string_view message) const;

  // h= for this message: each configured name once per occurrence, the
  // over-signed ones once more, absent non-over-signed ones not at all.
  std::vector<std::string> HeadersToSign(const std::vector<HeaderField>& fields) const;

  const std::string& domain() const { return domain_; }  // A-label form

 private:
  friend class SignerBuilder;
  struct Slot {
    std::string selector;
    std::shared_ptr<const crypto::PrivateKey> key;
  };
  Signer() = default;

  std::string domain_;
  Slot rsa_;
  std::optional<Slot> ed25519_;
  std::vector<std::string> headers_;
  std::vector<std::string> over_signed_;
  Canonicalization header_canon_ = Canonicalization::kRelaxed;
  Canonicalization body_canon_ = Canonicalization::kRelaxed;
  std::optional<std::chrono::seconds> expiry_;
  const Clock* clock_ = nullptr;
};

class SignerBuilder {
 public:
  SignerBuilder();

  // The signing domain (d=); IDNs are converted to A-labels.
  SignerBuilder& Domain(std::string_view domain);
  // The RSA key's selector (s=).
  SignerBuilder& Selector(std::string_view selector);
  // The RSA key: required, at least crypto::kMinRsaSigningBits.
  SignerBuilder& Key(std::shared_ptr<const crypto::PrivateKey> rsa_key);
  // Adds an Ed25519 signature with its own selector.
  SignerBuilder& AddEd25519(std::string_view selector, std::shared_ptr<const crypto::PrivateKey> key);
  // Replaces kDefaultSignedHeaders / kDefaultOverSignedHeaders. Must include
  // "from"; every over-signed name must also be a signed one.
  SignerBuilder& SignedHeaders(std::vector<std::string> names);
  SignerBuilder& OverSignedHeaders(std::vector<std::string> names);
  // Default relaxed/relaxed.
  SignerBuilder& Canon(Canonicalization header, Canonicalization body);
  // Adds x= = t= + ttl (ttl > 0).
  SignerBuilder& ExpiresAfter(std::chrono::seconds ttl);
  // Source of t=; default SystemClock::Instance(). *clock must outlive the Signer.
  SignerBuilder& UseClock(const Clock& clock);

  // kInvalidInput naming the first problem: missing domain/selector/key, a
  // domain or selector that is not a valid DNS name, a key of the wrong type
  // or too small, a header list without From.
  Result<Signer> Build() const;

 private:
  std::string domain_;
  std::string selector_;
  std::shared_ptr<const crypto::PrivateKey> rsa_key_;
  std::string ed_selector_;
  std::shared_ptr<const crypto::PrivateKey> ed_key_;
  std::vector<std::string> headers_;
  std::vector<std::string> over_signed_;
  Canonicalization header_canon_ = Canonicalization::kRelaxed;
  Canonicalization body_canon_ = Canonicalization::kRelaxed;
  std::optional<std::chrono::seconds> expiry_;
  const Clock* clock_;
};

}  // namespace tayori::dkim
