// Sender domains and their DKIM keys. Keys and domains live in separate
// tables joined by domain_keys (selector + state), as the background talk
// recommends; private keys are stored sealed (dkim/seal.h), never in clear.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/connection.h"

namespace tayori::store {

struct SenderDomainRow {
  uint64_t id = 0;
  uint64_t tenant_id = 0;
  std::string tenant_slug;
  std::string domain;    // A-label
  std::string mode;      // hosted | delegated
  std::string key_host;  // where the TXT records live under the platform zone
  std::string state;     // pending | verified | paused
  std::string state_reason;
};

struct DomainKeyRow {
  uint64_t domain_key_id = 0;
  uint64_t dkim_key_id = 0;
  uint64_t sender_domain_id = 0;
  std::string selector;
  std::string state;       // pending | published | active | retiring | revoked
  std::string algorithm;   // rsa-sha256 | ed25519-sha256
  int bits = 0;
  std::string public_key;  // base64 SPKI (p=)
  std::string private_key_sealed;
  std::string kek_id;
  std::string created_at, state_changed_at;
};

Result<uint64_t> TenantIdBySlug(Connection& db, const std::string& slug);
Result<SenderDomainRow> FindSenderDomain(Connection& db, const std::string& domain);
Result<std::vector<SenderDomainRow>> ListSenderDomains(Connection& db);

// Creates the domain row (state pending). Fails kInvalidInput if it exists.
Result<uint64_t> InsertSenderDomain(Connection& db, uint64_t tenant_id, const std::string& domain,
                                    const std::string& mode, const std::string& key_host);
// Stores a key and joins it to the domain under `selector` in `state`.
Result<uint64_t> InsertDomainKey(Connection& db, uint64_t sender_domain_id, const std::string& selector,
                                 const std::string& state, const std::string& algorithm, int bits,
                                 const std::string& public_key, const std::string& private_key_sealed,
                                 const std::string& kek_id);
Status SetDomainKeyState(Connection& db, uint64_t domain_key_id, const std::string& state);
Status SetSenderDomainState(Connection& db, uint64_t sender_domain_id, const std::string& state,
                            const std::string& reason, const std::string& actor);

// Every key row of a domain (any state), newest first.
Result<std::vector<DomainKeyRow>> DomainKeys(Connection& db, uint64_t sender_domain_id);
// The keys a domain signs with now: state 'active' (an RSA one, maybe an Ed25519 one).
Result<std::vector<DomainKeyRow>> ActiveDomainKeys(Connection& db, uint64_t sender_domain_id);

}  // namespace tayori::store
