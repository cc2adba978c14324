// Recognises Tayori's own VERP return paths in addresses found in a report:
// the configured pattern ([envelope] return_path, e.g.
// "bounces+{delivery_id}.{mac}@bounce.platform.example") with the delivery
// id and MAC read back, and the MAC checked by smtp::ReturnPath::Verify.
// An address in the pattern's shape whose MAC is wrong is forged or
// altered: it names no delivery.
//
// Thread-safety: immutable after construction; Check is safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/return_path.h"

namespace tayori::feedback {

// The VERP settings of config [envelope]: the return_path pattern and the
// MAC key (the bytes of the variable mac_key_env names).
struct VerpKey {
  std::string pattern;
  std::string mac_key;
};

class VerpMatcher {
 public:
  // A pattern without both {delivery_id} and {mac}, or an empty key, makes
  // a matcher for which every address is kNotVerp: an unsigned id proves
  // nothing.
  explicit VerpMatcher(VerpKey key);

  enum class Verdict { kNotVerp, kVerified, kForged };
  struct Match {
    Verdict verdict = Verdict::kNotVerp;
    uint64_t delivery_id = 0;  // when kVerified
  };
  // `address` bare or in <…>; the fixed parts of the pattern compare
  // without regard to case, the MAC in lower case (it is base32).
  Match Check(std::string_view address) const;

 private:
  struct Segment {
    enum Kind { kLiteral, kDeliveryId, kMac } kind;
    std::string literal;
  };
  bool Walk(std::string_view address, size_t seg, std::string& id, std::string& mac) const;

  std::vector<Segment> segments_;
  smtp::ReturnPath return_path_;
  bool can_verify_ = false;
};

}  // namespace tayori::feedback
