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

// Process-wide settings; call once at start-up (before other threads log).
void Configure(Level min_level, Format format);
bool ParseLevel(std::string_view name, Level* out);
bool ParseFormat(std::string_view name, Format* out);
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
