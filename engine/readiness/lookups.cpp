#include "readiness/lookups.h"

#include <arpa/inet.h>

#include <cstdio>

namespace tayori::readiness {

std::string_view RrTypeName(RrType type) {
  switch (type) {
    case RrType::kA: return "A";
    case RrType::kCname: return "CNAME";
    case RrType::kPtr: return "PTR";
    case RrType::kMx: return "MX";
    case RrType::kTxt: return "TXT";
    case RrType::kAaaa: return "AAAA";
  }
  return "?";
}

std::string ReverseName(const std::string& ip) {
  unsigned char b[16];
  if (inet_pton(AF_INET, ip.c_str(), b) == 1) {
    char out[32];
    std::snprintf(out, sizeof out, "%u.%u.%u.%u.in-addr.arpa", b[3], b[2], b[1], b[0]);
    return out;
  }
  if (inet_pton(AF_INET6, ip.c_str(), b) == 1) {
    static const char kHex[] = "0123456789abcdef";
    std::string out;
    for (int i = 15; i >= 0; --i) {
      out += kHex[b[i] & 0xf];
      out += '.';
      out += kHex[b[i] >> 4];
      out += '.';
    }
    return out + "ip6.arpa";
  }
  return "";
}

}  // namespace tayori::readiness
