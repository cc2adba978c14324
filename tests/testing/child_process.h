// A helper server started by a test (fault relay, HTTP capture …): spawned
// with its stdout on a pipe, waited for until it prints "READY <port>", and
// stopped by its PID (SIGTERM, then SIGKILL) when the object dies.
#pragma once

#include <string>
#include <vector>

namespace tayori::testing {

class ChildProcess {
 public:
  // Starts argv[0] with argv; fails the test (ADD_FAILURE) when it does not
  // print READY within `ready_timeout_ms`.
  explicit ChildProcess(std::vector<std::string> argv, int ready_timeout_ms = 10000);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  int port() const { return port_; }
  int pid() const { return pid_; }
  bool ok() const { return port_ > 0; }
  void Stop();

 private:
  int pid_ = -1;
  int port_ = 0;
  int out_fd_ = -1;
};

// The fault relay of tests/tools/fault_relay.py with extra flags.
std::vector<std::string> FaultRelayCommand(std::vector<std::string> extra = {});

}  // namespace tayori::testing
