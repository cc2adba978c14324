#include "daemon/service_notify.h"

#include <systemd/sd-daemon.h>

#include <chrono>

#include "base/log.h"

namespace tayori::daemon {

struct ServiceNotifier::Impl {
  explicit Impl(loop::Loop& l) : watchdog(l) {}
  loop::Timer watchdog;
  bool ready = false;
};

namespace {

// Newlines would start another assignment in the notification.
std::string OneLine(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

void Notify(const std::string& text) {
  int rc = sd_notify(0, text.c_str());
  if (rc < 0) log::Warn("systemd", "sd_notify failed", {{"error", std::to_string(-rc)}});
}

}  // namespace

ServiceNotifier::ServiceNotifier(loop::Loop& loop) : impl_(std::make_unique<Impl>(loop)) {
  // WatchdogSec= in the unit: the loop itself pings, so a stuck loop (not a
  // merely busy worker) gets the service restarted.
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    auto every = std::chrono::milliseconds(std::max<uint64_t>(usec / 2000, 1));
    impl_->watchdog.Start(every, [] { Notify("WATCHDOG=1"); }, every);
  }
}

ServiceNotifier::~ServiceNotifier() { impl_->watchdog.Stop(); }

void ServiceNotifier::Ready(const std::string& status) {
  if (impl_->ready) return;
  impl_->ready = true;
  Notify("READY=1\nSTATUS=" + OneLine(status));
}

void ServiceNotifier::Stopping(const std::string& status) { Notify("STOPPING=1\nSTATUS=" + OneLine(status)); }

void ServiceNotifier::Reloading(const std::string& status) {
  Notify("RELOADING=1\nSTATUS=" + OneLine(status));
}

void ServiceNotifier::Reloaded(const std::string& status) {
  // READY=1 ends the reload for systemd; before the first READY it would
  // announce readiness early, so then only the status is sent.
  Notify((impl_->ready ? "READY=1\nSTATUS=" : "STATUS=") + OneLine(status));
}

void ServiceNotifier::Status(const std::string& status) { Notify("STATUS=" + OneLine(status)); }

}  // namespace tayori::daemon
