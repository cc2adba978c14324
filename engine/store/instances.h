// Engine instances and their heartbeats: how several engine processes on one
// database find out how many of them are alive (to divide the global rate),
// and whose leases may be taken over (only a dead instance's).
//
// One instance name belongs to one process at a time: the name is the owner
// of every lease the process takes, so two live processes sharing a name
// would write each other's outcomes and release each other's leases.
#pragma once

#include <functional>
#include <string>

#include "base/status.h"
#include "store/connection.h"

namespace tayori::store {

// Who this process is, as recorded in engine_instances.
struct InstanceIdentity {
  std::string name;
  std::string host;
  int pid = 0;
};

struct InstanceClaim {
  int released_leases = 0;   // leases a dead predecessor of that name still held
  bool had_predecessor = false;
};

// Takes `who.name` for this process. Refused (kConfig, naming the other
// host/PID and how fresh its heartbeat is) while another process with a
// heartbeat younger than `alive_window_s` holds the name, unless that
// process is on this host and `pid_alive` says its PID is gone (a crash
// restarted at once need not wait out the window). A predecessor's
// leftover leases go back to 'queued' in the same transaction: that process
// is dead, so they are exactly the leases a takeover would release.
Result<InstanceClaim> ClaimInstanceName(Connection& db, const InstanceIdentity& who, int alive_window_s,
                                        const std::function<bool(int pid)>& pid_alive);

struct HeartbeatResult {
  int live_instances = 1;     // instances (this one included) that beat within the window
  int rank = 0;               // how many of them have a name that sorts before this one's
  double gap_s = 0;           // database time since this process's previous beat
  std::string beat_at;        // this beat's time, as the database wrote it (DATETIME(6) text)
};

// Records that this process is alive (state running|draining|stopped).
// Fails (kPermanent) when the name now belongs to another process: the
// caller must stop at once, it no longer owns its leases.
Result<HeartbeatResult> Heartbeat(Connection& db, const InstanceIdentity& who, const std::string& state,
                                  int alive_window_s);

}  // namespace tayori::store
