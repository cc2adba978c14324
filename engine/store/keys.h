// Sender domains and their DKIM keys. Keys and domains live in separate
// tables joined by domain_keys (selector + state), as the background talk
// recommends; private keys are stored sealed (crypto/seal.h), never in clear.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "scheduler/states.h"
#include "store/connection.h"

namespace tayori::store {

struct SenderDomainRow {
  uint64_t id = 0;
  uint64_t tenant_id = 0;
  std::string tenant_slug;
  std::string domain;    // A-label
  std::string mode;      // hosted | delegated
  std::string key_host;  // where the TXT records live under the platform zone
  scheduler::DomainState state = scheduler::DomainState::kPending;
  std::string state_reason;
};

struct DomainKeyRow {
  uint64_t domain_key_id = 0;
  uint64_t dkim_key_id = 0;
  uint64_t sender_domain_id = 0;
  std::string selector;
  scheduler::KeyState state = scheduler::KeyState::kPending;
  std::string algorithm;   // rsa-sha256 | ed25519-sha256
  int bits = 0;
  std::string public_key;  // base64 SPKI (p=)
  std::string private_key_sealed;
  std::string kek_id;
  std::string created_at, state_changed_at;
  // Lifecycle (migration 0003). Times are Unix seconds, 0 when NULL.
  uint64_t rotation_of = 0;        // domain_key_id of the key this one replaces
  int64_t created_s = 0, published_s = 0, activated_s = 0, retire_after_s = 0, revoked_s = 0,
          record_removed_s = 0;
};

struct NewDomainKey {
  uint64_t sender_domain_id = 0;
  std::string selector;
  scheduler::KeyState state = scheduler::KeyState::kPending;
  std::string algorithm = "rsa-sha256";
  int bits = 0;
  std::string public_key;          // base64 SPKI (p=)
  std::string private_key_sealed;  // crypto::Seal output, never the PEM
  std::string kek_id;
  uint64_t rotation_of = 0;        // 0: not a rotation key
  std::string actor = "cli";       // for the events row
};

// One move of a domain key between states (pending, published, active,
// retiring, revoked), applied only if the key is still in `from` (so a job
// run twice, or two processes racing, change nothing the second time).
struct KeyTransition {
  uint64_t domain_key_id = 0;
  scheduler::KeyState from = scheduler::KeyState::kPending;
  scheduler::KeyState to = scheduler::KeyState::kPending;  // from == to: a column-only change (record_removed)
  SysTime at;                      // stamped into published_at / activated_at / revoked_at
  std::optional<SysTime> retire_after;  // set when to == kRetiring
  bool record_removed = false;     // also sets record_removed_at = at
  std::string detail;              // the events row's detail
};

// A domain state change done in the same transaction as key transitions.
struct DomainStateChange {
  uint64_t sender_domain_id = 0;
  scheduler::DomainState state = scheduler::DomainState::kPending;
  std::string reason;
};

Result<uint64_t> TenantIdBySlug(Connection& db, const std::string& slug);
Result<SenderDomainRow> FindSenderDomain(Connection& db, const std::string& domain);
Result<SenderDomainRow> FindSenderDomainById(Connection& db, uint64_t id);
Result<std::vector<SenderDomainRow>> ListSenderDomains(Connection& db);

// Creates the domain row (state pending). Fails kInvalidInput if it exists.
Result<uint64_t> InsertSenderDomain(Connection& db, uint64_t tenant_id, const std::string& domain,
                                    const std::string& mode, const std::string& key_host);
// Stores a key and joins it to the domain under its selector, in one
// transaction with its events row. Returns the domain_keys id.
Result<uint64_t> InsertDomainKey(Connection& db, const NewDomainKey& key);
// Applies every move (and the optional domain change) in one transaction,
// writing one events row per move. kPermanent, and nothing changed, when a
// key is no longer in its `from` state.
Status ApplyKeyTransitions(Connection& db, const std::vector<KeyTransition>& moves, const std::string& actor,
                           const std::optional<DomainStateChange>& domain = std::nullopt);
Status SetDomainKeyState(Connection& db, uint64_t domain_key_id, scheduler::KeyState state);
Status SetSenderDomainState(Connection& db, uint64_t sender_domain_id, scheduler::DomainState state,
                            const std::string& reason, const std::string& actor);

// Every key row of a domain (any state), newest first.
Result<std::vector<DomainKeyRow>> DomainKeys(Connection& db, uint64_t sender_domain_id);
// Every key of every verified domain that may still need a lifecycle step
// (all but revoked keys whose record is gone), ordered by domain. Without
// the sealed private keys (private_key_sealed is empty): the lifecycle never
// signs, and with 10,000 domains they were most of what a pass read.
Result<std::vector<DomainKeyRow>> LifecycleKeys(Connection& db);
// Keys in state 'active' of every verified domain, with their domain, for
// exports (OpenDKIM tables). Pairs of (domain row, key row).
Result<std::vector<std::pair<SenderDomainRow, DomainKeyRow>>> ActiveKeysOfVerifiedDomains(Connection& db);
// The keys a domain signs with now: state 'active' (an RSA one, maybe an Ed25519 one).
Result<std::vector<DomainKeyRow>> ActiveDomainKeys(Connection& db, uint64_t sender_domain_id);
// The same for several domains in one statement, by domain (a domain with
// no active key is absent).
Result<std::map<uint64_t, std::vector<DomainKeyRow>>> ActiveDomainKeys(Connection& db,
                                                                      const std::vector<uint64_t>& sender_domain_ids);

// Every key row of every domain, in any state, with its domain, ordered by
// domain then newest key first (`tayori dkim reseal`).
Result<std::vector<std::pair<SenderDomainRow, DomainKeyRow>>> AllDomainKeys(Connection& db);
// Replaces a key's sealed private key and KEK id, with an events row, in one
// transaction; only if the row still holds `old_sealed` under `old_kek_id`.
// kPermanent, and nothing changed, when it no longer does (another process
// resealed it meanwhile).
Status ResealKey(Connection& db, uint64_t dkim_key_id, const std::string& old_sealed, const std::string& old_kek_id,
                 const std::string& new_sealed, const std::string& new_kek_id, const std::string& actor);

}  // namespace tayori::store
