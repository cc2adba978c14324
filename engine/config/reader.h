// TableReader: walks one TOML table, converting and range-checking each key and
// remembering which keys it consumed, so every unknown key can be reported with
// its position. Internal to the config module (includes toml++).
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <toml++/toml.h>

namespace tayori::config {

class Problems {
 public:
  explicit Problems(std::string file) : file_(std::move(file)) {}
  void Add(const toml::source_region& where, const std::string& key, const std::string& what);
  bool empty() const { return lines_.empty(); }
  std::string Joined() const;
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::vector<std::string> lines_;
};

class TableReader {
 public:
  // `path` is the dotted name of this table ("" for the root), used in messages.
  TableReader(const toml::table& table, std::string path, Problems& problems);

  // Each getter leaves *out unchanged when the key is absent (the default stays)
  // and records a problem when the value has the wrong type or is out of range.
  void Int(std::string_view key, int* out, int64_t min, int64_t max);
  void Double(std::string_view key, double* out, double min, double max);
  void Bool(std::string_view key, bool* out);
  // `check` returns an empty string when the value is acceptable, else the reason.
  void String(std::string_view key, std::string* out,
              const std::function<std::string(const std::string&)>& check = nullptr);
  void StringList(std::string_view key, std::vector<std::string>* out,
                  const std::function<std::string(const std::string&)>& check = nullptr);
  // A key that must be present.
  void Require(std::string_view key);

  std::optional<TableReader> Table(std::string_view key);
  // Each element of an array of tables; reports non-table elements.
  std::vector<TableReader> TableArray(std::string_view key);

  // Reports every key that no getter asked for.
  void RejectUnknownKeys();

  const toml::source_region& where() const { return table_->source(); }
  std::string KeyPath(std::string_view key) const;
  Problems& problems() { return *problems_; }

 private:
  const toml::node* Find(std::string_view key);

  const toml::table* table_;
  std::string path_;
  Problems* problems_;
  std::set<std::string, std::less<>> used_;
};

}  // namespace tayori::config
