#include "dkim/signature.h"

#include <charconv>

#include "crypto/primitives.h"
#include "dkim/message.h"
#include "dkim/tag_list.h"

namespace tayori::dkim {
namespace {

Status Malformed(std::string what) { return InvalidInput("DKIM-Signature: " + what); }
Status Unsupported(std::string what) { return Permanent("DKIM-Signature: " + what); }

// Decimal digits only (§3.5: t=, x= are 1*12DIGIT, l= is 1*76DIGIT; a value
// that does not fit 64 bits is refused rather than silently truncated).
template <typename T>
Result<T> ParseNumber(std::string_view tag, std::string_view v) {
  T out{};
  if (v.empty() || v.find_first_not_of("0123456789") != std::string_view::npos)
    return Malformed(std::string(tag) + "= must be decimal digits, got '" + std::string(v.substr(0, 30)) + "'");
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size()) return Malformed(std::string(tag) + "= is out of range");
  return out;
}

Result<std::string> DecodeBase64Tag(std::string_view tag, std::string_view v) {
  auto decoded = crypto::Base64Decode(StripFws(v));
  if (!decoded.ok()) return Malformed(std::string(tag) + "= is not valid base64: " + decoded.status().message());
  return std::move(decoded).value();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// i= must be the signing domain or a subdomain of it (§3.5, "i=").
bool IdentityWithinDomain(std::string_view identity, std::string_view domain) {
  size_t at = identity.rfind('@');
  if (at == std::string_view::npos) return false;
  std::string id_domain = Lower(identity.substr(at + 1));
  std::string d = Lower(domain);
  if (id_domain == d) return true;
  return id_domain.size() > d.size() && id_domain.compare(id_domain.size() - d.size(), d.size(), d) == 0 &&
         id_domain[id_domain.size() - d.size() - 1] == '.';
}

}  // namespace

std::string_view AlgorithmName(Algorithm a) {
  return a == Algorithm::kRsaSha256 ? "rsa-sha256" : "ed25519-sha256";
}

crypto::KeyType AlgorithmKeyType(Algorithm a) { return a == Algorithm::kRsaSha256 ? crypto::KeyType::kRsa : crypto::KeyType::kEd25519; }

Algorithm AlgorithmForKey(crypto::KeyType t) { return t == crypto::KeyType::kRsa ? Algorithm::kRsaSha256 : Algorithm::kEd25519Sha256; }

Result<Signature> ParseSignatureField(std::string_view field) {
  size_t colon = field.find(':');
  if (colon == std::string_view::npos) return Malformed("no colon after the field name");
  std::string_view name = field.substr(0, colon);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
  if (!EqualsIgnoreCase(name, kSignatureFieldName)) return Malformed("not a DKIM-Signature field");
  std::string_view value = field.substr(colon + 1);
  auto parsed = ParseTagList(value);
  if (!parsed.ok()) return parsed.status().WithContext("DKIM-Signature");
  const std::vector<Tag>& tags = *parsed;

  for (const char* required : {"v", "a", "b", "bh", "d", "h", "s"})
    if (!FindTag(tags, required)) return Malformed(std::string("required tag ") + required + "= is missing");

  Signature sig;
  if (*FindTag(tags, "v") != "1") return Unsupported("unsupported version v=" + std::string(*FindTag(tags, "v")));

  std::string_view a = *FindTag(tags, "a");
  if (a == "rsa-sha256") {
    sig.algorithm = Algorithm::kRsaSha256;
  } else if (a == "ed25519-sha256") {
    sig.algorithm = Algorithm::kEd25519Sha256;
  } else if (a == "rsa-sha1") {
    return Unsupported("a=rsa-sha1 is no longer acceptable (RFC 8301 §3.1)");
  } else {
    return Unsupported("unknown algorithm a=" + std::string(a.substr(0, 40)));
  }

  if (auto c = FindTag(tags, "c")) {
    size_t slash = c->find('/');
    auto hc = ParseCanonicalization(c->substr(0, slash));
    if (!hc) return Unsupported("unknown header canonicalization in c=" + std::string(*c));
    sig.header_canon = *hc;
    // "If only one algorithm is named, that algorithm is used for the header
    // and "simple" is used for the body." (§3.5, c=)
    if (slash != std::string_view::npos) {
      auto bc = ParseCanonicalization(c->substr(slash + 1));
      if (!bc) return Unsupported("unknown body canonicalization in c=" + std::string(*c));
      sig.body_canon = *bc;
    }
  }

  sig.domain = StripFws(*FindTag(tags, "d"));
  if (sig.domain.empty()) return Malformed("d= is empty");
  sig.selector = StripFws(*FindTag(tags, "s"));
  if (sig.selector.empty()) return Malformed("s= is empty");

  std::string h = StripFws(*FindTag(tags, "h"));
  bool has_from = false;
  for (size_t pos = 0; pos <= h.size();) {
    size_t next = h.find(':', pos);
    if (next == std::string::npos) next = h.size();
    std::string name_lc = Lower(std::string_view(h).substr(pos, next - pos));
    if (name_lc.empty()) return Malformed("h= has an empty header name");
    has_from |= name_lc == "from";
    sig.signed_headers.push_back(std::move(name_lc));
    pos = next + 1;
  }
  // §6.1.1: a signature whose h= does not include From MUST be ignored.
  if (!has_from) return Malformed("h= does not include From");

  TAYORI_ASSIGN_OR_RETURN(sig.body_hash, DecodeBase64Tag("bh", *FindTag(tags, "bh")));
  if (sig.body_hash.size() != 32) return Malformed("bh= is not a SHA-256 digest (32 bytes)");
  TAYORI_ASSIGN_OR_RETURN(sig.signature, DecodeBase64Tag("b", *FindTag(tags, "b")));
  if (sig.signature.empty()) return Malformed("b= is empty");

  if (auto i = FindTag(tags, "i")) {
    sig.identity = StripFws(*i);
    if (!IdentityWithinDomain(sig.identity, sig.domain))
      return Malformed("i=" + sig.identity + " is not within d=" + sig.domain);
  }
  if (auto l = FindTag(tags, "l")) {
    TAYORI_ASSIGN_OR_RETURN(sig.body_length, ParseNumber<uint64_t>("l", *l));
  }
  if (auto q = FindTag(tags, "q")) {
    std::string methods = StripFws(*q);
    bool dns = false;
    for (size_t pos = 0; pos <= methods.size();) {
      size_t next = methods.find(':', pos);
      if (next == std::string::npos) next = methods.size();
      dns |= std::string_view(methods).substr(pos, next - pos) == "dns/txt";
      pos = next + 1;
    }
    if (!dns) return Unsupported("q=" + methods + " has no dns/txt");
  }
  if (auto t = FindTag(tags, "t")) {
    TAYORI_ASSIGN_OR_RETURN(sig.timestamp, ParseNumber<int64_t>("t", *t));
  }
  if (auto x = FindTag(tags, "x")) {
    TAYORI_ASSIGN_OR_RETURN(sig.expiry, ParseNumber<int64_t>("x", *x));
    // §3.5, x=: "the value of the "x=" tag MUST be greater than the value of the "t=" tag".
    if (sig.timestamp && *sig.expiry <= *sig.timestamp) return Malformed("x= is not after t=");
  }

  for (const Tag& t : tags) {
    if (t.name == "b") {
      sig.b_value_begin = colon + 1 + t.value_begin;
      sig.b_value_end = sig.b_value_begin + t.value.size();
    }
  }
  return sig;
}

}  // namespace tayori::dkim
