#include "inbound/recipient.h"

#include <algorithm>

#include "inbound/command.h"

namespace tayori::inbound {
namespace {

constexpr size_t kMacChars = 10;     // smtp/return_path.h: the first 10 base32 characters
constexpr size_t kMaxIdDigits = 20;  // a uint64_t

bool Base32(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'); }
bool Digit(char c) { return c >= '0' && c <= '9'; }

std::string NormalDomain(std::string_view d) {
  while (!d.empty() && d.back() == '.') d.remove_suffix(1);
  return ToLowerAscii(d);
}

}  // namespace

RecipientClassifier::RecipientClassifier(std::string_view return_path, const std::vector<std::string>& bounce_domains,
                                         const std::vector<std::string>& complaint_addresses) {
  std::string_view p = return_path.substr(0, return_path.rfind('@'));
  while (!p.empty()) {
    size_t id = p.find("{delivery_id}"), mac = p.find("{mac}");
    size_t next = std::min(id, mac);
    if (next > 0) shape_.push_back({Segment::kLiteral, ToLowerAscii(p.substr(0, next))});
    if (next == std::string_view::npos) break;
    if (next == id) {
      shape_.push_back({Segment::kDeliveryId, ""});
      p.remove_prefix(id + 13);
    } else {
      shape_.push_back({Segment::kMac, ""});
      p.remove_prefix(mac + 5);
    }
  }
  for (const std::string& d : bounce_domains) bounce_domains_.push_back(NormalDomain(d));
  for (const std::string& a : complaint_addresses) complaint_addresses_.push_back(ToLowerAscii(a));
}

// Matches `local` against shape_[seg…]. A delivery id is a run of digits of
// any length up to 20, tried from the longest down: a {mac} right after it
// may start with digits too.
bool RecipientClassifier::Match(std::string_view local, size_t seg) const {
  if (seg == shape_.size()) return local.empty();
  const Segment& s = shape_[seg];
  switch (s.kind) {
    case Segment::kLiteral:
      return StartsWithIgnoreCase(local, s.literal) && Match(local.substr(s.literal.size()), seg + 1);
    case Segment::kMac:
      if (local.size() < kMacChars || !std::all_of(local.begin(), local.begin() + kMacChars, Base32)) return false;
      return Match(local.substr(kMacChars), seg + 1);
    case Segment::kDeliveryId: {
      size_t n = 0;
      while (n < local.size() && n < kMaxIdDigits && Digit(local[n])) ++n;
      for (; n > 0; --n)
        if (Match(local.substr(n), seg + 1)) return true;
      return false;
    }
  }
  return false;
}

RecipientVerdict RecipientClassifier::Classify(std::string_view address) const {
  if (address.size() >= 2 && address.front() == '<' && address.back() == '>')
    address = address.substr(1, address.size() - 2);
  RecipientVerdict v;
  size_t at = address.rfind('@');
  if (at == std::string_view::npos || at == 0) {
    v.reason = "not a bounce or complaint address";
    return v;
  }
  std::string lower = ToLowerAscii(address);
  if (std::find(complaint_addresses_.begin(), complaint_addresses_.end(), lower) != complaint_addresses_.end()) {
    v.kind = RecipientKind::kComplaint;
    return v;
  }
  std::string domain = NormalDomain(address.substr(at + 1));
  if (std::find(bounce_domains_.begin(), bounce_domains_.end(), domain) == bounce_domains_.end()) {
    v.reason = "not a bounce or complaint address";
    return v;
  }
  if (!Match(address.substr(0, at), 0)) {
    v.reason = "not a return path of this platform";
    return v;
  }
  v.kind = RecipientKind::kBounce;
  return v;
}

RecipientCheck RecipientClassifier::AsCheck() const {
  return [self = *this](std::string_view address) { return self.Classify(address); };
}

}  // namespace tayori::inbound
