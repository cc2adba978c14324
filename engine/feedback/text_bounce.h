// Bounces that are not RFC 3464 reports: the text messages qmail, Exim,
// old Sendmail, Postfix (as forwarded or stripped), Exchange, old Gmail,
// OpenSMTPD, Yahoo and the Japanese carriers au/EZweb still send every
// day. Each dialect is recognised by its own fixed sentences
// (text_dialects.cpp says which), never by guessing from loose words.
// Pure: header fields and body text in, recipients out.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "feedback/fields.h"

namespace tayori::feedback {

struct TextBounceRecipient {
  std::string recipient;
  std::string diagnostic;  // the dialect's lines about this recipient, one line
  bool delayed = false;    // a delay warning, not a failure
};

struct TextBounce {
  std::string format;  // "qmail", "exim", "sendmail", "postfix", "exchange", "gmail", "opensmtpd", "au", "x-failed-recipients"
  std::vector<TextBounceRecipient> recipients;  // at most max_recipients
  size_t omitted = 0;
  // Where the quoted returned message begins in the body (after the
  // dialect's separator line), or npos when it quotes none.
  size_t returned_at = std::string_view::npos;
};

// Whether the header says "delivery failure" (a MAILER-DAEMON or postmaster
// sender, a bounce subject in the common MTAs' words, X-Failed-Recipients).
// Dialects without sentences of their own run only when this holds.
bool LooksLikeBounce(const Fields& headers);

// The text bounce in `body` (one text part of the message, UTF-8), or
// nullopt when no dialect finds a recipient.
std::optional<TextBounce> ReadTextBounce(const Fields& headers, std::string_view body, size_t max_recipients);

}  // namespace tayori::feedback
