// The envelope sender (MAIL FROM) of a delivery, from the configured pattern:
// "bounces+{delivery_id}.{mac}@bounce.platform.example" (VERP). {mac} is the
// first 10 base32 characters of HMAC-SHA256(key, delivery id), so a bounce
// processor can tell our bounces from forged ones without a database lookup.
#pragma once

#include <cstdint>
#include <string>

namespace tayori::smtp {

class ReturnPath {
 public:
  // The pattern is validated by config (only {delivery_id} and {mac}).
  ReturnPath(std::string pattern, std::string mac_key);
  std::string For(uint64_t delivery_id) const;
  // True when `mac` is the right one for the delivery (constant time).
  bool Verify(uint64_t delivery_id, const std::string& mac) const;

 private:
  std::string Mac(uint64_t delivery_id) const;
  std::string pattern_;
  std::string mac_key_;
};

}  // namespace tayori::smtp
