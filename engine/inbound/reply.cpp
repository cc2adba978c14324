#include "inbound/reply.h"

#include <algorithm>

namespace tayori::inbound {
namespace {

constexpr size_t kMaxReplyLine = 512;  // RFC 5321 §4.5.3.1.5, CRLF included

bool Valid(int code) { return code >= 200 && code <= 599; }

}  // namespace

Reply Reply::Accepted(std::string_view detail) { return {250, "2.0.0 " + std::string(detail)}; }

Reply Reply::TryLater(std::string_view why) { return {451, "4.3.0 " + std::string(why)}; }

Reply Reply::Refused(std::string_view why) { return {554, "5.6.0 " + std::string(why)}; }

std::string Reply::Line() const {
  std::string out;
  out.reserve(std::min(text.size(), kMaxReplyLine) + 8);
  if (Valid(code)) {
    out = std::to_string(code) + " ";
    out += text;
  } else {
    out = "451 4.3.0 internal error, try again later";
  }
  if (out.size() > kMaxReplyLine - 2) out.resize(kMaxReplyLine - 2);
  // The text may come from outside (an address, a database error): a CR or
  // LF in it would end the reply early and make the rest a reply of its own.
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  out += "\r\n";
  return out;
}

Reply CombineForSmtp(const std::vector<Reply>& per_recipient) {
  const Reply* first_positive = nullptr;
  const Reply* first_permanent = nullptr;
  for (const Reply& r : per_recipient) {
    if (r.transient()) return r;
    if (!r.positive() && !r.permanent()) return Reply::TryLater("internal error, try again later");
    if (r.positive() && !first_positive) first_positive = &r;
    if (r.permanent() && !first_permanent) first_permanent = &r;
  }
  if (first_positive) return *first_positive;
  if (first_permanent) return *first_permanent;
  return Reply::TryLater("internal error, try again later");
}

}  // namespace tayori::inbound
