// The systemd service manager protocol (sd_notify): `Type=notify` units learn
// that the engine is ready (after its first successful poll), that it is
// stopping (a drain began), and that its loop is alive (WATCHDOG=1 at half
// the unit's WatchdogSec). Outside systemd (no $NOTIFY_SOCKET) every call
// does nothing. Owned by the loop thread; libsystemd is used only here.
#pragma once

#include <memory>
#include <string>

#include "loop/loop.h"

namespace tayori::daemon {

class ServiceNotifier {
 public:
  explicit ServiceNotifier(loop::Loop& loop);
  ~ServiceNotifier();

  // READY=1 with a status line (`systemctl status` shows it); once.
  void Ready(const std::string& status);
  // STOPPING=1: the drain began.
  void Stopping(const std::string& status);
  // RELOADING=1 when a reload (SIGHUP) begins; Reloaded ends it (READY=1
  // again, with the outcome as status), whether it was applied or refused.
  void Reloading(const std::string& status);
  void Reloaded(const std::string& status);
  // STATUS=... alone.
  void Status(const std::string& status);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tayori::daemon
