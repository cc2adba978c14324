#include "keys/rotation.h"

#include <algorithm>
#include <ctime>

namespace tayori::keys {
namespace {

SysTime At(int64_t unix_seconds) { return SysTime(std::chrono::seconds(unix_seconds)); }

std::string Iso(SysTime t) {
  std::time_t s = static_cast<std::time_t>(UnixSeconds(t));
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
  return buf;
}

bool Is(const store::DomainKeyRow& k, KeyState s) { return k.state == s; }

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

RotationPolicy PolicyFrom(const config::Dkim& dkim) {
  RotationPolicy p;
  p.rotation_age = std::chrono::seconds(int64_t{dkim.rotation_age_days} * 86400);
  p.grace = std::chrono::seconds(int64_t{dkim.grace_days} * 86400);
  p.record_ttl = std::chrono::seconds(dkim.record_ttl_s);
  p.selectors = dkim.selectors;
  return p;
}

std::string_view RotationActionName(RotationAction a) {
  switch (a) {
    case RotationAction::kNone: return "none";
    case RotationAction::kCreateKey: return "create-key";
    case RotationAction::kPublish: return "publish";
    case RotationAction::kWaitPropagation: return "wait-propagation";
    case RotationAction::kCheckPropagation: return "check-propagation";
    case RotationAction::kWaitGrace: return "wait-grace";
    case RotationAction::kRevoke: return "revoke";
    case RotationAction::kWaitRemoval: return "wait-removal";
    case RotationAction::kRemoveRecord: return "remove-record";
    case RotationAction::kBroken: return "broken";
  }
  return "?";
}

bool IsWait(RotationAction a) {
  return a == RotationAction::kNone || a == RotationAction::kWaitPropagation || a == RotationAction::kWaitGrace ||
         a == RotationAction::kWaitRemoval;
}

RotationDecision DecideRotation(const std::vector<store::DomainKeyRow>& all, SysTime now, const RotationPolicy& policy,
                                bool requested) {
  RotationDecision d;
  std::vector<const store::DomainKeyRow*> keys;
  for (const auto& k : all)
    if (!(Is(k, KeyState::kRevoked) && k.record_removed_s != 0)) keys.push_back(&k);
  // The RSA signing key (an Ed25519 companion, if any, is not rotated here).
  const store::DomainKeyRow* active = nullptr;
  for (const auto* k : keys)
    if (Is(*k, KeyState::kActive) && k->algorithm == "rsa-sha256") active = k;
  if (!active) {
    d.action = RotationAction::kBroken;
    d.reason = "no active RSA key";
    return d;
  }
  d.active = *active;

  // A rotation in progress: the key made to replace the active one.
  for (const auto* k : keys) {
    if (k->rotation_of != active->domain_key_id) continue;
    if (Is(*k, KeyState::kPending)) {
      d.action = RotationAction::kPublish;
      d.key = *k;
      d.reason = "publish the new key on selector " + k->selector;
      return d;
    }
    if (Is(*k, KeyState::kPublished)) {
      d.key = *k;
      SysTime ready = At(k->published_s) + policy.record_ttl;
      if (now < ready) {
        d.action = RotationAction::kWaitPropagation;
        d.wait_until = ready;
        d.reason = "selector " + k->selector + " published; caches may hold the old answer until " + Iso(ready);
      } else {
        d.action = RotationAction::kCheckPropagation;
        d.reason = "check that DNS answers selector " + k->selector + " with the new key";
      }
      return d;
    }
  }

  // The tail of the previous rotation.
  for (const auto* k : keys) {
    if (!Is(*k, KeyState::kRetiring)) continue;
    d.key = *k;
    SysTime until = At(k->retire_after_s);
    if (now < until) {
      d.action = RotationAction::kWaitGrace;
      d.wait_until = until;
      d.reason = "selector " + k->selector + " stays published for signatures in flight until " + Iso(until);
    } else {
      d.action = RotationAction::kRevoke;
      d.reason = "grace period of selector " + k->selector + " is over: revoke it";
    }
    return d;
  }
  for (const auto* k : keys) {
    if (!Is(*k, KeyState::kRevoked)) continue;
    d.key = *k;
    SysTime until = At(k->revoked_s) + policy.record_ttl;
    if (now < until) {
      d.action = RotationAction::kWaitRemoval;
      d.wait_until = until;
      d.reason = "selector " + k->selector + " revoked; its record is deleted after " + Iso(until);
    } else {
      d.action = RotationAction::kRemoveRecord;
      d.reason = "delete the revoked record of selector " + k->selector;
    }
    return d;
  }

  int64_t since = active->activated_s ? active->activated_s : active->created_s;
  SysTime due = At(since) + policy.rotation_age;
  if (!requested && now < due) {
    d.action = RotationAction::kNone;
    d.wait_until = due;
    d.reason = "selector " + active->selector + " active; next rotation due " + Iso(due);
    return d;
  }
  d.action = RotationAction::kCreateKey;
  d.selector = policy.selectors.at(0) == active->selector ? policy.selectors.at(1) : policy.selectors.at(0);
  for (const auto* k : keys)
    if (k->selector == d.selector && (Is(*k, KeyState::kPending) || Is(*k, KeyState::kPublished))) d.spare = *k;
  d.reason = std::string(requested ? "rotation requested" : "active key is older than dkim.rotation_age_days") +
             ": new key on selector " + d.selector;
  return d;
}

std::string KeyTxtValue(const store::DomainKeyRow& key) {
  return std::string("v=DKIM1; k=") + (key.algorithm == "ed25519-sha256" ? "ed25519" : "rsa") + "; p=" +
         key.public_key;
}

bool RecordsPublishKey(const dns::TxtRecords& records, const std::string& public_key, std::string* why) {
  std::string seen;
  for (const auto& r : records) {
    // A tag list (RFC 6376 §3.2): tag=value pairs separated by ';'; the p=
    // value may contain folding whitespace, which is not part of the key.
    std::string p;
    bool has_p = false, dkim = false;
    size_t pos = 0;
    while (pos <= r.size()) {
      size_t end = r.find(';', pos);
      if (end == std::string::npos) end = r.size();
      std::string tag = Trim(std::string_view(r).substr(pos, end - pos));
      auto eq = tag.find('=');
      if (eq != std::string::npos) {
        std::string name = Trim(std::string_view(tag).substr(0, eq));
        std::string value = Trim(std::string_view(tag).substr(eq + 1));
        if (name == "v" && value == "DKIM1") dkim = true;
        if (name == "p") {
          has_p = true;
          for (char c : value)
            if (c != ' ' && c != '\t' && c != '\r' && c != '\n') p += c;
        }
      }
      pos = end + 1;
    }
    if (has_p && p == public_key) return true;
    if (!seen.empty()) seen += "; ";
    if (!has_p) seen += dkim ? "a key record without p=" : "a TXT record that is not a DKIM key";
    else if (p.empty()) seen += "a revoked key (empty p=)";
    else seen += "a different key (p=" + p.substr(0, 12) + "...)";
  }
  if (why) *why = records.empty() ? "no TXT record" : seen;
  return false;
}

std::string SelectorName(const std::string& selector, const std::string& name) {
  return selector + "._domainkey." + name;
}

}  // namespace tayori::keys
