// One SMTP (RFC 5321) or LMTP (RFC 2033) session as a pure state machine:
// bytes from the client in, reply bytes and events out; no I/O, no clock,
// no allocation beyond the session's own buffers. The server (server.h)
// feeds it what it reads and writes what it returns; tests and the fuzzer
// drive it directly.
//
// What it speaks: greeting; EHLO/HELO (SMTP) or LHLO (LMTP) advertising
// PIPELINING, SIZE, 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES; MAIL FROM with
// SIZE= (refused at once when over the limit), BODY= and SMTPUTF8; RCPT TO,
// each address judged by the caller's RecipientCheck; DATA with
// dot-unstuffing and the size limit (data_reader.h); RSET, NOOP, VRFY (252),
// HELP, QUIT. No AUTH, no STARTTLS, no relaying: every recipient the check
// does not claim is refused 550 5.1.1. docs/inbound.md lists every reply.
//
// Pipelining (RFC 2920): several commands in one Feed are answered in order,
// the replies appended to one output. When a message is complete Feed
// returns kDeliver and keeps whatever followed it; no further input is
// processed until Delivered() gives the outcome, so a pipelining client's
// next transaction never starts before the previous one is answered.
//
// Not thread-safe; one per connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "inbound/data_reader.h"
#include "inbound/limits.h"
#include "inbound/reply.h"

namespace tayori::inbound {

enum class Protocol { kSmtp, kLmtp };

// What a recipient address is to Tayori (recipient.h decides from the config).
enum class RecipientKind { kRefused, kBounce, kComplaint };

struct RecipientVerdict {
  RecipientKind kind = RecipientKind::kRefused;
  std::string reason;  // when refused: why, for the 550 reply ("not a bounce or complaint address")
};

// Judges one RCPT TO address (as sent, without <>). Called on the loop
// thread, once per RCPT; must be quick (no I/O).
using RecipientCheck = std::function<RecipientVerdict(std::string_view address)>;

struct Recipient {
  std::string address;  // as the client gave it, without <>
  RecipientKind kind = RecipientKind::kBounce;
};

// A complete message and its envelope, as the session hands it over.
struct Message {
  std::string sender;                  // MAIL FROM without <>; "" is the null sender (every DSN has it)
  std::vector<Recipient> recipients;   // the accepted ones, in RCPT order; never empty
  std::string data;                    // the message text: dot-unstuffed, line ends as sent (CRLF), no final "."
  std::string helo;                    // the name the client gave in EHLO / HELO / LHLO
};

struct SessionOptions {
  Protocol protocol = Protocol::kSmtp;
  std::string hostname = "localhost";  // in the greeting and the EHLO reply
  size_t max_message_bytes = kDefaultMaxMessageBytes;
  size_t max_recipients = kMaxRecipients;
};

class Session {
 public:
  // `check` must be callable for the session's whole life.
  Session(const SessionOptions& options, RecipientCheck check);

  // The 220 line the server writes when the client connects.
  std::string Greeting() const;

  enum class Next {
    kRead,     // write the output (if any) and read more
    kDeliver,  // a message is complete: TakeMessage(), deliver it, then Delivered()
    kWait,     // a delivery is pending: input is kept, not processed, until Delivered()
    kClose,    // write the output, then close (after QUIT, or too many errors)
  };

  // Processes `bytes`, appending every reply to *out.
  Next Feed(std::string_view bytes, std::string* out);

  // After Feed or Delivered returned kDeliver: the message (moved out).
  Message TakeMessage();

  // The outcome of the delivery: one reply per recipient of the message, in
  // order (missing ones count as 451 4.3.0). Appends the reply — SMTP: one
  // for the message (CombineForSmtp), LMTP: one per recipient — ends the
  // transaction, and goes on with the input kept meanwhile.
  Next Delivered(const std::vector<Reply>& replies, std::string* out);

  // The server refuses a new DATA with 452 4.3.1 while this is false (all
  // connections together hold too many message bytes).
  void set_storage_available(bool available) { storage_available_ = available; }

  // Grows by one for every complete command line and every chunk of message
  // text: a change means the client made progress (the server's command
  // timeout starts again).
  uint64_t progress() const { return progress_; }
  // No transaction, no partial command line, nothing kept: the server may
  // close the connection here without cutting anything short (draining).
  bool idle() const;
  // Bytes the session holds: message text, a partial line, kept input.
  size_t buffered_bytes() const;
  const std::string& helo() const { return helo_; }

 private:
  enum class State {
    kCommand,     // reading command lines
    kData,        // reading message text after 354
    kDelivering,  // a message was handed over; waiting for Delivered()
    kClosed,      // after QUIT or 421; nothing more is read
  };

  Next Process(std::string_view input, std::string* out);
  void Execute(std::string_view line, std::string* out);
  void Hello(bool extended, std::string_view args, std::string* out);
  void Mail(std::string_view args, std::string* out);
  void Rcpt(std::string_view args, std::string* out);
  void Data(std::string_view args, std::string* out);
  bool EndOfData(std::string* out);  // false: refused here, true: to be delivered
  void Error(int code, std::string_view text, std::string* out);
  void Reset();

  SessionOptions options_;
  RecipientCheck check_;
  State state_ = State::kCommand;
  std::string line_;          // a command line not yet complete
  bool line_too_long_ = false;
  std::string kept_;          // input that followed a complete message
  std::string helo_;
  bool has_sender_ = false;
  std::string sender_;
  size_t declared_size_ = 0;
  std::vector<Recipient> recipients_;
  size_t delivering_recipients_ = 0;  // of the message handed over (Delivered answers each)
  std::string message_;
  DataReader reader_;
  int errors_ = 0;
  uint64_t progress_ = 0;
  bool storage_available_ = true;
};

}  // namespace tayori::inbound
