// The static count of SPF's DNS-querying terms (RFC 7208 §4.6.4), walking
// include: and redirect= without an IP.
#include <cctype>
#include <set>

#include "readiness/spf_eval.h"

namespace tayori::readiness {
namespace {

// §4.6.4 also limits nesting through the lookup count itself; this bounds
// the walk when records include each other in a loop.
constexpr int kMaxDepth = 12;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "v=spf1" followed by a space or the end (§4.5).
bool IsSpfRecord(std::string_view txt) {
  return txt.size() >= 6 && Lower(txt.substr(0, 6)) == "v=spf1" && (txt.size() == 6 || txt[6] == ' ');
}

struct Walker {
  Lookups& lookups;
  SpfLookupCount& out;
  std::set<std::string> path;  // the records being walked: a loop stops here

  // Returns false when `domain` has no (single) SPF record. A record reached
  // twice through different branches counts twice, as an evaluation that
  // takes both branches queries it twice.
  bool Walk(const std::string& domain, int depth) {
    const std::string key = Lower(domain);
    if (depth > kMaxDepth || path.count(key)) return true;
    path.insert(key);
    const bool found = WalkRecord(domain, depth);
    path.erase(key);
    return found;
  }

  bool WalkRecord(const std::string& domain, int depth) {
    DnsAnswer a = lookups.Resolve(domain, RrType::kTxt);
    if (a.status == DnsStatus::kFailed) {
      out.dns_failed = true;
      if (out.error.empty()) out.error = a.error;
      return false;
    }
    const std::string* record = nullptr;
    int records = 0;
    for (const DnsRecord& r : a.records)
      if (IsSpfRecord(r.value)) {
        record = &r.value;
        ++records;
      }
    if (records != 1) return false;  // none, or several: a permerror libspf2 reports
    const std::string text = *record;

    std::string redirect;
    bool has_all = false;
    std::vector<std::string> includes;
    size_t i = 6;
    while (i < text.size()) {
      while (i < text.size() && text[i] == ' ') ++i;
      size_t end = text.find(' ', i);
      if (end == std::string::npos) end = text.size();
      std::string term = text.substr(i, end - i);
      i = end;
      if (term.empty()) continue;
      if (std::string_view("+-~?").find(term[0]) != std::string_view::npos) term.erase(0, 1);
      const size_t sep = term.find_first_of(":/=");
      const std::string name = Lower(term.substr(0, sep));
      const std::string arg = sep == std::string::npos ? "" : term.substr(sep + 1);
      if (sep != std::string::npos && term[sep] == '=') {
        if (name == "redirect") redirect = arg;  // exp= is not counted (§4.6.4)
        continue;
      }
      if (name == "all") has_all = true;
      if (name == "include") {
        ++out.lookups;
        includes.push_back(arg);
      } else if (name == "a" || name == "mx" || name == "ptr" || name == "exists") {
        ++out.lookups;
      }
    }
    // Domain specs with macros (%{i} …) depend on the message; they count
    // once but cannot be followed.
    for (const std::string& inc : includes)
      if (!inc.empty() && inc.find('%') == std::string::npos) Walk(inc, depth + 1);
    // §6.1: redirect= is ignored when the record has an "all" mechanism.
    if (!redirect.empty() && !has_all) {
      ++out.lookups;
      if (redirect.find('%') == std::string::npos) Walk(redirect, depth + 1);
    }
    return true;
  }
};

}  // namespace

SpfLookupCount CountSpfLookups(const std::string& domain, Lookups& lookups) {
  SpfLookupCount out;
  Walker w{lookups, out, {}};
  out.has_record = w.Walk(domain, 0);
  return out;
}

}  // namespace tayori::readiness
