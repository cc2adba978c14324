// Every limit of the inbound listener in one place, with its default and the
// rule it comes from. Input is hostile: anyone who can reach
// the bounce domain's MX can talk to the listener.
#pragma once

#include <chrono>
#include <cstddef>

namespace tayori::inbound {

// A command line, CRLF included (RFC 5321 §4.5.3.1.4). Longer: 500 5.5.2.
inline constexpr size_t kMaxCommandLineBytes = 512;
// A line of message text, CRLF included (RFC 5321 §4.5.3.1.6). A message
// with a longer line is read to its end and refused (554 5.6.0).
inline constexpr size_t kMaxTextLineBytes = 1000;
// A reverse-path or forward-path, the angle brackets included (§4.5.3.1.3).
inline constexpr size_t kMaxPathBytes = 256;
// Recipients of one transaction (§4.5.3.1.8 asks servers to take at least
// 100). Beyond: 452 4.5.3. Tayori sends one RCPT per message, so an honest
// report comes to one address.
inline constexpr size_t kMaxRecipients = 100;
// The default size limit; the same as the feedback parser's
// (feedback/limits.h kMaxMessageBytes), which refuses anything larger
// unread. tests/inbound/limits_test.cpp keeps the two equal.
inline constexpr size_t kDefaultMaxMessageBytes = 10 * 1024 * 1024;
// Bad commands (syntax errors, unknown verbs, refused recipients) one
// session may make before it is told 421 4.7.0 and closed, as Postfix's
// smtpd_hard_error_limit: a client speaking another protocol, or guessing
// addresses, is cut off early.
inline constexpr int kMaxErrors = 20;
// "Received:" fields in a message's header before it is taken for a mail
// loop and refused 554 5.4.6 (RFC 5321 §6.3 suggests counting them).
inline constexpr int kMaxReceivedFields = 100;
// Reply bytes queued for a client that pipelines commands but does not read
// the replies: past this the listener stops reading from it until they drain.
inline constexpr size_t kMaxQueuedReplyBytes = 64 * 1024;
// Message bytes all connections together may hold (being received, or
// handed to the deliver function and not yet answered). A DATA that would
// start beyond it is answered 452 4.3.1 (try later), so the worst case is
// this, not max_connections × max_message_bytes.
inline constexpr size_t kDefaultMaxBufferedBytes = 256 * 1024 * 1024;
// The kernel's queue of connections not yet accepted.
inline constexpr int kListenBacklog = 128;
// How long a connection being closed (after 221 or 421) may take to flush
// its last reply before it is cut.
inline constexpr std::chrono::milliseconds kCloseGrace{2000};

}  // namespace tayori::inbound
