#include "feedback/verp.h"

#include <charconv>

#include "feedback/fields.h"

namespace tayori::feedback {
namespace {

constexpr size_t kMacChars = 10;  // smtp/return_path.h: the first 10 base32 characters
constexpr size_t kMaxIdDigits = 20;

bool Base32(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'); }

}  // namespace

VerpMatcher::VerpMatcher(VerpKey key) : return_path_(key.pattern, key.mac_key) {
  std::string_view p = key.pattern;
  bool has_id = false, has_mac = false;
  while (!p.empty()) {
    size_t id = p.find("{delivery_id}"), mac = p.find("{mac}");
    size_t next = std::min(id, mac);
    if (next > 0) segments_.push_back({Segment::kLiteral, std::string(p.substr(0, std::min(next, p.size())))});
    if (next == std::string_view::npos) break;
    if (next == id) {
      segments_.push_back({Segment::kDeliveryId, ""});
      has_id = true;
      p.remove_prefix(id + 13);
    } else {
      segments_.push_back({Segment::kMac, ""});
      has_mac = true;
      p.remove_prefix(mac + 5);
    }
  }
  can_verify_ = has_id && has_mac && !key.mac_key.empty();
}

// Matches `a` against segments_[seg…]. A delivery id is a run of digits of
// any length, so it is tried from the longest down (it may sit right
// before a {mac}, whose alphabet has digits too).
bool VerpMatcher::Walk(std::string_view a, size_t seg, std::string& id, std::string& mac) const {
  if (seg == segments_.size()) return a.empty();
  const Segment& s = segments_[seg];
  switch (s.kind) {
    case Segment::kLiteral:
      return StartsWithIgnoreCase(a, s.literal) && Walk(a.substr(s.literal.size()), seg + 1, id, mac);
    case Segment::kMac: {
      if (a.size() < kMacChars) return false;
      for (size_t i = 0; i < kMacChars; ++i)
        if (!Base32(a[i])) return false;
      mac = ToLowerAscii(a.substr(0, kMacChars));
      return Walk(a.substr(kMacChars), seg + 1, id, mac);
    }
    case Segment::kDeliveryId: {
      size_t n = 0;
      while (n < a.size() && n < kMaxIdDigits && a[n] >= '0' && a[n] <= '9') ++n;
      for (; n > 0; --n) {
        id.assign(a.substr(0, n));
        if (Walk(a.substr(n), seg + 1, id, mac)) return true;
      }
      return false;
    }
  }
  return false;
}

VerpMatcher::Match VerpMatcher::Check(std::string_view address) const {
  address = TrimSpace(address);
  if (address.size() >= 2 && address.front() == '<' && address.back() == '>')
    address = TrimSpace(address.substr(1, address.size() - 2));
  Match m;
  std::string id, mac;
  // Without a MAC nothing can be told apart from a forgery: nothing matches.
  if (!can_verify_ || !Walk(address, 0, id, mac)) return m;
  m.verdict = Verdict::kForged;
  // Tayori writes ids without leading zeros; "007" is not the id 7's address.
  if (id.empty() || (id.size() > 1 && id[0] == '0')) return m;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), value);
  if (ec != std::errc() || end != id.data() + id.size()) return m;
  if (!return_path_.Verify(value, mac)) return m;
  m.verdict = Verdict::kVerified;
  m.delivery_id = value;
  return m;
}

}  // namespace tayori::feedback
