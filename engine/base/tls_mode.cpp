#include "base/tls_mode.h"

namespace tayori {

std::string_view TlsModeName(TlsMode mode) {
  switch (mode) {
    case TlsMode::kNone: return "none";
    case TlsMode::kStartTls: return "starttls";
    case TlsMode::kImplicit: return "implicit";
  }
  return "?";
}

}  // namespace tayori
