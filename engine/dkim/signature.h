// The DKIM-Signature header field (RFC 6376 §3.5): what its tags say, parsed
// with precise errors, and the algorithms Tayori signs and verifies.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "dkim/canonicalization.h"
#include "crypto/key.h"

namespace tayori::dkim {

inline constexpr std::string_view kSignatureFieldName = "DKIM-Signature";

// rsa-sha256 (RFC 6376 §3.3) and ed25519-sha256 (RFC 8463 §3). rsa-sha1 is
// refused: RFC 8301 §3.1 forbids signing with it and verifiers must not
// consider it valid.
enum class Algorithm { kRsaSha256, kEd25519Sha256 };

std::string_view AlgorithmName(Algorithm a);  // the a= value
crypto::KeyType AlgorithmKeyType(Algorithm a);
Algorithm AlgorithmForKey(crypto::KeyType t);

struct Signature {
  Algorithm algorithm = Algorithm::kRsaSha256;
  Canonicalization header_canon = Canonicalization::kSimple;  // c= defaults to simple/simple
  Canonicalization body_canon = Canonicalization::kSimple;
  std::string domain;    // d=
  std::string selector;  // s=
  std::string identity;  // i=, empty when absent (then "@" + d=)
  std::vector<std::string> signed_headers;  // h=, lower-cased, in order
  std::string body_hash;                    // bh=, decoded
  std::string signature;                    // b=, decoded
  std::optional<uint64_t> body_length;      // l=
  std::optional<int64_t> timestamp;         // t=
  std::optional<int64_t> expiry;            // x=
  // Where b='s value sits in the field text given to ParseSignatureField:
  // verification hashes the field with [b_value_begin, b_value_end) removed
  // (§3.7: "the value of the b= tag ... deleted").
  size_t b_value_begin = 0;
  size_t b_value_end = 0;
};

// Parses a whole DKIM-Signature field ("DKIM-Signature: v=1; ..." without the
// final CRLF). Errors:
//   kInvalidInput - malformed: tag-list syntax, a required tag (v a b bh d h s)
//                   missing, bad base64, a non-numeric t=/x=/l=, x= not after
//                   t=, h= without From, i= outside d=, duplicate tags.
//   kPermanent    - well formed but unsupported: v= other than 1, an unknown
//                   or forbidden a= (rsa-sha1), q= without dns/txt, unknown c=.
Result<Signature> ParseSignatureField(std::string_view field);

}  // namespace tayori::dkim
