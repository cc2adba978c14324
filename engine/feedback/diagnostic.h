// Small pure readers for the texts of a report: SMTP reply codes and
// enhanced status codes inside a diagnostic, addresses inside a line, DSN
// address encodings. Every function takes any bytes and never fails.
#pragma once

#include <string>
#include <string_view>

namespace tayori::feedback {

// The first SMTP reply code in `text`: three digits, the first 2, 4 or 5,
// the second 0-5, standing alone and followed by a space, '-', ':' (Yahoo
// writes "554:") or the end
// ("host mx[192.0.2.1] said: 550 5.1.1 …" gives "550"). "" when none.
std::string FindReplyCode(std::string_view text);

// The first enhanced status code (RFC 3463) in `text` standing alone
// ("#5.1.1", "(4.2.2)"), preferring one of class `preferred_class` when
// given ('4' or '5'). Parts of IP addresses and version numbers are not
// codes. "" when none.
std::string FindStatus(std::string_view text, char preferred_class = 0);

// `status` when it is a well-formed enhanced code (the first token of a DSN
// Status field, "5.1.1 (user unknown)"), else "".
std::string StatusToken(std::string_view status);

// The first thing in `text` that looks like an address: inside <…> when
// there is an '@' there, else the first token with an '@' and a dot after
// it; quotes, brackets and trailing punctuation removed. "" when none.
std::string FindAddress(std::string_view text);

// A DSN address field's value ("rfc822; reader@example.jp",
// "utf-8; 読者@例え.jp") as a plain address: the type removed, xtext
// (RFC 3461 §4, "+2B") and RFC 6533 "\x{…}" escapes decoded, <> removed.
std::string DsnAddress(std::string_view value);

// The text after a DSN field's type ("smtp; 550 …" gives "550 …").
std::string_view AfterType(std::string_view value);

// White space runs (folds included) as one space, trimmed, made valid UTF-8
// and cut at `max_chars` characters.
std::string OneLine(std::string_view text, size_t max_chars);

}  // namespace tayori::feedback
