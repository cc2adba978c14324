#include "store/migrations.h"

#include <algorithm>
#include <map>

#include "base/log.h"

namespace tayori::store {
namespace {

constexpr const char* kCreateLedger =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INT NOT NULL PRIMARY KEY,"
    " name VARCHAR(200) NOT NULL,"
    " applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

Result<std::map<int, MigrationState>> ReadLedger(Connection& db) {
  TAYORI_RETURN_IF_ERROR(db.Execute(kCreateLedger));
  TAYORI_ASSIGN_OR_RETURN(Table rows, db.Select("SELECT version, name, applied_at FROM schema_migrations ORDER BY version"));
  std::map<int, MigrationState> applied;
  for (const auto& r : rows.rows) {
    MigrationState s;
    s.version = r.Int(0);
    s.name = r.Str(1);
    s.applied = true;
    s.applied_at = r.Str(2);
    applied[s.version] = s;
  }
  return applied;
}

// A named lock serialises concurrent migrators (GET_LOCK is session-scoped and
// released when the connection closes, so a crash cannot leave it held).
class MigrationLock {
 public:
  explicit MigrationLock(Connection& db) : db_(db) {}
  Status Acquire() {
    auto r = db_.Select("SELECT GET_LOCK('tayori_migrate', 60)");
    if (!r.ok()) return r.status();
    if (r->empty() || r->rows[0].OptI64(0).value_or(0) != 1)
      return Transient("another process is migrating this database (lock tayori_migrate held for 60 s)");
    held_ = true;
    return Status::Ok();
  }
  ~MigrationLock() {
    if (held_) (void)db_.Select("SELECT RELEASE_LOCK('tayori_migrate')");
  }

 private:
  Connection& db_;
  bool held_ = false;
};

Status RefuseIfAhead(const SchemaStatus& s, const std::string& where) {
  if (!s.ahead()) return Status::Ok();
  return ConfigError("database " + where + " has schema version " + std::to_string(s.current_version) +
                     ", newer than this binary knows (" + std::to_string(s.latest_version) +
                     "); upgrade tayori before running it against this database");
}

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

std::vector<std::string> SplitStatements(std::string_view sql) {
  std::vector<std::string> out;
  std::string current;
  bool has_code = false;  // more than blanks and comments since the last ';'
  auto finish = [&] {
    if (has_code) {
      size_t b = 0, e = current.size();
      while (b < e && IsBlank(current[b])) ++b;
      while (e > b && IsBlank(current[e - 1])) --e;
      out.push_back(current.substr(b, e - b));
    }
    current.clear();
    has_code = false;
  };
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (c == '\'' || c == '"' || c == '`') {
      // A quoted string or identifier, copied whole: a doubled quote stays
      // inside it, and in strings so does a backslash-escaped character.
      size_t j = i + 1;
      for (; j < sql.size(); ++j) {
        if (sql[j] == '\\' && c != '`') {
          ++j;
        } else if (sql[j] == c) {
          if (j + 1 < sql.size() && sql[j + 1] == c) {
            ++j;
          } else {
            break;
          }
        }
      }
      j = std::min(j, sql.size() - 1);
      current.append(sql.substr(i, j + 1 - i));
      has_code = true;
      i = j;
    } else if (c == '#' || (c == '-' && i + 2 < sql.size() && sql[i + 1] == '-' && IsBlank(sql[i + 2]))) {
      while (i + 1 < sql.size() && sql[i + 1] != '\n') ++i;  // a line comment: dropped
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      size_t end = sql.find("*/", i + 2);
      end = end == std::string_view::npos ? sql.size() : end + 2;
      current.append(sql.substr(i, end - i));
      // /*! ... */ and /*M! ... */ are executable comments: code to MariaDB.
      if (sql.substr(i, 3) == "/*!" || sql.substr(i, 4) == "/*M!") has_code = true;
      i = end - 1;
    } else if (c == ';') {
      finish();
    } else {
      current += c;
      if (!IsBlank(c)) has_code = true;
    }
  }
  finish();
  return out;
}

int LatestVersion() {
  const auto& all = AllMigrations();
  return all.empty() ? 0 : all.back().version;
}

int SchemaStatus::pending() const {
  return static_cast<int>(std::count_if(migrations.begin(), migrations.end(),
                                        [](const MigrationState& m) { return !m.applied; }));
}

Result<SchemaStatus> GetSchemaStatus(Connection& db) {
  TAYORI_ASSIGN_OR_RETURN(auto applied, ReadLedger(db));
  SchemaStatus s;
  s.latest_version = LatestVersion();
  for (const auto& m : AllMigrations()) {
    auto it = applied.find(m.version);
    if (it != applied.end()) {
      s.migrations.push_back(it->second);
      applied.erase(it);
    } else {
      s.migrations.push_back(MigrationState{m.version, m.name, false, ""});
    }
  }
  // Versions applied by a newer binary: shown so the operator sees why.
  for (auto& [v, st] : applied) s.migrations.push_back(st);
  for (const auto& m : s.migrations)
    if (m.applied) s.current_version = std::max(s.current_version, m.version);
  return s;
}

Result<std::vector<int>> Migrate(Connection& db) {
  MigrationLock lock(db);
  TAYORI_RETURN_IF_ERROR(lock.Acquire());
  TAYORI_ASSIGN_OR_RETURN(SchemaStatus status, GetSchemaStatus(db));
  TAYORI_RETURN_IF_ERROR(RefuseIfAhead(status, db.describe()));

  std::vector<int> done;
  for (const auto& m : AllMigrations()) {
    bool applied = std::any_of(status.migrations.begin(), status.migrations.end(),
                               [&](const MigrationState& s) { return s.version == m.version && s.applied; });
    if (applied) continue;
    log::Info("db", "applying migration", {{"version", std::to_string(m.version)}, {"name", m.name}});
    // One statement at a time, each safe to run again (migrations.h): if
    // this process dies between two of them, the next Migrate starts the
    // migration over and the statements already applied change nothing.
    std::vector<std::string> statements = SplitStatements(m.sql);
    for (size_t i = 0; i < statements.size(); ++i) {
      Status st = db.Execute(statements[i]);
      if (!st.ok())
        return st.WithContext("migration " + std::to_string(m.version) + " (" + m.name + "), statement " +
                              std::to_string(i + 1) + " of " + std::to_string(statements.size()));
    }
    TAYORI_RETURN_IF_ERROR(
        db.Run("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", {m.version, m.name}));
    done.push_back(m.version);
  }
  return done;
}

}  // namespace tayori::store
