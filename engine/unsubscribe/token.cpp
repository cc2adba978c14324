#include "unsubscribe/token.h"

#include "crypto/primitives.h"

namespace tayori::unsubscribe {
namespace {

constexpr uint8_t kVersion = 1;
constexpr size_t kMacBytes = 16;
constexpr size_t kMaxKeyId = 16;
constexpr std::string_view kContext = "tayori-unsubscribe";

bool ValidKeyId(std::string_view id) {
  if (id.empty() || id.size() > kMaxKeyId) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

// Reads a minimal-length LEB128 value; false on truncation, overflow or a
// redundant trailing zero group (so each field has exactly one encoding).
bool GetVarint(std::string_view& in, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in.empty()) return false;
    uint8_t b = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    if (shift == 63 && b > 1) return false;
    v |= uint64_t{b & 0x7Fu} << shift;
    if ((b & 0x80) == 0) return !(b == 0 && shift > 0);
  }
  return false;
}

std::string Mac(const SigningKey& key, std::string_view signed_bytes) {
  std::string data;
  data.reserve(kContext.size() + key.id().size() + signed_bytes.size() + 2);
  data.append(kContext);
  data += '\0';
  data += key.id();
  data += '\0';
  data.append(signed_bytes);
  crypto::Sha256Digest d = crypto::HmacSha256(key.secret(), data);
  return std::string(crypto::AsBytes(d).substr(0, kMacBytes));
}

Status Fail(TokenError e, TokenError* why, std::string message) {
  if (why) *why = e;
  return InvalidInput("unsubscribe token: " + message);
}

}  // namespace

Result<SigningKey> SigningKey::Make(std::string_view key_id, std::string_view secret) {
  if (!ValidKeyId(key_id))
    return ConfigError("unsubscribe key id '" + std::string(key_id) + "' must be 1 to 16 letters or digits");
  if (secret.size() < kMinSecretBytes)
    return ConfigError("unsubscribe key '" + std::string(key_id) + "': secret has " + std::to_string(secret.size()) +
                       " bytes, needs at least " + std::to_string(kMinSecretBytes));
  return SigningKey(std::string(key_id), std::string(secret));
}

Result<SigningKey> SigningKey::FromBase64(std::string_view key_id, std::string_view secret_base64) {
  // Normalised to padded §4 base64 for the one strict decoder; the text is
  // never echoed in an error, only what kind of problem it has.
  std::string text;
  text.reserve(secret_base64.size() + 2);
  bool standard = false, url_safe = false;
  for (char c : secret_base64) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    standard = standard || c == '+' || c == '/';
    url_safe = url_safe || c == '-' || c == '_';
    text += c == '-' ? '+' : c == '_' ? '/' : c;
  }
  if (text.empty()) return ConfigError("the secret is empty; set it to base64 of 32 or more random bytes");
  if (standard && url_safe) return ConfigError("the secret mixes the base64 and base64url alphabets");
  if (text.find('=') == std::string::npos) text.append((4 - text.size() % 4) % 4, '=');
  auto bytes = crypto::Base64Decode(text);
  if (!bytes.ok())
    return ConfigError("the secret is not base64 (RFC 4648); generate one with `openssl rand -base64 32`");
  if (bytes->size() < kMinSecretBytes)
    return ConfigError("the secret decodes to " + std::to_string(bytes->size()) + " bytes, needs at least " +
                       std::to_string(kMinSecretBytes) + " (base64 of 32 random bytes: `openssl rand -base64 32`)");
  return Make(key_id, *bytes);
}

Status KeySet::Add(SigningKey key) {
  std::string id = key.id();
  if (!keys_.emplace(id, std::move(key)).second) return ConfigError("unsubscribe key id '" + id + "' appears twice");
  return Status::Ok();
}

const SigningKey* KeySet::Find(std::string_view key_id) const {
  auto it = keys_.find(key_id);
  return it == keys_.end() ? nullptr : &it->second;
}

std::string Encode(const SigningKey& key, const TokenFields& f) {
  std::string payload;
  payload.reserve(2 + 4 * 10 + kMacBytes);
  payload += static_cast<char>(kVersion);
  payload += static_cast<char>(f.scope);
  PutVarint(payload, f.tenant_id);
  PutVarint(payload, f.list_id);
  PutVarint(payload, f.subscriber_id);
  PutVarint(payload, f.campaign_id);
  payload += Mac(key, payload);
  std::string token = key.id();
  token += '.';
  token += crypto::Base64UrlEncode(payload);
  return token;
}

Result<TokenFields> Verify(std::string_view token, const KeySet& keys, TokenError* why) {
  if (why) *why = TokenError::kNone;
  size_t dot = token.find('.');
  if (dot == std::string_view::npos) return Fail(TokenError::kMalformed, why, "malformed: no '.' after the key id");
  std::string_view key_id = token.substr(0, dot);
  if (!ValidKeyId(key_id)) return Fail(TokenError::kMalformed, why, "malformed: the key id is not 1 to 16 letters or digits");
  auto payload = crypto::Base64UrlDecode(token.substr(dot + 1));
  if (!payload.ok()) return Fail(TokenError::kMalformed, why, "malformed: the payload is not base64url");
  std::string_view p = *payload;
  if (p.size() < 2 + 4 + kMacBytes) return Fail(TokenError::kMalformed, why, "malformed: the payload is too short");
  if (static_cast<uint8_t>(p[0]) != kVersion)
    return Fail(TokenError::kMalformed, why, "malformed: unsupported version " + std::to_string(uint8_t(p[0])));
  std::string_view mac = p.substr(p.size() - kMacBytes);
  std::string_view signed_bytes = p.substr(0, p.size() - kMacBytes);

  TokenFields f;
  uint8_t scope = static_cast<uint8_t>(signed_bytes[1]);
  if (scope != static_cast<uint8_t>(Scope::kList) && scope != static_cast<uint8_t>(Scope::kShop))
    return Fail(TokenError::kMalformed, why, "malformed: unknown scope " + std::to_string(scope));
  f.scope = static_cast<Scope>(scope);
  std::string_view rest = signed_bytes.substr(2);
  if (!GetVarint(rest, f.tenant_id) || !GetVarint(rest, f.list_id) || !GetVarint(rest, f.subscriber_id) ||
      !GetVarint(rest, f.campaign_id) || !rest.empty())
    return Fail(TokenError::kMalformed, why, "malformed: the id fields do not decode");

  const SigningKey* key = keys.Find(key_id);
  if (!key) return Fail(TokenError::kUnknownKeyId, why, "unknown key id '" + std::string(key_id) + "'");
  if (!crypto::ConstantTimeEqual(Mac(*key, signed_bytes), mac))
    return Fail(TokenError::kBadMac, why, "bad MAC: the token was altered or not issued by this server");
  return f;
}

}  // namespace tayori::unsubscribe
