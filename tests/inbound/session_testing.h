// Helpers for driving a Session in tests: a recipient check with fixed
// answers and a wrapper that collects the replies of each Feed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "inbound/command.h"
#include "inbound/session.h"

namespace tayori::inbound::testing {

// "b+…@bounce.example" is a bounce address, "fbl@platform.example" a
// complaint address, anything else is refused.
inline RecipientCheck FixedCheck() {
  return [](std::string_view a) {
    RecipientVerdict v;
    if (StartsWithIgnoreCase(a, "b+") && a.size() > 17 && EqualsIgnoreCase(a.substr(a.size() - 15), "@bounce.example"))
      v.kind = RecipientKind::kBounce;
    else if (EqualsIgnoreCase(a, "fbl@platform.example"))
      v.kind = RecipientKind::kComplaint;
    else
      v.reason = "not a bounce or complaint address";
    return v;
  };
}

struct Driver {
  explicit Driver(SessionOptions o = {}) : session(o, FixedCheck()) {}
  Session session;
  std::string out;
  Session::Next Feed(std::string_view bytes) {
    out.clear();
    return session.Feed(bytes, &out);
  }
  Session::Next Delivered(const std::vector<Reply>& replies) {
    out.clear();
    return session.Delivered(replies, &out);
  }
  // The reply lines of the last call, CRLF removed.
  std::vector<std::string> Lines() const {
    std::vector<std::string> lines;
    size_t pos = 0;
    while (pos < out.size()) {
      size_t end = out.find("\r\n", pos);
      if (end == std::string::npos) end = out.size();
      lines.push_back(out.substr(pos, end - pos));
      pos = end + 2;
    }
    return lines;
  }
  // The three-digit codes of the last call's replies (continuation lines skipped).
  std::vector<int> Codes() const {
    std::vector<int> codes;
    for (const std::string& l : Lines())
      if (l.size() >= 4 && l[3] == ' ') codes.push_back(std::stoi(l.substr(0, 3)));
    return codes;
  }
};

}  // namespace tayori::inbound::testing
