#include "store/instances.h"

#include <algorithm>

#include "store/transaction.h"

namespace tayori::store {

Result<InstanceClaim> ClaimInstanceName(Connection& db, const InstanceIdentity& who, int alive_window_s,
                                        const std::function<bool(int pid)>& pid_alive) {
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  // FOR UPDATE (a gap lock when there is no row): two processes starting
  // with one name at once serialise here, and the second sees the first.
  auto rows = db.Select("SELECT host, pid, state, TIMESTAMPDIFF(MICROSECOND, heartbeat_at, UTC_TIMESTAMP(6)) / 1e6 "
                        "FROM engine_instances WHERE name = ? FOR UPDATE",
                        {who.name});
  if (!rows.ok()) return rows.status();
  InstanceClaim claim;
  if (!rows->rows.empty()) {
    const Row& r = rows->rows[0];
    std::string host = r.OptStr(0).value_or(""), state = r.OptStr(2).value_or("");
    int pid = static_cast<int>(r.OptI64(1).value_or(0));
    double age = r.IsNull(3) ? 0 : r.Double(3);
    claim.had_predecessor = true;
    bool same_process = host == who.host && pid == who.pid;
    bool fresh = state != "stopped" && age < alive_window_s;
    if (fresh && !same_process) {
      bool provably_dead = host == who.host && !pid_alive(pid);
      if (!provably_dead) {
        char age_text[32];
        std::snprintf(age_text, sizeof age_text, "%.1f", age);
        return ConfigError("engine instance name '" + who.name + "' is in use by PID " + std::to_string(pid) +
                           " on host " + (host.empty() ? "(unknown)" : host) + " (heartbeat " + age_text +
                           " s ago); give this process another engine.instance_name (or --instance), or "
                           "stop the other one; a dead process's name is free " +
                           std::to_string(alive_window_s) + " s after its last heartbeat");
      }
    }
  }
  TAYORI_RETURN_IF_ERROR(db.Run(
      "INSERT INTO engine_instances (name, host, pid, state, started_at, heartbeat_at) "
      "VALUES (?, ?, ?, 'running', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)) "
      "ON DUPLICATE KEY UPDATE host = VALUES(host), pid = VALUES(pid), state = 'running', "
      "started_at = VALUES(started_at), heartbeat_at = VALUES(heartbeat_at)",
      {who.name, who.host, who.pid}));
  if (claim.had_predecessor) {
    TAYORI_RETURN_IF_ERROR(db.Run("UPDATE deliveries SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL "
                                  "WHERE state = 'leased' AND lease_owner = ?",
                                  {who.name}));
    claim.released_leases = static_cast<int>(db.affected_rows());
  }
  TAYORI_RETURN_IF_ERROR(tx.Commit());
  return claim;
}

Result<HeartbeatResult> Heartbeat(Connection& db, const InstanceIdentity& who, const std::string& state,
                                  int alive_window_s) {
  HeartbeatResult out;
  // The previous beat's age first: a large gap means this process (or the
  // database) was away, and the caller must renew its leases before it
  // judges anyone else dead.
  TAYORI_ASSIGN_OR_RETURN(Table prev, db.Select("SELECT host, pid, TIMESTAMPDIFF(MICROSECOND, heartbeat_at, "
                                                "UTC_TIMESTAMP(6)) / 1e6 FROM engine_instances WHERE name = ?",
                                                {who.name}));
  if (prev.empty() || prev.rows[0].OptStr(0).value_or("") != who.host ||
      prev.rows[0].OptI64(1).value_or(0) != who.pid) {
    std::string holder = prev.empty() ? "nobody (the row is gone)"
                                      : "PID " + std::to_string(prev.rows[0].OptI64(1).value_or(0)) + " on " +
                                            prev.rows[0].OptStr(0).value_or("");
    return Permanent("engine instance name '" + who.name + "' now belongs to " + holder +
                     "; this process no longer owns its leases and must stop");
  }
  out.gap_s = prev.rows[0].IsNull(2) ? 0 : prev.rows[0].Double(2);
  TAYORI_RETURN_IF_ERROR(db.Run("UPDATE engine_instances SET heartbeat_at = UTC_TIMESTAMP(6), state = ? "
                                "WHERE name = ? AND host = ? AND pid = ?",
                                {state, who.name, who.host, who.pid}));
  TAYORI_ASSIGN_OR_RETURN(Table rows, db.Select("SELECT (SELECT heartbeat_at FROM engine_instances WHERE name = ?), "
                                                "COUNT(*), COALESCE(SUM(name < ?), 0) FROM engine_instances WHERE "
                                                "state <> 'stopped' AND heartbeat_at >= UTC_TIMESTAMP(6) - INTERVAL ? "
                                                "SECOND",
                                                {who.name, who.name, alive_window_s}));
  const Row& r = rows.rows.at(0);
  out.beat_at = r.OptStr(0).value_or("");
  int64_t n = r.I64(1);
  out.live_instances = n < 1 ? 1 : static_cast<int>(n);
  out.rank = std::min(out.live_instances - 1, static_cast<int>(r.I64(2)));
  return out;
}

}  // namespace tayori::store
