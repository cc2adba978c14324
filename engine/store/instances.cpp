#include "store/instances.h"

namespace tayori::store {

Result<int> Heartbeat(Connection& db, const std::string& name, const std::string& host, int pid,
                      const std::string& state, int alive_window_s) {
  TAYORI_RETURN_IF_ERROR(db.Execute(
      "INSERT INTO engine_instances (name, host, pid, state) VALUES (" + db.Quote(name) + ", " + db.Quote(host) + ", " +
      std::to_string(pid) + ", " + db.Quote(state) + ") ON DUPLICATE KEY UPDATE heartbeat_at = UTC_TIMESTAMP(6), "
      "state = VALUES(state), pid = VALUES(pid), host = VALUES(host)"));
  TAYORI_ASSIGN_OR_RETURN(Rows rows, db.Query("SELECT COUNT(*) FROM engine_instances WHERE state <> 'stopped' AND "
                                              "heartbeat_at >= UTC_TIMESTAMP(6) - INTERVAL " +
                                              std::to_string(alive_window_s) + " SECOND"));
  int n = std::stoi(rows.rows[0][0].value_or("1"));
  return n < 1 ? 1 : n;
}

}  // namespace tayori::store
