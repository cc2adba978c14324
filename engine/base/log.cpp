#include "base/log.h"

#include "base/utf8_text.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <string>

namespace tayori::log {
namespace {

std::atomic<int> g_min_level{static_cast<int>(Level::kInfo)};
std::atomic<Format> g_format{Format::kText};
std::atomic<bool> g_prefix{false};
std::mutex g_mu;

const char* LevelName(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

std::string Timestamp() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

// Text values with spaces or quotes are quoted so a line stays parseable.
void AppendTextValue(std::string& out, std::string_view v) {
  bool plain = !v.empty();
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) plain = false;
  }
  if (plain) {
    out += ScrubUtf8(v, std::string_view::npos);
  } else {
    out += '"';
    out += JsonEscape(v);
    out += '"';
  }
}

// systemd sets JOURNAL_STREAM=<device>:<inode> for a service whose stderr
// is the journal; a child whose stderr was redirected keeps the variable but
// not the stream, hence the comparison with what fd 2 is now.
bool StderrIsJournal() {
  const char* v = std::getenv("JOURNAL_STREAM");
  if (!v || !*v) return false;
  struct stat st {};
  if (fstat(STDERR_FILENO, &st) != 0) return false;
  std::string want = std::to_string(static_cast<unsigned long long>(st.st_dev)) + ":" +
                     std::to_string(static_cast<unsigned long long>(st.st_ino));
  return want == v;
}

}  // namespace

void Configure(Level min_level, Format format, Prefix prefix) {
  g_min_level.store(static_cast<int>(min_level));
  g_format.store(format);
  g_prefix.store(prefix == Prefix::kOn || (prefix == Prefix::kAuto && StderrIsJournal()));
}

bool ParsePrefix(std::string_view name, Prefix* out) {
  if (name == "auto") *out = Prefix::kAuto;
  else if (name == "on") *out = Prefix::kOn;
  else if (name == "off") *out = Prefix::kOff;
  else return false;
  return true;
}

std::string_view PriorityPrefix(Level level) {
  if (!g_prefix.load(std::memory_order_relaxed)) return "";
  switch (level) {
    case Level::kDebug: return "<7>";
    case Level::kInfo: return "<6>";
    case Level::kWarn: return "<4>";
    case Level::kError: return "<3>";
  }
  return "<6>";
}

bool ParseLevel(std::string_view name, Level* out) {
  if (name == "debug") *out = Level::kDebug;
  else if (name == "info") *out = Level::kInfo;
  else if (name == "warn") *out = Level::kWarn;
  else if (name == "error") *out = Level::kError;
  else return false;
  return true;
}

bool ParseFormat(std::string_view name, Format* out) {
  if (name == "text") *out = Format::kText;
  else if (name == "json") *out = Format::kJson;
  else return false;
  return true;
}

bool Enabled(Level level) { return static_cast<int>(level) >= g_min_level.load(std::memory_order_relaxed); }

std::string JsonEscape(std::string_view raw) {
  // A log line is UTF-8 whatever a relay or a peer sent us (Latin-1 replies
  // exist): invalid bytes become U+FFFD instead of breaking log readers.
  std::string s = ScrubUtf8(raw, std::string_view::npos);
  std::string out;
  out.reserve(s.size() + 8);
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

void Write(Level level, std::string_view subsystem, std::string_view message,
           std::initializer_list<Field> fields) {
  if (!Enabled(level)) return;
  std::string line;
  line.reserve(128);
  const bool journal = g_prefix.load(std::memory_order_relaxed);
  line += PriorityPrefix(level);
  if (g_format.load() == Format::kJson) {
    line += "{\"ts\":\"" + Timestamp() + "\",\"level\":\"" + LevelName(level) + "\",\"subsystem\":\"";
    line += JsonEscape(subsystem);
    line += "\",\"msg\":\"";
    line += JsonEscape(message);
    line += '"';
    for (const auto& [k, v] : fields) {
      line += ",\"";
      line += JsonEscape(k);
      line += "\":\"";
      line += JsonEscape(v);
      line += '"';
    }
    line += "}\n";
  } else {
    if (!journal) {
      line += Timestamp();
      line += ' ';
    }
    line += LevelName(level);
    line += ' ';
    line += subsystem;
    line += ": ";
    line += message;
    for (const auto& [k, v] : fields) {
      line += ' ';
      line += k;
      line += '=';
      AppendTextValue(line, v);
    }
    line += '\n';
  }
  std::lock_guard<std::mutex> lock(g_mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace tayori::log
