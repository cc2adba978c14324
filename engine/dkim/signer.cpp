#include "dkim/signer.h"

#include <algorithm>

#include "crypto/primitives.h"
#include "crypto/digest_signature.h"
#include "dkim/signature.h"
#include "dkim/signed_data.h"
#include "mime/idn.h"

namespace tayori::dkim {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// A selector is a sub-domain (RFC 6376 §3.1): dot-separated labels of
// letters, digits and '-', not starting or ending with '-'.
Status CheckSelector(std::string_view s) {
  if (s.empty()) return InvalidInput("the selector is empty");
  if (s.size() > 63 * 4) return InvalidInput("the selector is too long");
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string_view label = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return InvalidInput("selector '" + std::string(s) + "' is not a valid DNS name");
    for (char c : label)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
        return InvalidInput("selector '" + std::string(s) + "' is not a valid DNS name");
    if (dot == std::string_view::npos) return Status::Ok();
    start = dot + 1;
  }
}

Status CheckHeaderName(std::string_view name) {
  if (name.empty()) return InvalidInput("empty header name in the signed header list");
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126 || c == ':') return InvalidInput("invalid header name '" + std::string(name) + "'");
  }
  return Status::Ok();
}

// Writes the DKIM-Signature field folded at kSignatureFoldColumn. Folds go
// only where the tag-list grammar allows FWS (between tags, around the
// colons of h=, inside base64), so relaxed canonicalization and every
// verifier read back the same tag values.
class FieldWriter {
 public:
  FieldWriter() : out_(kSignatureFieldName) {
    out_ += ':';
    col_ = out_.size();
  }
  // A tag preceded by SP, or by CRLF SP when it would not fit.
  void Tag(std::string_view t) {
    if (col_ + 1 + t.size() > kSignatureFoldColumn) {
      Break();
    } else {
      out_ += ' ';
      ++col_;
    }
    Append(t);
  }
  // Continues the current tag; folds first when it would not fit.
  void Piece(std::string_view t) {
    if (col_ + t.size() > kSignatureFoldColumn) Break();
    Append(t);
  }
  void Break() {
    out_ += "\r\n ";
    col_ = 1;
  }
  // Base64 that may be folded anywhere.
  void Base64(std::string_view b64) {
    while (!b64.empty()) {
      if (col_ >= kSignatureFoldColumn) Break();
      size_t n = std::min(b64.size(), kSignatureFoldColumn - col_);
      Append(b64.substr(0, n));
      b64.remove_prefix(n);
    }
  }
  std::string& text() { return out_; }

 private:
  void Append(std::string_view t) {
    out_ += t;
    col_ += t.size();
  }
  std::string out_;
  size_t col_ = 0;
};

// Per-thread hashing contexts: one EVP_MD_CTX each for the body and the
// header data, reused across messages instead of allocated per message.
Sha256Hasher& BodyHasher() {
  thread_local Sha256Hasher h;
  return h;
}
Sha256Hasher& HeaderHasher() {
  thread_local Sha256Hasher h;
  return h;
}

}  // namespace

SignerBuilder::SignerBuilder()
    : headers_(kDefaultSignedHeaders.begin(), kDefaultSignedHeaders.end()),
      over_signed_(kDefaultOverSignedHeaders.begin(), kDefaultOverSignedHeaders.end()),
      clock_(&SystemClock::Instance()) {}

SignerBuilder& SignerBuilder::Domain(std::string_view domain) {
  domain_ = domain;
  return *this;
}
SignerBuilder& SignerBuilder::Selector(std::string_view selector) {
  selector_ = selector;
  return *this;
}
SignerBuilder& SignerBuilder::Key(std::shared_ptr<const crypto::PrivateKey> rsa_key) {
  rsa_key_ = std::move(rsa_key);
  return *this;
}
SignerBuilder& SignerBuilder::AddEd25519(std::string_view selector, std::shared_ptr<const crypto::PrivateKey> key) {
  ed_selector_ = selector;
  ed_key_ = std::move(key);
  return *this;
}
SignerBuilder& SignerBuilder::SignedHeaders(std::vector<std::string> names) {
  headers_ = std::move(names);
  return *this;
}
SignerBuilder& SignerBuilder::OverSignedHeaders(std::vector<std::string> names) {
  over_signed_ = std::move(names);
  return *this;
}
SignerBuilder& SignerBuilder::Canon(Canonicalization header, Canonicalization body) {
  header_canon_ = header;
  body_canon_ = body;
  return *this;
}
SignerBuilder& SignerBuilder::ExpiresAfter(std::chrono::seconds ttl) {
  expiry_ = ttl;
  return *this;
}
SignerBuilder& SignerBuilder::UseClock(const Clock& clock) {
  clock_ = &clock;
  return *this;
}

Result<Signer> SignerBuilder::Build() const {
  if (domain_.empty()) return InvalidInput("the signing domain is not set");
  auto domain = mime::DomainToALabel(domain_);
  if (!domain.ok()) return domain.status().WithContext("domain");
  if (selector_.empty()) return InvalidInput("the selector is not set");
  TAYORI_RETURN_IF_ERROR(CheckSelector(selector_));
  if (!rsa_key_) return InvalidInput("the RSA key is not set");
  if (rsa_key_->type() != crypto::KeyType::kRsa)
    return InvalidInput(
        "the primary key must be RSA: receivers do not accept Ed25519 alone, so Ed25519 can only be a "
        "second signature");
  if (rsa_key_->bits() < crypto::kMinRsaSigningBits)
    return InvalidInput("RSA key of " + std::to_string(rsa_key_->bits()) +
                        " bits is too weak to sign with; use at least " + std::to_string(crypto::kMinRsaSigningBits));
  if (ed_key_) {
    if (ed_key_->type() != crypto::KeyType::kEd25519) return InvalidInput("the second key must be Ed25519");
    TAYORI_RETURN_IF_ERROR(CheckSelector(ed_selector_).WithContext("Ed25519"));
    if (EqualsIgnoreCase(ed_selector_, selector_))
      return InvalidInput("the RSA and Ed25519 keys need different selectors (one key record each)");
  }
  if (expiry_ && expiry_->count() <= 0) return InvalidInput("the expiry must be positive");
  if (clock_ == nullptr) return InvalidInput("no clock");

  Signer s;
  for (const std::string& h : headers_) {
    TAYORI_RETURN_IF_ERROR(CheckHeaderName(h));
    std::string lc = Lower(h);
    if (std::find(s.headers_.begin(), s.headers_.end(), lc) == s.headers_.end()) s.headers_.push_back(lc);
  }
  if (std::find(s.headers_.begin(), s.headers_.end(), "from") == s.headers_.end())
    return InvalidInput("the signed headers must include From (RFC 6376 §5.4)");
  for (const std::string& h : over_signed_) {
    std::string lc = Lower(h);
    if (std::find(s.headers_.begin(), s.headers_.end(), lc) == s.headers_.end())
      return InvalidInput("over-signed header '" + h + "' is not in the signed header list");
    s.over_signed_.push_back(lc);
  }
  s.domain_ = std::move(domain).value();
  s.rsa_ = Signer::Slot{selector_, rsa_key_};
  if (ed_key_) s.ed25519_ = Signer::Slot{ed_selector_, ed_key_};
  s.header_canon_ = header_canon_;
  s.body_canon_ = body_canon_;
  s.expiry_ = expiry_;
  s.clock_ = clock_;
  return s;
}

std::vector<std::string> Signer::HeadersToSign(const std::vector<HeaderField>& fields) const {
  std::vector<std::string> h;
  h.reserve(headers_.size() + 8);
  for (const std::string& name : headers_) {
    size_t count = 0;
    for (const HeaderField& f : fields) count += EqualsIgnoreCase(f.name, name);
    if (std::find(over_signed_.begin(), over_signed_.end(), name) != over_signed_.end()) ++count;
    for (size_t i = 0; i < count; ++i) h.push_back(name);
  }
  return h;
}

Result<std::string> Signer::SignatureFields(std::string_view message) const {
  TAYORI_RETURN_IF_ERROR(CheckCrlfLineEnds(message));
  TAYORI_ASSIGN_OR_RETURN(MessageView view, SplitMessage(message));
  size_t froms = 0;
  for (const HeaderField& f : view.fields) froms += EqualsIgnoreCase(f.name, "from");
  if (froms == 0) return InvalidInput("the message has no From header field (DKIM must sign From, RFC 6376 §5.4)");
  if (froms > 1) return InvalidInput("the message has more than one From header field (RFC 5322 §3.6)");

  const std::vector<std::string> h = HeadersToSign(view.fields);
  // One body hash serves both signatures: same body canonicalization.
  const BodyHash body = ComputeBodyHash(view.body, body_canon_, std::nullopt, &BodyHasher());
  const std::string bh = crypto::Base64Encode(crypto::AsBytes(body.digest));
  const int64_t now = UnixSeconds(clock_->Now());

  std::string out;
  auto sign_one = [&](const Slot& slot) -> Status {
    FieldWriter w;
    w.Tag("v=1;");
    w.Tag("a=" + std::string(AlgorithmName(AlgorithmForKey(slot.key->type()))) + ";");
    w.Tag("c=" + std::string(CanonicalizationName(header_canon_)) + "/" +
          std::string(CanonicalizationName(body_canon_)) + ";");
    w.Tag("d=" + domain_ + ";");
    w.Tag("s=" + slot.selector + ";");
    w.Tag("t=" + std::to_string(now) + ";");
    if (expiry_) w.Tag("x=" + std::to_string(now + expiry_->count()) + ";");
    for (size_t i = 0; i < h.size(); ++i) {
      std::string piece = h[i] + (i + 1 < h.size() ? ":" : ";");
      if (i == 0) {
        w.Tag("h=" + piece);
      } else {
        w.Piece(piece);
      }
    }
    w.Tag("bh=" + bh + ";");
    // b= always starts a line of its own: the signed text then ends in
    // "CRLF SP b=" whatever the signature's length (as dkimpy does).
    w.Break();
    w.Piece("b=");
    Sha256Hasher& hasher = HeaderHasher();
    hasher.Reset();
    WriteSignedHeaderData(view.fields, h, header_canon_, w.text(), &hasher);
    TAYORI_ASSIGN_OR_RETURN(std::string sig, crypto::SignDigest(*slot.key, hasher.Finish()));
    w.Base64(crypto::Base64Encode(sig));
    out += w.text();
    out += "\r\n";
    return Status::Ok();
  };
  if (ed25519_) TAYORI_RETURN_IF_ERROR(sign_one(*ed25519_));
  TAYORI_RETURN_IF_ERROR(sign_one(rsa_));
  return out;
}

Result<std::string> Signer::Sign(std::string_view message) const {
  TAYORI_ASSIGN_OR_RETURN(std::string fields, SignatureFields(message));
  fields.append(message);
  return fields;
}

}  // namespace tayori::dkim
