// Module feedback/: reading inbound bounce reports, complaints and auto-replies from raw messages;
// the only includer of GMime; pure otherwise. May include: base/, smtp/ (its links in
// CMakeLists.txt, and what they link publicly; scripts/check-layering checks both).
//
// The inbound feedback parser (issue 13): one received message in, one
// Report out (report.h). A message is, in this order, an RFC 5965 complaint
// (a message/feedback-report part), an RFC 3464 / RFC 6533 delivery report
// (a message/delivery-status or message/global-delivery-status part), a
// text bounce of a known dialect (text_bounce.h), an RFC 3834 auto-reply,
// or not feedback. docs/feedback.md has the formats and the fields.
//
// Hostile input gets an answer, never a crash or an exception: a message
// over Limits::max_message_bytes is refused unread; recipients beyond
// Limits::max_recipients are counted, not kept; every text is valid UTF-8
// and bounded (limits.h); a bounce of a bounce is ignored with the reason.
//
// Matching the report to a delivery is the caller's: the parser verifies
// the VERP (Report::delivery_id) and extracts the other candidates
// (Report::returned, RecipientReport::recipient).
//
// Thread-safety: a Parser is immutable; Parse may run on any number of
// threads at once.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "feedback/limits.h"
#include "feedback/report.h"
#include "feedback/verp.h"

namespace tayori::feedback {

class Parser {
 public:
  explicit Parser(VerpKey verp, Limits limits = {});

  // `message`: the raw message as received (RFC 5322, CRLF or LF).
  // `envelope_recipients`: the RCPT TO addresses it was received for, where
  // Tayori's VERP normally is (the listener passes them; empty from a file).
  Report Parse(std::string_view message, const std::vector<std::string>& envelope_recipients = {}) const;

  // Reads and parses a file; a file larger than the limit is refused
  // before it is read. An unreadable file is an error (kNotFound or
  // kInvalidInput naming the path), not a report.
  Result<Report> ParseFile(const std::string& path, const std::vector<std::string>& envelope_recipients = {}) const;

  const Limits& limits() const { return limits_; }

 private:
  Report Refuse(size_t bytes) const;

  Limits limits_;
  VerpMatcher verp_;
};

}  // namespace tayori::feedback
