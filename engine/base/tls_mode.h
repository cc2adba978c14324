// How an SMTP connection to a relay is secured — one type for the
// configuration ([[relays]] tls), the transfers that make the connection
// (net/) and the readiness check that probes it (readiness/).
#pragma once

#include <string_view>

namespace tayori {

enum class TlsMode {
  kNone,      // plain text (loopback relays only; config refuses AUTH over it)
  kStartTls,  // port 587: STARTTLS required before MAIL
  kImplicit,  // port 465: TLS from the first byte
};

// "none", "starttls", "implicit": the configuration's words.
std::string_view TlsModeName(TlsMode mode);

}  // namespace tayori
