#include "config/value_checks.h"

#include "config/config.h"

#include <arpa/inet.h>

#include <algorithm>

namespace tayori::config {

std::string CheckEnvName(const std::string& v) {
  if (v.empty()) return "";
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    bool ok = (c >= 'A' && c <= 'Z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
    // The value is not repeated: the commonest mistake here is the secret
    // itself pasted where its variable's name belongs, and errors are logged.
    if (!ok) return "is not an environment variable name (A-Z, 0-9, _; the value is not shown): name the variable "
                    "that holds the secret, never the secret itself";
  }
  return "";
}

std::string CheckNonEmpty(const std::string& v) { return v.empty() ? "must not be empty" : ""; }

std::string CheckHostname(const std::string& v) {
  if (v.empty()) return "must not be empty";
  if (v.size() > 253) return "is longer than 253 characters";
  for (unsigned char c : v) {
    if (c <= ' ' || c == 0x7f || c == '/' || c == '@') return "'" + v + "' is not a host name";
  }
  return "";
}

std::string CheckSelector(const std::string& v) {
  if (v.empty() || v.size() > 63) return "a selector is 1 to 63 characters";
  for (char c : v) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return "'" + v + "' is not a DNS label (letters, digits, '-')";
  }
  return "";
}

bool IsLoopbackHttp(const std::string& url) {
  for (const char* p : {"http://127.0.0.1", "http://localhost", "http://[::1]"}) {
    std::string prefix = p;
    if (url.rfind(prefix, 0) == 0 && (url.size() == prefix.size() || url[prefix.size()] == ':' ||
                                      url[prefix.size()] == '/'))
      return true;
  }
  return false;
}

namespace {

// A user name or password in a URL (scheme://user:password@host/...) would be
// printed by `tayori config check`, in errors and logs naming the endpoint,
// and for the unsubscribe URL in every message. No URL these settings take
// needs an '@', so any is refused, without repeating the value: a password
// holding '/', '#' or '?', or a URL missing its "://", would fool a parser
// of the authority part.
bool HasAt(const std::string& url) { return url.find('@') != std::string::npos; }

}  // namespace

// RFC 8058 §3.1: the List-Unsubscribe URI must be HTTPS. Plain HTTP is allowed
// only on loopback, for tests and the demo.
std::string CheckUnsubscribeUrl(const std::string& v) {
  if (HasAt(v))
    return "must not contain '@' (the value is not shown): a user name or password in it would be published in "
           "every message";
  if (v.rfind("https://", 0) != 0 && !IsLoopbackHttp(v))
    return "'" + v + "' must start with https:// (http:// only on a loopback host)";
  if (v.back() != '/') return "'" + v + "' must end with '/' (the token is appended)";
  for (unsigned char c : v) {
    if (c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == '"') return "contains a character not allowed in a URL";
  }
  return "";
}

std::string CheckHttpUrl(const std::string& v) {
  if (HasAt(v)) return "must not contain '@' (the value is not shown): credentials go in the *_env settings";
  if (v.rfind("https://", 0) != 0 && v.rfind("http://", 0) != 0) return "'" + v + "' is not an http(s) URL";
  return "";
}

// A value stored in a VARCHAR(n) column (engine_instances.name, relay in
// deliveries): printable, and not longer than the column, so a write never
// fails on it after messages were sent.
std::function<std::string(const std::string&)> CheckColumnText(size_t max_chars) {
  return [max_chars](const std::string& v) -> std::string {
    if (v.size() > max_chars) return "is longer than " + std::to_string(max_chars) + " characters";
    for (unsigned char c : v)
      if (c < ' ' || c >= 0x7f) return "'" + v + "' must be printable ASCII";
    return "";
  };
}

std::string CheckInstanceName(const std::string& v) {
  std::string text = CheckColumnText(128)(v);
  if (!text.empty()) return text;
  if (v.front() == ' ' || v.back() == ' ') return "'" + v + "' must not begin or end with a space";
  return "";
}

std::string CheckReturnPath(const std::string& v) {
  auto at = v.rfind('@');
  if (at == std::string::npos || at == 0 || at + 1 == v.size()) return "'" + v + "' is not local@domain";
  for (unsigned char c : v) {
    if (c <= ' ' || c >= 0x7f || c == '<' || c == '>') return "contains a character not allowed in an address";
  }
  // Only the documented placeholders may appear.
  std::string rest = v;
  for (const char* ph : {"{delivery_id}", "{mac}"}) {
    for (size_t p; (p = rest.find(ph)) != std::string::npos;) rest.erase(p, std::string(ph).size());
  }
  if (rest.find('{') != std::string::npos || rest.find('}') != std::string::npos)
    return "unknown placeholder (allowed: {delivery_id}, {mac})";
  return "";
}

// A KEK id is stored in dkim_keys.kek_id (VARCHAR(32) ascii) and bound into
// every sealed key.
std::string CheckKekId(const std::string& v) {
  if (v.empty() || v.size() > 32) return "a KEK id is 1 to 32 characters";
  for (char c : v)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return "'" + v + "' must be letters, digits, '-' and '_' only";
  return "";
}

// An address given whole (a complaint address): local@domain, printable
// ASCII without the characters an SMTP path cannot carry bare.
std::string CheckMailbox(const std::string& v) {
  auto at = v.rfind('@');
  if (at == std::string::npos || at == 0 || at + 1 == v.size()) return "'" + v + "' is not local@domain";
  for (unsigned char c : v)
    if (c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == '"' || c == ',') return "'" + v + "' is not an address";
  return "";
}

}  // namespace tayori::config
