#include "store/keys.h"

#include <ctime>

#include "store/campaigns.h"
#include "store/state_columns.h"
#include "store/transaction.h"

namespace tayori::store {
namespace {

constexpr const char* kDomainColumns =
    "d.id, d.tenant_id, t.slug, d.domain, d.mode, d.key_host, d.state, COALESCE(d.state_reason, '')";

// DATETIME(6) columns hold UTC; read them as Unix seconds without going
// through the session time zone (UNIX_TIMESTAMP() would use it).
std::string Secs(const std::string& col) { return "TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', " + col + ")"; }

// A UTC DATETIME value for a time from the injected Clock (never the
// server's clock: tests move time).
std::string SqlTime(SysTime t) {
  std::time_t secs = static_cast<std::time_t>(UnixSeconds(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

Result<SenderDomainRow> DomainFrom(const Row& r) {
  TAYORI_ASSIGN_OR_RETURN(scheduler::DomainState state, ReadDomainState(r.OptStr(6), "sender_domains.state"));
  return SenderDomainRow{r.U64(0), r.U64(1), r.Str(2), r.Str(3), r.Str(4), r.Str(5), state, r.Str(7)};
}

enum class Sealed { kRead, kLeftOut };

Result<std::vector<DomainKeyRow>> KeysWhere(Connection& db, const std::string& where,
                                            std::initializer_list<Param> params = {}, Sealed sealed = Sealed::kRead) {
  TAYORI_ASSIGN_OR_RETURN(
      Table rows, db.Select(std::string("SELECT dk.id, k.id, dk.sender_domain_id, dk.selector, dk.state, k.algorithm, "
                                        "k.bits, k.public_key, ") +
                            (sealed == Sealed::kRead ? "k.private_key_enc" : "''") + ", k.kek_id, k.created_at, dk.state_changed_at, "
                            "COALESCE(dk.rotation_of, 0), " + Secs("k.created_at") + ", " + Secs("dk.published_at") +
                            ", " + Secs("dk.activated_at") + ", " + Secs("dk.retire_after") + ", " +
                            Secs("dk.revoked_at") + ", " + Secs("dk.record_removed_at") +
                            " FROM domain_keys dk JOIN dkim_keys k ON k.id = dk.dkim_key_id WHERE " + where +
                            " ORDER BY dk.id DESC",
                            params));
  std::vector<DomainKeyRow> out;
  for (const auto& r : rows.rows) {
    DomainKeyRow k;
    k.domain_key_id = r.U64(0);
    k.dkim_key_id = r.U64(1);
    k.sender_domain_id = r.U64(2);
    k.selector = r.Str(3);
    TAYORI_ASSIGN_OR_RETURN(k.state, ReadKeyState(r.OptStr(4), "domain_keys.state"));
    k.algorithm = r.Str(5);
    k.bits = r.Int(6);
    k.public_key = r.Str(7);
    k.private_key_sealed = r.Str(8);
    k.kek_id = r.Str(9);
    k.created_at = r.Str(10);
    k.state_changed_at = r.Str(11);
    k.rotation_of = r.U64(12);
    // Times not reached yet are NULL: 0.
    k.created_s = r.OptI64(13).value_or(0);
    k.published_s = r.OptI64(14).value_or(0);
    k.activated_s = r.OptI64(15).value_or(0);
    k.retire_after_s = r.OptI64(16).value_or(0);
    k.revoked_s = r.OptI64(17).value_or(0);
    k.record_removed_s = r.OptI64(18).value_or(0);
    out.push_back(std::move(k));
  }
  return out;
}

}  // namespace

Result<uint64_t> TenantIdBySlug(Connection& db, const std::string& slug) {
  TAYORI_ASSIGN_OR_RETURN(Table rows, db.Select("SELECT id FROM tenants WHERE slug = ?", {slug}));
  if (rows.empty()) return NotFound("no tenant (shop) with slug '" + slug + "'");
  return rows.rows[0].U64(0);
}

Result<SenderDomainRow> FindSenderDomain(Connection& db, const std::string& domain) {
  TAYORI_ASSIGN_OR_RETURN(Table rows, db.Select(std::string("SELECT ") + kDomainColumns +
                                                " FROM sender_domains d JOIN tenants t ON t.id = d.tenant_id "
                                                "WHERE d.domain = ?",
                                                {domain}));
  if (rows.empty()) return NotFound("sender domain '" + domain + "' is not registered");
  return DomainFrom(rows.rows[0]);
}

Result<SenderDomainRow> FindSenderDomainById(Connection& db, uint64_t id) {
  TAYORI_ASSIGN_OR_RETURN(Table rows, db.Select(std::string("SELECT ") + kDomainColumns +
                                                " FROM sender_domains d JOIN tenants t ON t.id = d.tenant_id "
                                                "WHERE d.id = ?",
                                                {id}));
  if (rows.empty()) return NotFound("sender domain #" + std::to_string(id) + " is not registered");
  return DomainFrom(rows.rows[0]);
}

Result<std::vector<SenderDomainRow>> ListSenderDomains(Connection& db) {
  TAYORI_ASSIGN_OR_RETURN(Table rows, db.Select(std::string("SELECT ") + kDomainColumns +
                                                " FROM sender_domains d JOIN tenants t ON t.id = d.tenant_id "
                                                "ORDER BY d.domain"));
  std::vector<SenderDomainRow> out;
  for (const auto& r : rows.rows) {
    TAYORI_ASSIGN_OR_RETURN(SenderDomainRow d, DomainFrom(r));
    out.push_back(std::move(d));
  }
  return out;
}

Result<uint64_t> InsertSenderDomain(Connection& db, uint64_t tenant_id, const std::string& domain,
                                    const std::string& mode, const std::string& key_host) {
  TAYORI_ASSIGN_OR_RETURN(Table exists, db.Select("SELECT id FROM sender_domains WHERE domain = ?", {domain}));
  if (!exists.empty()) return InvalidInput("sender domain '" + domain + "' is already registered");
  TAYORI_RETURN_IF_ERROR(db.Run("INSERT INTO sender_domains (tenant_id, domain, mode, key_host) VALUES (?, ?, ?, ?)",
                                {tenant_id, domain, mode, key_host}));
  return db.last_insert_id();
}

Result<uint64_t> InsertDomainKey(Connection& db, const NewDomainKey& key) {
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  // The sealed key is bytes: bound as a BLOB, no charset conversion touches it.
  TAYORI_RETURN_IF_ERROR(db.Run("INSERT INTO dkim_keys (algorithm, bits, public_key, private_key_enc, kek_id) "
                                "VALUES (?, ?, ?, ?, ?)",
                                {key.algorithm, key.bits, key.public_key, Param::Bytes(key.private_key_sealed),
                                 key.kek_id}));
  uint64_t key_id = db.last_insert_id();
  TAYORI_RETURN_IF_ERROR(db.Run("INSERT INTO domain_keys (sender_domain_id, dkim_key_id, selector, state, "
                                "rotation_of) VALUES (?, ?, ?, ?, ?)",
                                {key.sender_domain_id, key_id, key.selector, scheduler::Name(key.state),
                                 key.rotation_of ? Param(key.rotation_of) : Param(nullptr)}));
  uint64_t dk_id = db.last_insert_id();
  TAYORI_RETURN_IF_ERROR(db.Run(
      "INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) SELECT tenant_id, "
      "'dkim_key', ?, 'created', ?, ? FROM sender_domains WHERE id = ?",
      {key_id, key.actor,
       key.algorithm + " key for selector " + key.selector + " (" + std::string(scheduler::Name(key.state)) + ")" +
           (key.rotation_of ? ", replacing domain key " + std::to_string(key.rotation_of) : ""),
       key.sender_domain_id}));
  TAYORI_RETURN_IF_ERROR(tx.Commit());
  return dk_id;
}

Status ApplyKeyTransitions(Connection& db, const std::vector<KeyTransition>& moves, const std::string& actor,
                           const std::optional<DomainStateChange>& domain) {
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  using scheduler::KeyState;
  for (const auto& m : moves) {
    std::string at = SqlTime(m.at);
    std::string set = "state = ?";
    std::vector<Param> params = {scheduler::Name(m.to)};
    auto stamp = [&](const char* column, const std::string& value) {
      set += std::string(", ") + column + " = ?";
      params.emplace_back(value);
    };
    if (m.from != m.to) stamp("state_changed_at", at);
    if (m.from != m.to && m.to == KeyState::kPublished) stamp("published_at", at);
    if (m.from != m.to && m.to == KeyState::kActive) stamp("activated_at", at);
    if (m.from != m.to && m.to == KeyState::kRevoked) stamp("revoked_at", at);
    std::string retire_after = m.retire_after ? SqlTime(*m.retire_after) : "";
    if (m.retire_after) stamp("retire_after", retire_after);
    if (m.record_removed) stamp("record_removed_at", at);
    params.insert(params.end(), {Param(m.domain_key_id), Param(scheduler::Name(m.from))});
    TAYORI_RETURN_IF_ERROR(db.Run("UPDATE domain_keys SET " + set + " WHERE id = ? AND state = ?", params));
    if (db.affected_rows() != 1)
      return Permanent("domain key " + std::to_string(m.domain_key_id) + " is no longer " +
                       std::string(scheduler::Name(m.from)) + " (changed by another process?)");
    TAYORI_RETURN_IF_ERROR(db.Run(
        "INSERT INTO events (occurred_at, tenant_id, subject_type, subject_id, kind, actor, detail) "
        "SELECT ?, d.tenant_id, 'dkim_key', dk.dkim_key_id, 'state_change', ?, CONCAT('selector ', dk.selector, ': ', ?) "
        "FROM domain_keys dk JOIN sender_domains d ON d.id = dk.sender_domain_id WHERE dk.id = ?",
        {at, actor,
         std::string(scheduler::Name(m.from)) + " -> " + std::string(scheduler::Name(m.to)) +
             (m.detail.empty() ? "" : ": " + m.detail),
         m.domain_key_id}));
  }
  if (domain)
    TAYORI_RETURN_IF_ERROR(SetSenderDomainState(db, domain->sender_domain_id, domain->state, domain->reason, actor));
  return tx.Commit();
}

Status SetDomainKeyState(Connection& db, uint64_t domain_key_id, scheduler::KeyState state) {
  std::string extra;
  if (state == scheduler::KeyState::kPublished) extra = ", published_at = UTC_TIMESTAMP(6)";
  if (state == scheduler::KeyState::kActive) extra = ", activated_at = UTC_TIMESTAMP(6)";
  return db.Run("UPDATE domain_keys SET state = ?, state_changed_at = UTC_TIMESTAMP(6)" + extra + " WHERE id = ?",
                {scheduler::Name(state), domain_key_id});
}

Status SetSenderDomainState(Connection& db, uint64_t id, scheduler::DomainState state, const std::string& reason,
                            const std::string& actor) {
  std::string extra = state == scheduler::DomainState::kVerified ? ", verified_at = UTC_TIMESTAMP(6)" : "";
  if (state == scheduler::DomainState::kPaused) extra = ", paused_at = UTC_TIMESTAMP(6)";
  TAYORI_RETURN_IF_ERROR(db.Run("UPDATE sender_domains SET state = ?, state_reason = ?" + extra + " WHERE id = ?",
                                {scheduler::Name(state), reason.empty() ? Param(nullptr) : Param(reason), id}));
  return db.Run("INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) SELECT tenant_id, "
                "'sender_domain', id, 'state_change', ?, ? FROM sender_domains WHERE id = ?",
                {actor, "-> " + std::string(scheduler::Name(state)) + (reason.empty() ? "" : ": " + reason), id});
}

Result<std::vector<DomainKeyRow>> DomainKeys(Connection& db, uint64_t sender_domain_id) {
  return KeysWhere(db, "dk.sender_domain_id = ?", {sender_domain_id});
}

Result<std::vector<DomainKeyRow>> LifecycleKeys(Connection& db) {
  return KeysWhere(db, "dk.sender_domain_id IN (SELECT id FROM sender_domains WHERE state = 'verified') AND "
                       "(dk.state <> 'revoked' OR dk.record_removed_at IS NULL)",
                   {}, Sealed::kLeftOut);
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
  return KeysWhere(db, "dk.sender_domain_id = ? AND dk.state = 'active'", {sender_domain_id});
}

Result<std::map<uint64_t, std::vector<DomainKeyRow>>> ActiveDomainKeys(Connection& db,
                                                                      const std::vector<uint64_t>& sender_domain_ids) {
  std::map<uint64_t, std::vector<DomainKeyRow>> out;
  if (sender_domain_ids.empty()) return out;
  TAYORI_ASSIGN_OR_RETURN(auto keys, KeysWhere(db, "dk.sender_domain_id IN (" + IdList(sender_domain_ids) +
                                                       ") AND dk.state = 'active'"));
  for (auto& k : keys) out[k.sender_domain_id].push_back(std::move(k));
  return out;
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
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  TAYORI_RETURN_IF_ERROR(db.Run("UPDATE dkim_keys SET private_key_enc = ?, kek_id = ? "
                                "WHERE id = ? AND kek_id = ? AND private_key_enc = ?",
                                {Param::Bytes(new_sealed), new_kek_id, dkim_key_id, old_kek_id,
                                 Param::Bytes(old_sealed)}));
  if (db.affected_rows() != 1)
    return Permanent("dkim key " + std::to_string(dkim_key_id) +
                     " changed while it was being resealed (another process?)");
  TAYORI_RETURN_IF_ERROR(db.Run(
      "INSERT INTO events (tenant_id, subject_type, subject_id, kind, actor, detail) SELECT d.tenant_id, "
      "'dkim_key', dk.dkim_key_id, 'resealed', ?, CONCAT('selector ', dk.selector, ?) "
      "FROM domain_keys dk JOIN sender_domains d ON d.id = dk.sender_domain_id WHERE dk.dkim_key_id = ?",
      {actor, ": sealed under KEK '" + new_kek_id + "' (was '" + old_kek_id + "')", dkim_key_id}));
  return tx.Commit();
}

}  // namespace tayori::store
