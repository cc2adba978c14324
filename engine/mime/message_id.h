// Message-ID values (RFC 5322 §3.6.4): "<random@author-domain>". Gmail
// rejects mail without one (550 5.7.1) and throttles repeats, so the left
// part is 128 random bits; the right part is the From domain in A-label form
// (RFC 5322 §3.6.4), which also ties the id to the domain that signs.
#pragma once

#include <string>
#include <string_view>

namespace tayori::mime {

// Number of random bytes MakeMessageId expects.
constexpr size_t kMessageIdRandomBytes = 16;

// `random` supplies the entropy (kMessageIdRandomBytes bytes; more are
// ignored, fewer make a shorter id); `domain` must already be an A-label
// host name (DomainToALabel). Returns "<hex@domain>" including the brackets.
std::string MakeMessageId(std::string_view random, std::string_view domain);

}  // namespace tayori::mime
