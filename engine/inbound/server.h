// Module inbound/: the SMTP/LMTP listener that takes bounces and complaints: a pure session state
// machine under a server on the loop. May include: base/, config/, loop/ (its links in
// CMakeLists.txt, and what they link publicly; scripts/check-layering checks both).
//
// The inbound listener on the engine's loop: SMTP or LMTP over TCP, each
// connection a Session (session.h) fed from a loop::TcpStream. It takes the
// bounces and complaints addressed to Tayori (the RecipientCheck decides,
// recipient.h) and hands every complete message to the caller's deliver
// function; the reply to the message is written only when the caller
// answers, so "250" means the caller has committed the message's effects.
//
// Limits (limits.h, docs/inbound.md): max_connections (beyond: 421 4.3.2 and
// closed at once); a command timeout (a command line must be complete, and a
// message being sent must make progress, within command_timeout of the
// previous reply or read: else 421 4.4.2 and closed); a session deadline (a
// connection lasts at most session_deadline however steadily it trickles:
// 421 4.4.2 and closed); max_message_bytes (SIZE= over it is refused at
// MAIL, a longer message is read to its end, dropped, and refused 552 5.3.4;
// the server never holds more than the limit per connection); message bytes
// of all connections together (max_buffered_bytes: beyond, DATA is answered
// 452 4.3.1); replies queued for a client that does not read them (reading
// pauses).
//
// While a delivery is pending the connection reads nothing more (a
// pipelining client's next commands wait in the kernel) and the command
// timeout does not run: the client is waiting for us. The session deadline
// does not cut a pending delivery either; its reply is written, then the
// connection is closed with 421.
//
// Thread-safety: none; construct, use and destroy on the loop thread. The
// deliver function is called on the loop thread; DeliveryReply::Send must
// be called there too (post to the loop from a database thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "inbound/limits.h"
#include "inbound/reply.h"
#include "inbound/session.h"
#include "loop/loop.h"

namespace tayori::inbound {

struct ServerOptions {
  std::string listen_address = "127.0.0.1";  // an IPv4 or IPv6 literal
  int port = 2525;                            // 0: the kernel picks one; see Server::port()
  Protocol protocol = Protocol::kSmtp;
  std::string hostname = "localhost";         // greeting, EHLO reply, 221/421 texts
  size_t max_message_bytes = kDefaultMaxMessageBytes;
  size_t max_recipients = kMaxRecipients;
  int max_connections = 100;
  std::chrono::milliseconds command_timeout{60'000};
  std::chrono::milliseconds session_deadline{600'000};
  size_t max_buffered_bytes = kDefaultMaxBufferedBytes;
};

// A complete message, handed to the deliver function. The caller owns it:
// `data` is the one buffer the message was read into (move it on, no copy).
struct Delivery {
  std::string sender;                  // MAIL FROM without <>; "" is the null sender (every DSN)
  std::vector<Recipient> recipients;   // accepted, in RCPT order, with their kind; never empty
  std::string data;                    // the message: dot-unstuffed, CRLF line ends, at most max_message_bytes
  std::string helo;                    // the client's EHLO/HELO/LHLO name
  std::string peer;                    // the client: "203.0.113.7:41234"
};

// Answers one Delivery, once. Move-only. Dropped without Send: every
// recipient gets 451 4.3.0 (the sender retries; nothing is lost). It may
// outlive its connection (the client left: Send does nothing) or the Server.
// Send on the loop thread only.
class DeliveryReply {
 public:
  DeliveryReply(DeliveryReply&&) noexcept = default;
  DeliveryReply& operator=(DeliveryReply&&) noexcept;
  ~DeliveryReply();

  // One reply per recipient of the Delivery, in its order: Reply::Accepted()
  // once the recipient's effects are committed, Reply::TryLater() when they
  // could not be (the database is down), Reply::Refused() (or another 5xx)
  // to refuse for good. SMTP writes one reply for the message
  // (CombineForSmtp: 250 only when no recipient got a 4xx); LMTP one per
  // recipient. Missing replies count as 451.
  void Send(std::vector<Reply> per_recipient);
  // The same reply for every recipient.
  void SendAll(const Reply& reply);

  struct Exchange;
  explicit DeliveryReply(std::shared_ptr<Exchange> exchange) : exchange_(std::move(exchange)) {}

 private:
  std::shared_ptr<Exchange> exchange_;
};

// Takes ownership of the message; answers through `reply`, now or later.
using DeliverFn = std::function<void(Delivery delivery, DeliveryReply reply)>;

// Counters for /metrics and the logs.
struct ServerStats {
  uint64_t connections_open = 0;
  uint64_t connections_total = 0;
  uint64_t connections_refused = 0;     // over max_connections
  uint64_t messages_delivered = 0;      // handed to the deliver function
  uint64_t messages_accepted = 0;       // answered 250 (SMTP) / with at least one 250 (LMTP)
  uint64_t messages_deferred = 0;       // answered 4xx (the sender retries)
  uint64_t command_timeouts = 0;        // closed at command_timeout
  uint64_t session_deadlines = 0;       // closed at session_deadline
  uint64_t buffered_bytes = 0;          // message bytes held now (see max_buffered_bytes)
};

class Server {
 public:
  // `loop` must outlive the Server. `check` judges each RCPT; `deliver`
  // takes each complete message.
  Server(loop::Loop& loop, ServerOptions options, RecipientCheck check, DeliverFn deliver);
  // Closes the listener and every connection at once (a client in the
  // middle of a message sees the connection drop and retries later).
  // Pending DeliveryReplies become no-ops.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens. kConfig when the address is not an IP literal,
  // kTransient when it cannot be bound (port in use).
  Status Start();
  // The bound port (the chosen one when options.port was 0); 0 before Start.
  int port() const;

  // Stops accepting; each connection is closed with 421 4.3.2 as soon as it
  // is between transactions (a message being sent or delivered finishes
  // first). `done` runs on the loop once the last connection is gone (never
  // from inside Drain). The server may be destroyed at any time meanwhile.
  void Drain(std::function<void()> done);

  const ServerStats& stats() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace tayori::inbound
