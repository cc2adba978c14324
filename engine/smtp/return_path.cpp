#include "smtp/return_path.h"

#include "crypto/primitives.h"

namespace tayori::smtp {

ReturnPath::ReturnPath(std::string pattern, std::string mac_key)
    : pattern_(std::move(pattern)), mac_key_(std::move(mac_key)) {}

std::string ReturnPath::Mac(uint64_t delivery_id) const {
  // Base32 (RFC 4648 alphabet, lower case): safe in a local part, case-insensitive.
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  auto digest = crypto::HmacSha256(mac_key_, std::to_string(delivery_id));
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < digest.size() && out.size() < 10; ++i) {
    acc = (acc << 8) | digest[i];
    bits += 8;
    while (bits >= 5 && out.size() < 10) {
      bits -= 5;
      out += kAlphabet[(acc >> bits) & 31];
    }
  }
  return out;
}

std::string ReturnPath::For(uint64_t delivery_id) const {
  std::string out = pattern_;
  auto replace = [&](const std::string& ph, const std::string& value) {
    for (size_t p; (p = out.find(ph)) != std::string::npos;) out.replace(p, ph.size(), value);
  };
  replace("{delivery_id}", std::to_string(delivery_id));
  if (out.find("{mac}") != std::string::npos) replace("{mac}", Mac(delivery_id));
  return out;
}

bool ReturnPath::Verify(uint64_t delivery_id, const std::string& mac) const {
  return crypto::ConstantTimeEqual(Mac(delivery_id), mac);
}

}  // namespace tayori::smtp
