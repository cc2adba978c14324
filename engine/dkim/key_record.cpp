#include "dkim/key_record.h"

#include <string>

#include "crypto/primitives.h"
#include "dkim/tag_list.h"

namespace tayori::dkim {
namespace {

// True when the colon-separated list (FWS allowed) contains `item`.
bool ListContains(std::string_view list, std::string_view item) {
  std::string flat = StripFws(list);
  std::string_view rest = flat;
  while (true) {
    size_t colon = rest.find(':');
    if (rest.substr(0, colon) == item) return true;
    if (colon == std::string_view::npos) return false;
    rest.remove_prefix(colon + 1);
  }
}

}  // namespace

std::string KeyRecordText(const crypto::PrivateKey& key) {
  return "v=DKIM1; k=" + std::string(crypto::KeyTypeName(key.type())) + "; p=" + key.PublicKeyBase64();
}

Result<KeyRecord> ParseKeyRecord(std::string_view txt) {
  auto tags = ParseTagList(txt);
  if (!tags.ok()) return tags.status().WithContext("key record");
  KeyRecord record;
  if (auto v = FindTag(*tags, "v")) {
    if (*v != "DKIM1") return InvalidInput("key record: v=" + std::string(*v) + " is not DKIM1");
    if (tags->front().name != "v") return InvalidInput("key record: v= must be the first tag (RFC 6376 §3.6.1)");
  }
  if (auto h = FindTag(*tags, "h"); h && !ListContains(*h, "sha256"))
    return InvalidInput("key record: h=" + std::string(*h) + " does not allow sha256");
  if (auto k = FindTag(*tags, "k")) {
    if (*k == "rsa") {
      record.type = crypto::KeyType::kRsa;
    } else if (*k == "ed25519") {
      record.type = crypto::KeyType::kEd25519;
    } else {
      return InvalidInput("key record: unknown key type k=" + std::string(*k));
    }
  }
  if (auto s = FindTag(*tags, "s"); s && !ListContains(*s, "*") && !ListContains(*s, "email"))
    return InvalidInput("key record: s=" + std::string(*s) + " does not cover email");
  if (auto t = FindTag(*tags, "t")) {
    record.testing = ListContains(*t, "y");
    record.strict = ListContains(*t, "s");
  }
  auto p = FindTag(*tags, "p");
  if (!p) return InvalidInput("key record: required tag p= is missing");
  std::string b64 = StripFws(*p);
  if (b64.empty()) {
    record.revoked = true;  // "An empty value means that this public key has been revoked."
    return record;
  }
  auto der = crypto::Base64Decode(b64);
  if (!der.ok()) return der.status().WithContext("key record: p= is not valid base64");
  auto key = crypto::PublicKey::FromDkimBytes(record.type, *der);
  if (!key.ok()) return key.status().WithContext("key record");
  record.key = std::move(key).value();
  return record;
}

}  // namespace tayori::dkim
