#include "dkim/verifier.h"

#include "crypto/digest_signature.h"
#include "dkim/key_record.h"
#include "dkim/signed_data.h"

namespace tayori::dkim {
namespace {

Verdict Failed(Verdict v, VerifyStatus status, FailureReason reason, std::string detail = {}) {
  v.status = status;
  v.reason = reason;
  v.detail = std::move(detail);
  return v;
}

std::string_view StatusName(VerifyStatus s) {
  switch (s) {
    case VerifyStatus::kPass: return "pass";
    case VerifyStatus::kFail: return "fail";
    case VerifyStatus::kPermError: return "permerror";
    case VerifyStatus::kTempError: return "temperror";
  }
  return "permerror";
}

std::string IdentityDomain(const Signature& sig) {
  size_t at = sig.identity.rfind('@');
  return at == std::string::npos ? sig.domain : sig.identity.substr(at + 1);
}

}  // namespace

std::string_view FailureReasonName(FailureReason r) {
  switch (r) {
    case FailureReason::kNone: return "none";
    case FailureReason::kNoSignature: return "no DKIM-Signature";
    case FailureReason::kMalformedMessage: return "malformed message";
    case FailureReason::kMalformedSignature: return "malformed signature";
    case FailureReason::kUnsupported: return "unsupported signature";
    case FailureReason::kExpired: return "signature expired";
    case FailureReason::kKeyNotFound: return "no key record";
    case FailureReason::kKeyUnavailable: return "key lookup failed";
    case FailureReason::kKeyRevoked: return "key revoked";
    case FailureReason::kKeyInvalid: return "invalid key record";
    case FailureReason::kKeyTypeMismatch: return "key type does not match a=";
    case FailureReason::kIdentityMismatch: return "i= not allowed by the key (t=s)";
    case FailureReason::kBodyTooShort: return "l= exceeds the body";
    case FailureReason::kBodyHashMismatch: return "body hash mismatch";
    case FailureReason::kSignatureMismatch: return "signature mismatch";
  }
  return "unknown";
}

std::string Verdict::ToString() const {
  std::string out(StatusName(status));
  if (!domain.empty()) out += " d=" + domain;
  if (!selector.empty()) out += " s=" + selector;
  if (algorithm) out += " a=" + std::string(AlgorithmName(*algorithm));
  if (!pass()) {
    out += ": ";
    out += FailureReasonName(reason);
    if (!detail.empty()) out += " (" + detail + ")";
  }
  return out;
}

Verifier::Verifier(KeyLookup lookup, const Clock& clock) : lookup_(std::move(lookup)), clock_(&clock) {}

std::vector<Verdict> Verifier::VerifyAll(std::string_view message) const {
  std::vector<Verdict> out;
  auto view = SplitMessage(message);
  if (!view.ok()) {
    out.push_back(Failed(Verdict{}, VerifyStatus::kPermError, FailureReason::kMalformedMessage, view.status().message()));
    return out;
  }
  for (const HeaderField& f : view->fields)
    if (EqualsIgnoreCase(f.name, kSignatureFieldName)) out.push_back(VerifyOne(*view, f));
  if (out.empty()) out.push_back(Failed(Verdict{}, VerifyStatus::kPermError, FailureReason::kNoSignature));
  return out;
}

Verdict Verifier::Verify(std::string_view message) const {
  std::vector<Verdict> all = VerifyAll(message);
  for (Verdict& v : all)
    if (v.pass()) return std::move(v);
  return std::move(all.front());
}

Verdict Verifier::VerifyOne(const MessageView& view, const HeaderField& field) const {
  Verdict v;
  auto parsed = ParseSignatureField(field.field);
  if (!parsed.ok()) {
    bool unsupported = parsed.status().error_class() == ErrorClass::kPermanent;
    return Failed(v, VerifyStatus::kPermError,
                  unsupported ? FailureReason::kUnsupported : FailureReason::kMalformedSignature,
                  parsed.status().message());
  }
  const Signature& sig = *parsed;
  v.domain = sig.domain;
  v.selector = sig.selector;
  v.algorithm = sig.algorithm;

  // §6.1.1: a signature past its x= is PERMFAIL (the clock is injected so
  // tests can move it).
  if (sig.expiry && UnixSeconds(clock_->Now()) > *sig.expiry)
    return Failed(v, VerifyStatus::kPermError, FailureReason::kExpired, "x=" + std::to_string(*sig.expiry));

  // §6.1.2: fetch and check the key record.
  std::string name = sig.selector + "._domainkey." + sig.domain;
  auto txt = lookup_(name);
  if (!txt.ok()) {
    if (txt.status().error_class() == ErrorClass::kNotFound)
      return Failed(v, VerifyStatus::kPermError, FailureReason::kKeyNotFound, name);
    return Failed(v, VerifyStatus::kTempError, FailureReason::kKeyUnavailable, txt.status().message());
  }
  auto record = ParseKeyRecord(*txt);
  if (!record.ok()) return Failed(v, VerifyStatus::kPermError, FailureReason::kKeyInvalid, record.status().message());
  if (record->type != AlgorithmKeyType(sig.algorithm))
    return Failed(v, VerifyStatus::kPermError, FailureReason::kKeyTypeMismatch,
                  "k=" + std::string(crypto::KeyTypeName(record->type)));
  if (record->revoked) return Failed(v, VerifyStatus::kPermError, FailureReason::kKeyRevoked, name);
  if (record->strict && !sig.identity.empty() && IdentityDomain(sig) != sig.domain)
    return Failed(v, VerifyStatus::kPermError, FailureReason::kIdentityMismatch);

  // §6.1.3: body hash first (cheap), then the signature over the header data.
  Sha256Hasher hasher;
  BodyHash body = ComputeBodyHash(view.body, sig.body_canon, sig.body_length, &hasher);
  if (sig.body_length && *sig.body_length > body.canonical_length)
    return Failed(v, VerifyStatus::kPermError, FailureReason::kBodyTooShort,
                  "l=" + std::to_string(*sig.body_length) + ", body has " + std::to_string(body.canonical_length));
  if (crypto::AsBytes(body.digest) != sig.body_hash)
    return Failed(v, VerifyStatus::kFail, FailureReason::kBodyHashMismatch);

  std::string without_b(field.field.substr(0, sig.b_value_begin));
  without_b.append(field.field.substr(sig.b_value_end));
  hasher.Reset();
  WriteSignedHeaderData(view.fields, sig.signed_headers, sig.header_canon, without_b, &hasher);
  if (!crypto::VerifyDigest(*record->key, hasher.Finish(), sig.signature))
    return Failed(v, VerifyStatus::kFail, FailureReason::kSignatureMismatch);

  v.status = VerifyStatus::kPass;
  return v;
}

}  // namespace tayori::dkim
