// What a DKIM signature covers, as pure steps shared by signer and verifier:
// the body hash (bh=, RFC 6376 §3.7 step 1) and the header data whose hash
// b= signs (§3.7 step 2, §5.4.2).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dkim/canonicalization.h"
#include "crypto/primitives.h"
#include "dkim/hash.h"
#include "dkim/message.h"

namespace tayori::dkim {

struct BodyHash {
  crypto::Sha256Digest digest{};
  uint64_t canonical_length = 0;  // of the whole canonical body, before any l= cut
};

// SHA-256 of the canonical body, or of its first `limit` canonical bytes (l=).
// `hasher` is Reset() first; passing one in lets a caller reuse its context.
BodyHash ComputeBodyHash(std::string_view body, Canonicalization c, std::optional<uint64_t> limit,
                         Sha256Hasher* hasher);

// Writes the header data to `sink`: for each name in `signed_headers` the next
// unused instance of that field counting from the bottom (§5.4.2), in
// canonical form followed by CRLF; a name with no instance left contributes
// nothing (this is what makes over-signing work). Then `signature_field` -
// the DKIM-Signature field with an empty b= value - canonicalized, without a
// final CRLF (§3.7).
void WriteSignedHeaderData(const std::vector<HeaderField>& fields, const std::vector<std::string>& signed_headers,
                           Canonicalization c, std::string_view signature_field, ByteSink* sink);

}  // namespace tayori::dkim
