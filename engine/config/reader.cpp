#include "config/reader.h"

#include <cmath>

namespace tayori::config {

void Problems::Add(const toml::source_region& where, const std::string& key, const std::string& what) {
  lines_.push_back(file_ + ":" + std::to_string(where.begin.line) + ":" + std::to_string(where.begin.column) +
                   ": " + key + ": " + what);
}

std::string Problems::Joined() const {
  std::string out;
  for (const auto& l : lines_) {
    if (!out.empty()) out += '\n';
    out += l;
  }
  return out;
}

TableReader::TableReader(const toml::table& table, std::string path, Problems& problems)
    : table_(&table), path_(std::move(path)), problems_(&problems) {}

std::string TableReader::KeyPath(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

const toml::node* TableReader::Find(std::string_view key) {
  used_.insert(std::string(key));
  return table_->get(key);
}

void TableReader::Int(std::string_view key, int* out, int64_t min, int64_t max) {
  const toml::node* n = Find(key);
  if (!n) return;
  auto v = n->value_exact<int64_t>();
  if (!v) {
    problems_->Add(n->source(), KeyPath(key), "expected an integer");
    return;
  }
  if (*v < min || *v > max) {
    problems_->Add(n->source(), KeyPath(key),
                   std::to_string(*v) + " is out of range " + std::to_string(min) + ".." + std::to_string(max));
    return;
  }
  *out = static_cast<int>(*v);
}

void TableReader::Double(std::string_view key, double* out, double min, double max) {
  const toml::node* n = Find(key);
  if (!n) return;
  // Accept integers too: "rate = 100" is as natural as "rate = 100.0".
  std::optional<double> v = n->is_integer() ? std::optional<double>(static_cast<double>(*n->value<int64_t>()))
                                            : n->value_exact<double>();
  if (!v) {
    problems_->Add(n->source(), KeyPath(key), "expected a number");
    return;
  }
  if (!std::isfinite(*v) || *v < min || *v > max) {
    problems_->Add(n->source(), KeyPath(key),
                   std::to_string(*v) + " is out of range " + std::to_string(min) + ".." + std::to_string(max));
    return;
  }
  *out = *v;
}

void TableReader::Bool(std::string_view key, bool* out) {
  const toml::node* n = Find(key);
  if (!n) return;
  auto v = n->value_exact<bool>();
  if (!v) {
    problems_->Add(n->source(), KeyPath(key), "expected true or false");
    return;
  }
  *out = *v;
}

void TableReader::String(std::string_view key, std::string* out,
                         const std::function<std::string(const std::string&)>& check) {
  const toml::node* n = Find(key);
  if (!n) return;
  auto v = n->value_exact<std::string>();
  if (!v) {
    problems_->Add(n->source(), KeyPath(key), "expected a string");
    return;
  }
  if (check) {
    std::string why = check(*v);
    if (!why.empty()) {
      problems_->Add(n->source(), KeyPath(key), why);
      return;
    }
  }
  *out = *v;
}

void TableReader::StringList(std::string_view key, std::vector<std::string>* out,
                             const std::function<std::string(const std::string&)>& check) {
  const toml::node* n = Find(key);
  if (!n) return;
  const toml::array* arr = n->as_array();
  if (!arr) {
    problems_->Add(n->source(), KeyPath(key), "expected an array of strings");
    return;
  }
  std::vector<std::string> result;
  bool good = true;
  for (const toml::node& e : *arr) {
    auto v = e.value_exact<std::string>();
    if (!v) {
      problems_->Add(e.source(), KeyPath(key), "expected an array of strings");
      good = false;
      continue;
    }
    if (check) {
      std::string why = check(*v);
      if (!why.empty()) {
        problems_->Add(e.source(), KeyPath(key), why);
        good = false;
        continue;
      }
    }
    result.push_back(*v);
  }
  if (good) *out = std::move(result);
}

void TableReader::Require(std::string_view key) {
  if (!table_->contains(key)) problems_->Add(table_->source(), KeyPath(key), "required key is missing");
}

std::optional<TableReader> TableReader::Table(std::string_view key) {
  const toml::node* n = Find(key);
  if (!n) return std::nullopt;
  const toml::table* t = n->as_table();
  if (!t) {
    problems_->Add(n->source(), KeyPath(key), "expected a table");
    return std::nullopt;
  }
  return TableReader(*t, KeyPath(key), *problems_);
}

std::vector<TableReader> TableReader::TableArray(std::string_view key) {
  std::vector<TableReader> out;
  const toml::node* n = Find(key);
  if (!n) return out;
  const toml::array* arr = n->as_array();
  if (!arr) {
    problems_->Add(n->source(), KeyPath(key), "expected an array of tables ([[" + KeyPath(key) + "]])");
    return out;
  }
  size_t i = 0;
  for (const toml::node& e : *arr) {
    const toml::table* t = e.as_table();
    std::string name = KeyPath(key) + "[" + std::to_string(i++) + "]";
    if (!t) {
      problems_->Add(e.source(), name, "expected a table");
      continue;
    }
    out.emplace_back(*t, name, *problems_);
  }
  return out;
}

void TableReader::RejectUnknownKeys() {
  for (const auto& [k, node] : *table_) {
    if (!used_.contains(k.str())) {
      problems_->Add(k.source().begin.line ? k.source() : node.source(), KeyPath(k.str()), "unknown key");
    }
  }
}

}  // namespace tayori::config
