#include "http/language.h"

#include <cctype>
#include <vector>

namespace tayori::http {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths;
// -1 when malformed.
int ParseQ(std::string_view v) {
  if (v.empty() || (v[0] != '0' && v[0] != '1')) return -1;
  int q = (v[0] - '0') * 1000;
  if (v.size() == 1) return q;
  if (v[1] != '.' || v.size() > 5) return -1;
  int scale = 100;
  for (size_t i = 2; i < v.size(); ++i, scale /= 10) {
    if (!std::isdigit(static_cast<unsigned char>(v[i]))) return -1;
    q += (v[i] - '0') * scale;
  }
  return q > 1000 ? -1 : q;
}

}  // namespace

std::string_view ChooseLanguage(std::string_view header, std::span<const std::string_view> available,
                                std::string_view fallback) {
  struct Score {
    int q = -1;          // -1: no range matched
    size_t order = 0;    // index of the matching range in the header
    bool specific = false;
  };
  std::vector<Score> scores(available.size());
  size_t order = 0;
  size_t pos = 0;
  while (pos <= header.size() && order < 64) {
    size_t comma = header.find(',', pos);
    if (comma == std::string_view::npos) comma = header.size();
    std::string_view item = Trim(header.substr(pos, comma - pos));
    pos = comma + 1;
    if (item.empty()) continue;
    size_t semi = item.find(';');
    std::string_view range = Trim(item.substr(0, semi));
    int q = 1000;
    if (semi != std::string_view::npos) {
      std::string_view param = Trim(item.substr(semi + 1));
      if (param.size() < 2 || (param[0] != 'q' && param[0] != 'Q') || param[1] != '=') continue;
      q = ParseQ(Trim(param.substr(2)));
      if (q < 0) continue;
    }
    std::string_view primary = range.substr(0, range.find('-'));
    bool wildcard = range == "*";
    for (size_t i = 0; i < available.size(); ++i) {
      bool specific = EqualsIgnoreCase(primary, available[i]);
      if (!specific && !wildcard) continue;
      Score& s = scores[i];
      // The best specific range for a language decides its q; "*" only
      // fills in for languages no specific range named.
      if (specific ? (s.specific && s.q >= q) : (s.q >= 0)) continue;
      s = Score{q, order, specific};
    }
    ++order;
  }
  std::string_view best = fallback;
  int best_q = 0;
  size_t best_order = 0;
  for (size_t i = 0; i < available.size(); ++i) {
    const Score& s = scores[i];
    if (s.q <= 0) continue;
    if (s.q > best_q || (s.q == best_q && s.order < best_order)) {
      best = available[i];
      best_q = s.q;
      best_order = s.order;
    }
  }
  return best;
}

}  // namespace tayori::http
