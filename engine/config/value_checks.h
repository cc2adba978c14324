// Value checks of the configuration reader (internal to config/): each
// returns "" when the value is acceptable, else the reason, which the
// TableReader prefixes with file:line:column and the key.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace tayori::config {

// An environment variable name (secrets are named, never written here). A
// value that is not one is not repeated in the error: it may be the secret.
std::string CheckEnvName(const std::string& v);
std::string CheckNonEmpty(const std::string& v);
std::string CheckHostname(const std::string& v);
// A DKIM selector: one DNS label.
std::string CheckSelector(const std::string& v);
// http:// to 127.0.0.1, ::1 or localhost (plain HTTP allowed only there).
bool IsLoopbackHttp(const std::string& url);
// Both refuse any '@' (a user name or password), never repeating the value.
std::string CheckUnsubscribeUrl(const std::string& v);
std::string CheckHttpUrl(const std::string& v);
// Text stored in a column of at most `max_chars` characters.
std::function<std::string(const std::string&)> CheckColumnText(size_t max_chars);
// envelope.return_path and its placeholders.
std::string CheckReturnPath(const std::string& v);
// A KEK id is stored in dkim_keys.kek_id (VARCHAR(32) ascii) and bound into
// every sealed key.
std::string CheckKekId(const std::string& v);
// An address given whole (a complaint address).
std::string CheckMailbox(const std::string& v);

// One of `names`; sets *out to its value.
template <typename E>
std::function<std::string(const std::string&)> CheckEnum(std::initializer_list<std::pair<const char*, E>> names,
                                                         E* out) {
  std::vector<std::pair<std::string, E>> list;
  for (auto& p : names) list.emplace_back(p.first, p.second);
  return [list, out](const std::string& v) -> std::string {
    std::string allowed;
    for (auto& [n, e] : list) {
      if (n == v) {
        *out = e;
        return "";
      }
      allowed += (allowed.empty() ? "" : ", ") + n;
    }
    return "'" + v + "' is not one of: " + allowed;
  };
}

}  // namespace tayori::config
