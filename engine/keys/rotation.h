// The DKIM key lifecycle as pure decisions (no I/O, time passed in), so the
// whole rotation is unit-tested with a FakeClock; keys/lifecycle.h performs
// the decisions against the database, the DNS provider and DNS.
//
// A domain key moves pending -> published -> active -> retiring -> revoked
// (the domain_keys.state column). Rotation over the two selectors of
// [dkim] selectors, one step at a time, each step persisted before the next:
//
//   1 create   a new key on the idle selector (rotation_of = the active key);
//              a spare key already there (delegated domains get one at add
//              time) is superseded: revoked, its record overwritten next
//   2 publish  its TXT record through the provider          pending -> published
//   3 wait     record_ttl_s after publishing, then until DNS answers the
//              selector (through the shop's CNAME when delegated) with it
//   4 switch   new key active, old key retiring with retire_after = now + grace
//              (one transaction: the domain always has one active key)
//   5 revoke   after the grace period publish an empty p=   retiring -> revoked
//   6 remove   record_ttl_s later, delete the TXT record (record_removed_at)
//
// The next rotation starts only once the previous one finished step 6, so
// a selector is never reused while its old record may still be cached.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "config/config.h"
#include "dns/resolver.h"
#include "scheduler/states.h"
#include "store/keys.h"

namespace tayori::keys {

// The key states and their legal moves are scheduler::KeyState and
// scheduler::KeyTransitionAllowed (one definition for store/, keys/ and cli/).
using scheduler::KeyState;

struct RotationPolicy {
  std::chrono::seconds rotation_age{180 * 86400};
  std::chrono::seconds grace{7 * 86400};
  std::chrono::seconds record_ttl{300};
  std::vector<std::string> selectors{"s1", "s2"};
};
RotationPolicy PolicyFrom(const config::Dkim& dkim);

enum class RotationAction {
  kNone,              // steady; the next rotation is due at wait_until
  kCreateKey,         // step 1 on `selector` (superseding `spare` if set)
  kPublish,           // step 2 for `key`
  kWaitPropagation,   // step 3: record_ttl not yet passed since publishing
  kCheckPropagation,  // step 3: look the selector up; step 4 when it answers with `key`
  kWaitGrace,         // `key` retiring until wait_until
  kRevoke,            // step 5 for `key`
  kWaitRemoval,       // `key` revoked; its record goes at wait_until
  kRemoveRecord,      // step 6 for `key`
  kBroken,            // no active key: reported, never "repaired" by guessing
};
std::string_view RotationActionName(RotationAction a);
bool IsWait(RotationAction a);  // kNone and the kWait* actions

struct RotationDecision {
  RotationAction action = RotationAction::kNone;
  std::optional<store::DomainKeyRow> key;     // the key the action is about
  std::optional<store::DomainKeyRow> active;  // the signing key now
  std::optional<store::DomainKeyRow> spare;   // kCreateKey: key to supersede
  std::string selector;                       // kCreateKey: where the new key goes
  SysTime wait_until{};
  std::string reason;                         // one line for people
};

// `keys`: the domain's keys (any state; revoked keys whose record is gone are
// ignored). `requested`: an operator asked for a rotation now; one starts if
// none is in progress, else the one in progress continues.
RotationDecision DecideRotation(const std::vector<store::DomainKeyRow>& keys, SysTime now,
                                const RotationPolicy& policy, bool requested);

// The TXT value a key publishes, and the value that revokes a selector.
std::string KeyTxtValue(const store::DomainKeyRow& key);
constexpr std::string_view kRevokedTxtValue = "v=DKIM1; p=";

// Whether one of `records` (TXT at a selector) is a DKIM key record whose p=
// is `public_key`; else `why` says what DNS has instead.
bool RecordsPublishKey(const dns::TxtRecords& records, const std::string& public_key, std::string* why);

// "SELECTOR._domainkey.NAME".
std::string SelectorName(const std::string& selector, const std::string& name);

}  // namespace tayori::keys
