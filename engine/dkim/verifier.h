// Verifier: checks the DKIM-Signature fields of a received or self-signed
// message (RFC 6376 §6) and says why one fails, as a value.
//
// Key records come from a caller-supplied lookup (name -> TXT), so tests pass
// a map, the CLI passes --txt, and the domain checker will pass DNS. Time
// comes from an injected Clock (x= expiry).
//
// Thread-safe if the lookup is: Verify() keeps no state between calls.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "dkim/message.h"
#include "dkim/signature.h"

namespace tayori::dkim {

// Returns the TXT record at `name` ("SELECTOR._domainkey.DOMAIN", no final
// dot) with its character-strings joined. kNotFound when there is none;
// kTransient when the lookup failed and may work later.
using KeyLookup = std::function<Result<std::string>(std::string_view name)>;

// The RFC 8601 result a signature gets.
enum class VerifyStatus {
  kPass,
  kFail,       // cryptographic check failed: the message or signature changed
  kPermError,  // the signature or key can never verify (malformed, revoked, expired...)
  kTempError,  // the key lookup failed temporarily: try again later
};

enum class FailureReason {
  kNone,
  kNoSignature,         // the message has no DKIM-Signature field
  kMalformedMessage,    // the header could not be split into fields
  kMalformedSignature,  // tag syntax, missing or invalid tags (see detail)
  kUnsupported,         // unknown version, algorithm, canonicalization or query method
  kExpired,             // x= is in the past
  kKeyNotFound,         // no key record at SELECTOR._domainkey.DOMAIN
  kKeyUnavailable,      // lookup failed temporarily
  kKeyRevoked,          // the record has an empty p=
  kKeyInvalid,          // the record does not parse, or the key is unusable/too small
  kKeyTypeMismatch,     // k= does not match a=
  kIdentityMismatch,    // the record says t=s but i= is a subdomain of d=
  kBodyTooShort,        // l= is longer than the canonical body
  kBodyHashMismatch,    // bh= differs: the body changed
  kSignatureMismatch,   // b= does not verify: a signed header changed (or the key is wrong)
};

std::string_view FailureReasonName(FailureReason r);  // "body hash mismatch", ...

struct Verdict {
  VerifyStatus status = VerifyStatus::kPermError;
  FailureReason reason = FailureReason::kNone;
  std::string detail;  // extra words for the reason, may be empty
  std::string domain;  // d=, when it could be read
  std::string selector;
  std::optional<Algorithm> algorithm;

  bool pass() const { return status == VerifyStatus::kPass; }
  // "pass d=shop.example s=s1 a=rsa-sha256" or
  // "fail d=shop.example s=s1 a=rsa-sha256: body hash mismatch (...)".
  std::string ToString() const;
};

class Verifier {
 public:
  explicit Verifier(KeyLookup lookup, const Clock& clock = SystemClock::Instance());

  // One verdict per DKIM-Signature field, top to bottom; a single kNoSignature
  // (kPermError) verdict when there is none.
  std::vector<Verdict> VerifyAll(std::string_view message) const;
  // The first passing verdict of VerifyAll, or else its first verdict.
  Verdict Verify(std::string_view message) const;

 private:
  Verdict VerifyOne(const MessageView& view, const HeaderField& field) const;

  KeyLookup lookup_;
  const Clock* clock_;
};

}  // namespace tayori::dkim
