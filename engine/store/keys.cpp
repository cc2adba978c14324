#include "store/keys.h"

#include "store/state_columns.h"
#include "store/transaction.h"
#include "store/values.h"

#include <ctime>

namespace tayori::store {
namespace {


constexpr const char* kDomainColumns =
    "d.id, d.tenant_id, t.slug, d.domain, d.mode, d.key_host, d.state, COALESCE(d.state_reason, '')";

// Binary values go in as X'..' literals: no charset conversion can touch them.
std::string HexLiteral(const std::string& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "X'";
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out + "'";
}

int64_t I64(const std::optional<std::string>& v) { return v ? std::stoll(*v) : 0; }

// DATETIME(6) columns hold UTC; read them as Unix seconds without going
// through the session time zone (UNIX_TIMESTAMP() would use it).
std::string Secs(const std::string& col) { return "TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', " + col + ")"; }

// A UTC DATETIME literal for a time from the injected Clock (never the
// server's clock: tests move time).
std::string SqlTime(SysTime t) {
  std::time_t secs = static_cast<std::time_t>(UnixSeconds(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "'%Y-%m-%d %H:%M:%S'", &tm);
  return buf;
}

Result<SenderDomainRow> DomainFrom(const std::vector<std::optional<std::string>>& r) {
  TAYORI_ASSIGN_OR_RETURN(scheduler::DomainState state, ReadDomainState(r[6], "sender_domains.state"));
  return SenderDomainRow{U64(r[0]), U64(r[1]), Str(r[2]), Str(r[3]), Str(r[4]), Str(r[5]), state, Str(r[7])};
}

Result<std::vector<DomainKeyRow>> KeysWhere(Connection& db, const std::string& where) {
  TAYORI_ASSIGN_OR_RETURN(
      Rows rows, db.Query("SELECT dk.id, k.id, dk.sender_domain_id, dk.selector, dk.state, k.algorithm, k.bits, "
                          "k.public_key, k.private_key_enc, k.kek_id, k.created_at, dk.state_changed_at, "
                          "COALESCE(dk.rotation_of, 0), " + Secs("k.created_at") + ", " + Secs("dk.published_at") +
                          ", " + Secs("dk.activated_at") + ", " + Secs("dk.retire_after") + ", " +
                          Secs("dk.revoked_at") + ", " + Secs("dk.record_removed_at") +
                          " FROM domain_keys dk JOIN dkim_keys k ON k.id = dk.dkim_key_id WHERE " + where +
                          " ORDER BY dk.id DESC"));
  std::vector<DomainKeyRow> out;
  for (const auto& r : rows.rows) {
    DomainKeyRow k;
    k.domain_key_id = U64(r[0]);
    k.dkim_key_id = U64(r[1]);
    k.sender_domain_id = U64(r[2]);
    k.selector = Str(r[3]);
    TAYORI_ASSIGN_OR_RETURN(k.state, ReadKeyState(r[4], "domain_keys.state"));
    k.algorithm = Str(r[5]);
    k.bits = std::stoi(Str(r[6]));
    k.public_key = Str(r[7]);
    k.private_key_sealed = Str(r[8]);
    k.kek_id = Str(r[9]);
    k.created_at = Str(r[10]);
    k.state_changed_at = Str(r[11]);
    k.rotation_of = U64(r[12]);
    k.created_s = I64(r[13]);
    k.published_s = I64(r[14]);
    k.activated_s = I64(r[15]);
    k.retire_after_s = I64(r[16]);
    k.revoked_s = I64(r[17]);
    k.record_removed_s = I64(r[18]);
    out.push_back(std::move(k));
  }
  return out;
}

}  // namespace

Result<uint64_t> TenantIdBySlug(Connection& db, const std::string& slug) {
  TAYORI_ASSIGN_OR_RETURN(Rows rows, db.Query("SELECT id FROM tenants WHERE slug = " + db.Quote(slug)));
  if (rows.rows.empty()) return NotFound("no tenant (shop) with slug '" + slug + "'");
  return U64(rows.rows[0][0]);
}

Result<SenderDomainRow> FindSenderDomain(Connection& db, const std::string& domain) {
  TAYORI_ASSIGN_OR_RETURN(Rows rows, db.Query(std::string("SELECT ") + kDomainColumns +
                                              " FROM sender_domains d JOIN tenants t ON t.id = d.tenant_id "
                                              "WHERE d.domain = " + db.Quote(domain)));
  if (rows.rows.empty()) return NotFound("sender domain '" + domain + "' is not registered");
  return DomainFrom(rows.rows[0]);
}

Result<SenderDomainRow> FindSenderDomainById(Connection& db, uint64_t id) {
  TAYORI_ASSIGN_OR_RETURN(Rows rows, db.Query(std::string("SELECT ") + kDomainColumns +
                                              " FROM sender_domains d JOIN tenants t ON t.id = d.tenant_id "
                                              "WHERE d.id = " + std::to_string(id)));
  if (rows.rows.empty()) return NotFound("sender domain #" + std::to_string(id) + " is not registered");
  return DomainFrom(rows.rows[0]);
}

Result<std::vector<SenderDomainRow>> ListSenderDomains(Connection& db) {
  TAYORI_ASSIGN_OR_RETURN(Rows rows, db.Query(std::string("SELECT ") + kDomainColumns +
                                              " FROM sender_domains d JOIN tenants t ON t.id = d.tenant_id ORDER BY d.domain"));
  std::vector<SenderDomainRow> out;
  for (const auto& r : rows.rows) {
    TAYORI_ASSIGN_OR_RETURN(SenderDomainRow d, DomainFrom(r));
    out.push_back(std::move(d));
  }
  return out;
}

Result<uint64_t> InsertSenderDomain(Connection& db, uint64_t tenant_id, const std::string& domain,
                                    const std::string& mode, const std::string& key_host) {
  TAYORI_ASSIGN_OR_RETURN(Rows exists, db.Query("SELECT id FROM sender_domains WHERE domain = " + db.Quote(domain)));
  if (!exists.rows.empty()) return InvalidInput("sender domain '" + domain + "' is already registered");
  TAYORI_RETURN_IF_ERROR(db.Execute("INSERT INTO sender_domains (tenant_id, domain, mode, key_host) VALUES (" +
                                    std::to_string(tenant_id) + ", " + db.Quote(domain) + ", " + db.Quote(mode) + ", " +
                                    db.Quote(key_host) + ")"));
  return db.last_insert_id();
}

Result<uint64_t> InsertDomainKey(Connection& db, const NewDomainKey& key) {
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  Status st = db.Execute("INSERT INTO dkim_keys (algorithm, bits, public_key, private_key_enc, kek_id) VALUES (" +
                         db.Quote(key.algorithm) + ", " + std::to_string(key.bits) + ", " + db.Quote(key.public_key) +
                         ", " + HexLiteral(key.private_key_sealed) + ", " + db.Quote(key.kek_id) + ")");
  uint64_t key_id = db.last_insert_id();
  if (st.ok())
    st = db.Execute("INSERT INTO domain_keys (sender_domain_id, dkim_key_id, selector, state, rotation_of) VALUES (" +
                    std::to_string(key.sender_domain_id) + ", " + std::to_string(key_id) + ", " +
                    db.Quote(key.selector) + ", " + Literal(key.state) + ", " +
                    (key.rotation_of ? std::to_string(key.rotation_of) : std::string("NULL")) + ")");
  uint64_t dk_id = db.last_insert_id();
  if (st.ok())
    st = db.Execute("INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) SELECT tenant_id, "
                    "'dkim_key', " + std::to_string(key_id) + ", 'created', " + db.Quote(key.actor) + ", " +
                    db.Quote(key.algorithm + " key for selector " + key.selector + " (" + std::string(scheduler::Name(key.state)) + ")" +
                             (key.rotation_of ? ", replacing domain key " + std::to_string(key.rotation_of) : "")) +
                    " FROM sender_domains WHERE id = " + std::to_string(key.sender_domain_id));
  if (!st.ok()) return st;
  TAYORI_RETURN_IF_ERROR(tx.Commit());
  return dk_id;
}

Status ApplyKeyTransitions(Connection& db, const std::vector<KeyTransition>& moves, const std::string& actor,
                           const std::optional<DomainStateChange>& domain) {
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  using scheduler::KeyState;
  for (const auto& m : moves) {
    std::string set = "state = " + Literal(m.to);
    if (m.from != m.to) set += ", state_changed_at = " + SqlTime(m.at);
    if (m.from != m.to && m.to == KeyState::kPublished) set += ", published_at = " + SqlTime(m.at);
    if (m.from != m.to && m.to == KeyState::kActive) set += ", activated_at = " + SqlTime(m.at);
    if (m.from != m.to && m.to == KeyState::kRevoked) set += ", revoked_at = " + SqlTime(m.at);
    if (m.retire_after) set += ", retire_after = " + SqlTime(*m.retire_after);
    if (m.record_removed) set += ", record_removed_at = " + SqlTime(m.at);
    std::string id = std::to_string(m.domain_key_id);
    Status st = db.Execute("UPDATE domain_keys SET " + set + " WHERE id = " + id + " AND state = " + Literal(m.from));
    if (!st.ok()) return st;
    if (db.affected_rows() != 1)
      return Permanent("domain key " + id + " is no longer " + std::string(scheduler::Name(m.from)) +
                       " (changed by another process?)");
    st = db.Execute("INSERT INTO events (occurred_at, tenant_id, subject_type, subject_id, kind, actor, detail) "
                    "SELECT " + SqlTime(m.at) + ", d.tenant_id, 'dkim_key', dk.dkim_key_id, 'state_change', " +
                    db.Quote(actor) + ", CONCAT('selector ', dk.selector, ': ', " +
                    db.Quote(std::string(scheduler::Name(m.from)) + " -> " + std::string(scheduler::Name(m.to)) +
                             (m.detail.empty() ? "" : ": " + m.detail)) + ")" +
                    " FROM domain_keys dk JOIN sender_domains d ON d.id = dk.sender_domain_id WHERE dk.id = " + id);
    if (!st.ok()) return st;
  }
  if (domain) {
    Status st = SetSenderDomainState(db, domain->sender_domain_id, domain->state, domain->reason, actor);
    if (!st.ok()) return st;
  }
  return tx.Commit();
}

Status SetDomainKeyState(Connection& db, uint64_t domain_key_id, scheduler::KeyState state) {
  std::string extra;
  if (state == scheduler::KeyState::kPublished) extra = ", published_at = UTC_TIMESTAMP(6)";
  if (state == scheduler::KeyState::kActive) extra = ", activated_at = UTC_TIMESTAMP(6)";
  return db.Execute("UPDATE domain_keys SET state = " + Literal(state) + ", state_changed_at = UTC_TIMESTAMP(6)" +
                    extra + " WHERE id = " + std::to_string(domain_key_id));
}

Status SetSenderDomainState(Connection& db, uint64_t id, scheduler::DomainState state, const std::string& reason,
                            const std::string& actor) {
  std::string extra = state == scheduler::DomainState::kVerified ? ", verified_at = UTC_TIMESTAMP(6)" : "";
  if (state == scheduler::DomainState::kPaused) extra = ", paused_at = UTC_TIMESTAMP(6)";
  TAYORI_RETURN_IF_ERROR(db.Execute("UPDATE sender_domains SET state = " + Literal(state) + ", state_reason = " +
                                    (reason.empty() ? std::string("NULL") : db.Quote(reason)) + extra +
                                    " WHERE id = " + std::to_string(id)));
  return db.Execute("INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) SELECT tenant_id, "
                    "'sender_domain', id, 'state_change', " + db.Quote(actor) + ", " +
                    db.Quote("-> " + std::string(scheduler::Name(state)) + (reason.empty() ? "" : ": " + reason)) +
                    " FROM sender_domains WHERE id = " + std::to_string(id));
}

Result<std::vector<DomainKeyRow>> DomainKeys(Connection& db, uint64_t sender_domain_id) {
  return KeysWhere(db, "dk.sender_domain_id = " + std::to_string(sender_domain_id));
}

Result<std::vector<DomainKeyRow>> LifecycleKeys(Connection& db) {
  return KeysWhere(db, "dk.sender_domain_id IN (SELECT id FROM sender_domains WHERE state = 'verified') AND "
                       "(dk.state <> 'revoked' OR dk.record_removed_at IS NULL)");
}

Result<std::vector<std::pair<SenderDomainRow, DomainKeyRow>>> ActiveKeysOfVerifiedDomains(Connection& db) {
  TAYORI_ASSIGN_OR_RETURN(auto domains, ListSenderDomains(db));
  TAYORI_ASSIGN_OR_RETURN(auto keys, KeysWhere(db, "dk.state = 'active'"));
  std::vector<std::pair<SenderDomainRow, DomainKeyRow>> out;
  for (const auto& d : domains) {
    if (d.state != scheduler::DomainState::kVerified) continue;
    for (const auto& k : keys)
      if (k.sender_domain_id == d.id) out.emplace_back(d, k);
  }
  return out;
}

Result<std::vector<DomainKeyRow>> ActiveDomainKeys(Connection& db, uint64_t sender_domain_id) {
  return KeysWhere(db, "dk.sender_domain_id = " + std::to_string(sender_domain_id) + " AND dk.state = 'active'");
}

Result<std::vector<std::pair<SenderDomainRow, DomainKeyRow>>> AllDomainKeys(Connection& db) {
  TAYORI_ASSIGN_OR_RETURN(auto domains, ListSenderDomains(db));
  TAYORI_ASSIGN_OR_RETURN(auto keys, KeysWhere(db, "1 = 1"));
  std::vector<std::pair<SenderDomainRow, DomainKeyRow>> out;
  for (const auto& d : domains)
    for (const auto& k : keys)
      if (k.sender_domain_id == d.id) out.emplace_back(d, k);
  return out;
}

Status ResealKey(Connection& db, uint64_t dkim_key_id, const std::string& old_sealed, const std::string& old_kek_id,
                 const std::string& new_sealed, const std::string& new_kek_id, const std::string& actor) {
  std::string id = std::to_string(dkim_key_id);
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  Status st = db.Execute("UPDATE dkim_keys SET private_key_enc = " + HexLiteral(new_sealed) + ", kek_id = " +
                         db.Quote(new_kek_id) + " WHERE id = " + id + " AND kek_id = " + db.Quote(old_kek_id) +
                         " AND private_key_enc = " + HexLiteral(old_sealed));
  if (st.ok() && db.affected_rows() != 1)
    st = Permanent("dkim key " + id + " changed while it was being resealed (another process?)");
  if (st.ok())
    st = db.Execute("INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) SELECT d.tenant_id, "
                    "'dkim_key', dk.dkim_key_id, 'resealed', " + db.Quote(actor) + ", CONCAT('selector ', dk.selector, "
                    + db.Quote(": sealed under KEK '" + new_kek_id + "' (was '" + old_kek_id + "')") +
                    ") FROM domain_keys dk JOIN sender_domains d ON d.id = dk.sender_domain_id WHERE dk.dkim_key_id = " +
                    id);
  if (!st.ok()) return st;
  return tx.Commit();
}

}  // namespace tayori::store
