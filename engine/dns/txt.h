// TXT record values in the forms DNS APIs want. A TXT record is a sequence
// of character-strings of at most 255 bytes each (RFC 1035 §3.3.14); a DKIM
// key record (RFC 6376 §3.6.2.2) is longer, so it is split, and readers join
// the strings back without separators.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tayori::dns {

constexpr size_t kTxtStringMax = 255;

// Splits `value` into character-strings of at most `max` bytes; joined they
// give back `value`. An empty value is one empty string.
std::vector<std::string> SplitTxt(std::string_view value, size_t max = kTxtStringMax);

// Zone-file presentation of the whole record: each character-string in double
// quotes, '"' and '\' escaped with a backslash, separated by one space:
//   "v=DKIM1; k=rsa; p=MIIB…(255 bytes)" "…rest"
// This is what PowerDNS (rrset content) and Route 53 (<Value>) take.
std::string QuoteTxt(std::string_view value);

// Inverse of QuoteTxt for one record (tests, and reading back API answers).
// Returns false on malformed input.
bool UnquoteTxt(std::string_view quoted, std::string* value);

// "name." — the canonical, fully qualified form DNS APIs require.
std::string Fqdn(std::string_view name);

}  // namespace tayori::dns
