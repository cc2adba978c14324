#include "smtp/reply.h"

#include <cctype>

#include "base/utf8_text.h"

namespace tayori::smtp {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}

size_t Digits(std::string_view s, size_t pos, size_t max) {
  size_t n = 0;
  while (pos + n < s.size() && n < max && std::isdigit(static_cast<unsigned char>(s[pos + n]))) ++n;
  return n;
}

// Queue ids appear in many shapes; these cover Postfix ("queued as X"),
// Exim ("id=X"), Sendmail ("X Message accepted"), and smtp-sink/aiosmtpd.
std::string FindQueueId(std::string_view text) {
  auto token_after = [&](std::string_view marker) -> std::string {
    size_t p = text.find(marker);
    if (p == std::string_view::npos) return "";
    p += marker.size();
    size_t e = p;
    while (e < text.size() && (std::isalnum(static_cast<unsigned char>(text[e])) || text[e] == '-' ||
                               text[e] == '_' || text[e] == '.' || text[e] == '@'))
      ++e;
    return std::string(text.substr(p, std::min<size_t>(e - p, 64)));
  };
  for (std::string_view m : {"queued as ", "id=", "Queued as ", "queued with id ", "ok "}) {
    std::string id = token_after(m);
    if (!id.empty()) return id;
  }
  return "";
}

}  // namespace

std::string_view EnhancedCodePrefix(std::string_view t) {
  if (t.size() < 5 || (t[0] != '2' && t[0] != '4' && t[0] != '5') || t[1] != '.') return {};
  size_t a = Digits(t, 2, 3);
  if (a == 0 || 2 + a >= t.size() || t[2 + a] != '.') return {};
  size_t b = Digits(t, 3 + a, 3);
  if (b == 0) return {};
  size_t end = 3 + a + b;
  if (end < t.size() && t[end] != ' ') return {};
  return t.substr(0, end);
}

Reply ParseReply(const std::vector<std::string>& lines) {
  Reply r;
  for (const auto& raw : lines) {
    std::string_view line = Trim(raw);
    std::string_view rest = line;
    if (line.size() >= 3 && Digits(line, 0, 3) == 3 && (line.size() == 3 || line[3] == ' ' || line[3] == '-')) {
      r.code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
      rest = line.size() > 4 ? line.substr(4) : std::string_view();
      std::string_view enh = EnhancedCodePrefix(rest);
      if (!enh.empty()) {
        if (r.enhanced.empty()) r.enhanced = std::string(enh);
        rest = Trim(rest.substr(enh.size()));
      }
    }
    if (!rest.empty()) {
      if (!r.text.empty()) r.text += ' ';
      r.text += rest;
    }
  }
  // Valid UTF-8 from here on (a relay may answer in Latin-1), and at most
  // 500 bytes, cut between characters: it is stored, logged and classified.
  r.text = ScrubUtf8(r.text, 500, 500);
  if (r.code / 100 == 2) r.queue_id = FindQueueId(r.text);
  return r;
}

std::string Reply::ToString() const {
  if (!received()) return text.empty() ? "no reply" : text;
  std::string s = std::to_string(code);
  if (!enhanced.empty()) s += " " + enhanced;
  if (!text.empty()) s += " " + text;
  return s;
}

}  // namespace tayori::smtp
