// Structured logging: every line says subsystem, subject and reason,
// as text for people or as one JSON object per line for
// collectors. Thread-safe. Never pass a secret or a whole message body here:
// nothing in this module can tell a secret from any other string.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace tayori::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class Format { kText, kJson };

// Optional key/value fields shown after the message.
using Field = std::pair<std::string_view, std::string_view>;

// Syslog priority prefixes ("<3>" error, "<4>" warn, "<6>" info, "<7>"
// debug) in front of every line, which journald turns into the entry's
// priority and strips (sd-daemon(3)). kAuto: when stderr is the journal
// stream systemd gave us ($JOURNAL_STREAM names its device and inode); the
// timestamp is then left to journald.
enum class Prefix { kAuto, kOn, kOff };

// Process-wide settings; call once at start-up (before other threads log).
void Configure(Level min_level, Format format, Prefix prefix = Prefix::kAuto);
bool ParseLevel(std::string_view name, Level* out);
bool ParseFormat(std::string_view name, Format* out);
bool ParsePrefix(std::string_view name, Prefix* out);
// "<N>" for `level` when prefixes are on, else "": for lines written to
// stderr outside Write (the CLI's one-line failure reports).
std::string_view PriorityPrefix(Level level);
bool Enabled(Level level);

void Write(Level level, std::string_view subsystem, std::string_view message,
           std::initializer_list<Field> fields = {});

inline void Debug(std::string_view sub, std::string_view msg, std::initializer_list<Field> f = {}) {
  if (Enabled(Level::kDebug)) Write(Level::kDebug, sub, msg, f);
}
inline void Info(std::string_view sub, std::string_view msg, std::initializer_list<Field> f = {}) {
  Write(Level::kInfo, sub, msg, f);
}
inline void Warn(std::string_view sub, std::string_view msg, std::initializer_list<Field> f = {}) {
  Write(Level::kWarn, sub, msg, f);
}
inline void Error(std::string_view sub, std::string_view msg, std::initializer_list<Field> f = {}) {
  Write(Level::kError, sub, msg, f);
}

// JSON string escaping (also used by --json outputs of the CLI).
std::string JsonEscape(std::string_view s);

}  // namespace tayori::log
