#include "dns/txt.h"

namespace tayori::dns {

std::vector<std::string> SplitTxt(std::string_view value, size_t max) {
  std::vector<std::string> out;
  if (max == 0) max = kTxtStringMax;
  do {
    out.emplace_back(value.substr(0, max));
    value.remove_prefix(std::min(max, value.size()));
  } while (!value.empty());
  return out;
}

std::string QuoteTxt(std::string_view value) {
  std::string out;
  for (const auto& part : SplitTxt(value)) {
    if (!out.empty()) out += ' ';
    out += '"';
    for (char c : part) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out;
}

bool UnquoteTxt(std::string_view q, std::string* value) {
  value->clear();
  size_t i = 0;
  bool any = false;
  while (i < q.size()) {
    if (q[i] == ' ') {
      ++i;
      continue;
    }
    if (q[i] != '"') return false;
    ++i;
    bool closed = false;
    while (i < q.size()) {
      char c = q[i++];
      if (c == '\\') {
        if (i >= q.size()) return false;
        *value += q[i++];
      } else if (c == '"') {
        closed = true;
        break;
      } else {
        *value += c;
      }
    }
    if (!closed) return false;
    any = true;
  }
  return any;
}

std::string Fqdn(std::string_view name) {
  std::string out(name);
  if (out.empty() || out.back() != '.') out += '.';
  return out;
}

}  // namespace tayori::dns
