// An SMTP reply (RFC 5321 §4.2): a three-digit code and a text that starts
// with the enhanced status code (RFC 3463), e.g. {451, "4.3.0 database
// unavailable, try again later"}. The listener writes them; the deliver
// function returns one per recipient (server.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tayori::inbound {

struct Reply {
  int code = 0;
  std::string text;  // one line, without the code; control characters are written as spaces

  // 250 2.0.0: the message's effects are committed.
  static Reply Accepted(std::string_view detail = "message accepted");
  // 451 4.3.0: not committed (the database is down …); the sender retries.
  static Reply TryLater(std::string_view why = "temporary failure, try again later");
  // 554 5.6.0: refused for good (the sender gives up).
  static Reply Refused(std::string_view why = "message refused");

  bool positive() const { return code >= 200 && code < 300; }
  bool transient() const { return code >= 400 && code < 500; }
  bool permanent() const { return code >= 500 && code < 600; }

  // "250 2.0.0 message accepted\r\n". A code outside 200..599 (a caller's
  // bug) is written as 451 4.3.0 so the sender retries; CR, LF and other
  // control characters in the text become spaces; the line is cut at 510
  // octets with its CRLF at most (RFC 5321 §4.5.3.1.5).
  std::string Line() const;
};

// The one reply SMTP gives for a message from the outcomes of its
// recipients (LMTP gives each its own). Any 4xx: that reply (the sender
// retries the whole message; what was committed must tolerate the repeat).
// Else any 2xx: the first 2xx (a recipient refused for good stays refused;
// nothing of it would change on a retry). Else the first 5xx. No outcomes
// at all: 451.
Reply CombineForSmtp(const std::vector<Reply>& per_recipient);

}  // namespace tayori::inbound
