#include "store/instances.h"

#include <algorithm>

#include "store/transaction.h"
#include "store/values.h"

namespace tayori::store {

Result<InstanceClaim> ClaimInstanceName(Connection& db, const InstanceIdentity& who, int alive_window_s,
                                        const std::function<bool(int pid)>& pid_alive) {
  TAYORI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  // FOR UPDATE (a gap lock when there is no row): two processes starting
  // with one name at once serialise here, and the second sees the first.
  auto rows = db.Query("SELECT host, pid, state, TIMESTAMPDIFF(MICROSECOND, heartbeat_at, UTC_TIMESTAMP(6)) / 1e6 "
                       "FROM engine_instances WHERE name = " + db.Quote(who.name) + " FOR UPDATE");
  if (!rows.ok()) return rows.status();
  InstanceClaim claim;
  if (!rows->rows.empty()) {
    const auto& r = rows->rows[0];
    std::string host = Str(r[0]), state = Str(r[2]);
    int pid = static_cast<int>(U64(r[1]));
    double age = std::stod(Str(r[3]).empty() ? "0" : Str(r[3]));
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
  Status st = db.Execute(
      "INSERT INTO engine_instances (name, host, pid, state, started_at, heartbeat_at) VALUES (" + db.Quote(who.name) +
      ", " + db.Quote(who.host) + ", " + std::to_string(who.pid) + ", 'running', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)) "
      "ON DUPLICATE KEY UPDATE host = VALUES(host), pid = VALUES(pid), state = 'running', "
      "started_at = VALUES(started_at), heartbeat_at = VALUES(heartbeat_at)");
  if (!st.ok()) return st;
  if (claim.had_predecessor) {
    st = db.Execute("UPDATE deliveries SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL "
                    "WHERE state = 'leased' AND lease_owner = " + db.Quote(who.name));
    if (!st.ok()) return st;
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
  TAYORI_ASSIGN_OR_RETURN(Rows prev, db.Query("SELECT host, pid, TIMESTAMPDIFF(MICROSECOND, heartbeat_at, "
                                              "UTC_TIMESTAMP(6)) / 1e6 FROM engine_instances WHERE name = " +
                                              db.Quote(who.name)));
  if (prev.rows.empty() || Str(prev.rows[0][0]) != who.host || static_cast<int>(U64(prev.rows[0][1])) != who.pid) {
    std::string holder = prev.rows.empty() ? "nobody (the row is gone)"
                                           : "PID " + Str(prev.rows[0][1]) + " on " + Str(prev.rows[0][0]);
    return Permanent("engine instance name '" + who.name + "' now belongs to " + holder +
                     "; this process no longer owns its leases and must stop");
  }
  out.gap_s = std::stod(Str(prev.rows[0][2]).empty() ? "0" : Str(prev.rows[0][2]));
  TAYORI_RETURN_IF_ERROR(db.Execute("UPDATE engine_instances SET heartbeat_at = UTC_TIMESTAMP(6), state = " +
                                    db.Quote(state) + " WHERE name = " + db.Quote(who.name) + " AND host = " +
                                    db.Quote(who.host) + " AND pid = " + std::to_string(who.pid)));
  TAYORI_ASSIGN_OR_RETURN(Rows rows, db.Query("SELECT (SELECT heartbeat_at FROM engine_instances WHERE name = " +
                                              db.Quote(who.name) + "), COUNT(*), COALESCE(SUM(name < " +
                                              db.Quote(who.name) + "), 0) FROM engine_instances WHERE state "
                                              "<> 'stopped' AND heartbeat_at >= UTC_TIMESTAMP(6) - INTERVAL " +
                                              std::to_string(alive_window_s) + " SECOND"));
  out.beat_at = Str(rows.rows[0][0]);
  int n = std::stoi(rows.rows[0][1].value_or("1"));
  out.live_instances = n < 1 ? 1 : n;
  out.rank = std::min(out.live_instances - 1, static_cast<int>(U64(rows.rows[0][2])));
  return out;
}

}  // namespace tayori::store
