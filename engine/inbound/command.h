// Parsing SMTP command lines (RFC 5321 §4.1), pure: the verb, and the path
// and ESMTP parameters of MAIL FROM and RCPT TO. Views returned point into
// the line given.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tayori::inbound {

enum class Verb {
  kHelo, kEhlo, kLhlo, kMail, kRcpt, kData, kRset, kNoop, kQuit, kVrfy, kExpn, kHelp,
  kNotImplemented,  // known, deliberately not offered: STARTTLS, AUTH, BDAT, ETRN, TURN, ATRN
  kUnknown,
};

struct Command {
  Verb verb = Verb::kUnknown;
  std::string_view args;  // after the verb and the spaces that follow it
};

// `line` without its line end. Verbs compare without regard to case.
Command ParseCommand(std::string_view line);

struct EsmtpParam {
  std::string keyword;     // upper case: "SIZE", "BODY", "SMTPUTF8"
  std::string_view value;  // "" when the parameter has none
};

struct PathArgs {
  // The mailbox without the angle brackets and without a source route
  // ("<@relay:user@example.com>" gives "user@example.com", §4.1.2); "" for
  // the null path "<>".
  std::string address;
  std::vector<EsmtpParam> params;
};

enum class PathError {
  kNone,
  kSyntax,   // not "FROM:<…>" / "TO:<…>", or a malformed parameter: 501 5.5.4
  kAddress,  // the path is not a mailbox: 501 5.1.7 / 5.1.3
  kTooLong,  // longer than kMaxPathBytes: 501 5.1.7 / 5.1.3
};

// The arguments of MAIL (`keyword` "FROM:") or RCPT ("TO:"): "FROM:<a@b>
// SIZE=123". Spaces after the colon are tolerated (common, though §4.1.1.2
// has none); the angle brackets are required. A mailbox is local@domain
// with no control characters and no unquoted space; "postmaster" alone is
// allowed (§4.5.1). The null path "<>" is returned as "" (the caller
// decides where it is allowed).
PathError ParsePathArgs(std::string_view args, std::string_view keyword, PathArgs* out);

// ASCII case-insensitive comparison helpers.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix);
std::string ToLowerAscii(std::string_view s);

}  // namespace tayori::inbound
