// Internationalized domain names (IDNA2008, via libidn2): the only place
// Tayori converts between U-labels (日本.example) and A-labels
// (xn--wgv71a.example). Addresses, Message-ID, the envelope and DKIM d= all
// carry A-labels on the wire.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace tayori::mime {

// Converts a domain (UTF-8, any case) to its lower-case A-label form and checks
// it is a valid host name: labels of 1..63 letters, digits and '-', not
// starting or ending with '-', 253 octets at most, at least two labels.
// Errors (kInvalidInput) say which label is wrong and why.
Result<std::string> DomainToALabel(std::string_view domain);

// The Unicode form for display; returns the input when it has no A-labels.
Result<std::string> DomainToULabel(std::string_view domain);

}  // namespace tayori::mime
