#include "inbound/server.h"

#include <algorithm>
#include <optional>
#include <unordered_map>

#include "base/log.h"
#include "loop/tcp.h"

namespace tayori::inbound {

using SteadyTime = std::chrono::steady_clock::time_point;
using std::chrono::milliseconds;

namespace {
struct Connection;
}

// What a DeliveryReply and its connection share. `conn` is cleared when the
// connection goes (the client left, the server was destroyed), so a late
// Send finds nobody to answer.
struct DeliveryReply::Exchange {
  Connection* conn = nullptr;
  bool sent = false;
  size_t recipients = 0;                     // of the Delivery
  bool in_call = false;                      // the deliver function is still running
  std::optional<std::vector<Reply>> early;   // Send from inside the deliver call
};

namespace {

struct Connection {
  Connection(Server::Impl* s, std::unique_ptr<loop::TcpStream> st, loop::Loop& loop, const SessionOptions& options,
             RecipientCheck check)
      : server(s), stream(std::move(st)), session(options, std::move(check)), timer(loop) {}

  Server::Impl* server;
  std::unique_ptr<loop::TcpStream> stream;  // null once finished
  Session session;
  loop::Timer timer;
  std::string peer;
  SteadyTime started;
  SteadyTime last_progress;   // the command timeout counts from here
  SteadyTime closing_since;
  uint64_t progress = 0;
  std::shared_ptr<DeliveryReply::Exchange> exchange;  // while a delivery is pending
  size_t in_flight_bytes = 0;  // the message with the deliver function
  size_t accounted = 0;        // this connection's share of stats.buffered_bytes
  bool closing = false;        // the last reply is being flushed, then it is closed
  bool finished = false;
  bool deadline_passed = false;  // during a delivery: close once it is answered
  bool paused_for_output = false;
  std::string out;
};

SteadyTime Now() { return std::chrono::steady_clock::now(); }

std::string Plural(size_t n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

// "60 s", "1.5 s".
std::string Seconds(milliseconds ms) {
  if (ms.count() % 1000 == 0) return std::to_string(ms.count() / 1000) + " s";
  std::string s = std::to_string(ms.count() / 1000) + "." + std::to_string(ms.count() % 1000 + 1000).substr(1);
  while (s.back() == '0') s.pop_back();
  return s + " s";
}

}  // namespace

struct Server::Impl {
  Impl(loop::Loop& l, ServerOptions o, RecipientCheck c, DeliverFn d)
      : loop(l), options(std::move(o)), check(std::move(c)), deliver(std::move(d)), reaper(l) {
    options.max_buffered_bytes = std::max(options.max_buffered_bytes, options.max_message_bytes);
    session_options.protocol = options.protocol;
    session_options.hostname = options.hostname;
    session_options.max_message_bytes = options.max_message_bytes;
    session_options.max_recipients = options.max_recipients;
  }

  loop::Loop& loop;
  ServerOptions options;
  RecipientCheck check;
  DeliverFn deliver;
  SessionOptions session_options;
  std::unique_ptr<loop::TcpListener> listener;
  int port = 0;
  std::unordered_map<Connection*, std::unique_ptr<Connection>> conns;
  // Connections turned away at max_connections, until their 421 is flushed.
  std::unordered_map<loop::TcpStream*, std::unique_ptr<loop::TcpStream>> refused;
  // Finished connections wait here for the reaper: a connection is often
  // finished from inside its own callbacks, and freed only after them.
  std::vector<std::unique_ptr<Connection>> graveyard;
  loop::Timer reaper;
  ServerStats stats;
  bool draining = false;
  std::function<void()> drain_done;
  SteadyTime last_refusal_log{};
  uint64_t refusals_unlogged = 0;

  // --- accepting -------------------------------------------------------------

  void Accept(std::unique_ptr<loop::TcpStream> stream) {
    ++stats.connections_total;
    if (draining) return;  // closed at once
    if (conns.size() >= static_cast<size_t>(options.max_connections)) return Refuse(std::move(stream));
    auto owned = std::make_unique<Connection>(this, std::move(stream), loop, session_options, check);
    Connection* conn = owned.get();
    conns.emplace(conn, std::move(owned));
    ++stats.connections_open;
    conn->peer = conn->stream->peer();
    conn->started = conn->last_progress = Now();
    log::Debug("inbound", conn->peer + ": connected");
    conn->out = conn->session.Greeting();
    if (!Flush(conn)) return;
    conn->stream->StartReading(
        [conn](loop::TcpStream::ReadEvent ev, std::string_view data) { conn->server->Read(conn, ev, data); });
    ArmTimer(conn);
  }

  // RFC 5321 §3.8: a server that cannot take the connection may say 421 and
  // close; the sender tries again later (or the next MX).
  void Refuse(std::unique_ptr<loop::TcpStream> stream) {
    ++stats.connections_refused;
    ++refusals_unlogged;
    SteadyTime now = Now();
    if (now - last_refusal_log >= std::chrono::seconds(60)) {
      log::Warn("inbound", "refusing connections: " + Plural(conns.size(), "connection") +
                               " open (max_connections), " + std::to_string(refusals_unlogged) +
                               " refused since the last report");
      last_refusal_log = now;
      refusals_unlogged = 0;
    }
    stream->Write(Reply{421, "4.3.2 " + options.hostname + " too many connections, try again later"}.Line());
    loop::TcpStream* raw = stream.get();
    if (stream->Shutdown([this, raw](bool) { refused.erase(raw); })) refused.emplace(raw, std::move(stream));
  }

  // --- reading and replying --------------------------------------------------

  void Read(Connection* conn, loop::TcpStream::ReadEvent ev, std::string_view data) {
    if (ev != loop::TcpStream::ReadEvent::kData) {
      if (conn->exchange || !conn->session.idle())
        log::Info("inbound", conn->peer + ": client closed the connection in the middle of a transaction");
      return Finish(conn);
    }
    conn->session.set_storage_available(stats.buffered_bytes + options.max_message_bytes <=
                                        options.max_buffered_bytes);
    Session::Next next = conn->session.Feed(data, &conn->out);
    Continue(conn, next);
  }

  // Writes what the session said and does what it asks next. A loop, not
  // recursion: a deliver function that answers at once and input that holds
  // several messages would otherwise nest once per message.
  void Continue(Connection* conn, Session::Next next) {
    for (;;) {
      if (!Flush(conn)) return;
      if (conn->session.progress() != conn->progress) {
        conn->progress = conn->session.progress();
        conn->last_progress = Now();
      }
      Account(conn);
      switch (next) {
        case Session::Next::kRead:
          if (conn->deadline_passed) return Close421(conn, "4.4.2 " + options.hostname + " session deadline reached");
          if (draining && conn->session.idle())
            return Close421(conn, "4.3.2 " + options.hostname + " shutting down, try again later");
          if (conn->stream->write_queue_bytes() > kMaxQueuedReplyBytes) conn->paused_for_output = true;
          if (conn->paused_for_output)
            conn->stream->StopReading();
          else
            conn->stream->StartReading();
          ArmTimer(conn);
          return;
        case Session::Next::kWait:
          return;
        case Session::Next::kClose:
          return Linger(conn);
        case Session::Next::kDeliver: {
          std::optional<std::vector<Reply>> early = Deliver(conn);
          if (!early) return;  // answered later, through DeliveryReply::Send
          next = AfterDelivery(conn, *early);
          break;
        }
      }
    }
  }

  // Hands the message to the caller; the replies when it answered inside
  // the call, else nothing (Send will come back through Delivered).
  std::optional<std::vector<Reply>> Deliver(Connection* conn) {
    conn->stream->StopReading();
    Message m = conn->session.TakeMessage();
    auto exchange = std::make_shared<DeliveryReply::Exchange>();
    exchange->conn = conn;
    exchange->recipients = m.recipients.size();
    exchange->in_call = true;
    conn->exchange = exchange;
    conn->in_flight_bytes = m.data.size();
    Account(conn);
    ++stats.messages_delivered;
    log::Debug("inbound", conn->peer + ": message from <" + m.sender + "> for " +
                              Plural(m.recipients.size(), "recipient") + ", " + std::to_string(m.data.size()) +
                              " bytes");
    deliver(Delivery{std::move(m.sender), std::move(m.recipients), std::move(m.data), std::move(m.helo), conn->peer},
            DeliveryReply(exchange));
    exchange->in_call = false;
    // The connection (or the whole server) may be gone by now.
    if (!exchange->conn || !exchange->early) {
      if (exchange->conn) ArmTimer(conn);  // only the session deadline runs while we wait
      return std::nullopt;
    }
    exchange->conn = nullptr;
    conn->exchange.reset();
    return std::move(exchange->early);
  }

  Session::Next AfterDelivery(Connection* conn, const std::vector<Reply>& replies) {
    conn->in_flight_bytes = 0;
    size_t before = conn->out.size();
    Session::Next next = conn->session.Delivered(replies, &conn->out);
    // The first reply written decides the counters (SMTP writes one).
    std::string_view first = std::string_view(conn->out).substr(before, 3);
    bool positive = options.protocol == Protocol::kLmtp
                        ? std::any_of(replies.begin(), replies.end(), [](const Reply& r) { return r.positive(); })
                        : first.size() == 3 && first[0] == '2';
    if (positive)
      ++stats.messages_accepted;
    else if (first.size() == 3 && first[0] == '4')
      ++stats.messages_deferred;
    return next;
  }

  // Called by DeliveryReply::Send after the deliver function returned.
  void Delivered(Connection* conn, const std::vector<Reply>& replies) {
    if (conn->finished) return;
    Session::Next next = AfterDelivery(conn, replies);
    Continue(conn, next);
  }

  // Writes conn->out. False when the connection is gone.
  bool Flush(Connection* conn) {
    if (conn->finished) return false;
    if (conn->out.empty()) return true;
    bool ok = conn->stream->Write(std::move(conn->out), [conn](bool ok) { conn->server->Written(conn, ok); });
    conn->out.clear();
    if (!ok) Finish(conn);
    return ok;
  }

  void Written(Connection* conn, bool ok) {
    if (!ok) return Finish(conn);
    if (conn->paused_for_output && conn->stream->write_queue_bytes() <= kMaxQueuedReplyBytes / 2) {
      conn->paused_for_output = false;
      if (!conn->exchange && !conn->closing) conn->stream->StartReading();
    }
  }

  void Account(Connection* conn) {
    size_t now = conn->finished ? 0 : conn->session.buffered_bytes() + conn->in_flight_bytes;
    stats.buffered_bytes = stats.buffered_bytes - conn->accounted + now;
    conn->accounted = now;
  }

  // --- timers and closing ----------------------------------------------------

  // One timer per connection, at the earliest of: the session deadline (not
  // once passed while a delivery is pending: the reply comes first), the
  // command timeout (not while a delivery is pending: the client waits for
  // us), the end of the close grace.
  void ArmTimer(Connection* conn) {
    SteadyTime now = Now();
    std::optional<SteadyTime> due;
    if (conn->closing) {
      due = conn->closing_since + kCloseGrace;
    } else {
      SteadyTime deadline = conn->started + options.session_deadline;
      if (!conn->exchange || deadline > now) due = deadline;
      if (!conn->exchange) due = std::min(*due, conn->last_progress + options.command_timeout);
    }
    if (!due) return conn->timer.Stop();
    auto wait = std::chrono::ceil<milliseconds>(*due - now);
    conn->timer.Start(std::max(wait, milliseconds(0)), [conn] { conn->server->Timeout(conn); });
  }

  void Timeout(Connection* conn) {
    if (conn->finished) return;
    if (conn->closing) return Finish(conn);  // the peer did not take the last reply in time
    SteadyTime now = Now();
    if (now >= conn->started + options.session_deadline) {
      if (conn->exchange) {
        conn->deadline_passed = true;
        return ArmTimer(conn);
      }
      ++stats.session_deadlines;
      log::Info("inbound", conn->peer + ": session deadline (" + Seconds(options.session_deadline) +
                               ") reached, closing");
      return Close421(conn, "4.4.2 " + options.hostname + " session deadline reached");
    }
    if (!conn->exchange && now >= conn->last_progress + options.command_timeout) {
      ++stats.command_timeouts;
      log::Info("inbound", conn->peer + ": no complete command within the command timeout (" +
                               Seconds(options.command_timeout) + "), closing");
      return Close421(conn, "4.4.2 " + options.hostname + " timeout waiting for the client");
    }
    ArmTimer(conn);
  }

  void Close421(Connection* conn, const std::string& text) {
    conn->out += Reply{421, text}.Line();
    if (!Flush(conn)) return;
    Linger(conn);
  }

  // Flushes the last reply, half-closes, and closes when the kernel has
  // sent it — or after kCloseGrace, for a peer that reads nothing.
  void Linger(Connection* conn) {
    if (conn->finished || conn->closing) return;
    conn->closing = true;
    conn->closing_since = Now();
    conn->stream->StopReading();
    if (!conn->stream->Shutdown([conn](bool) { conn->server->Finish(conn); })) return Finish(conn);
    ArmTimer(conn);
  }

  void Finish(Connection* conn) {
    if (conn->finished) return;
    conn->finished = true;
    conn->timer.Stop();
    conn->stream.reset();  // closes the socket now
    if (conn->exchange) {
      conn->exchange->conn = nullptr;
      conn->exchange.reset();
    }
    Account(conn);
    --stats.connections_open;
    log::Debug("inbound", conn->peer + ": closed");
    auto it = conns.find(conn);
    graveyard.push_back(std::move(it->second));
    conns.erase(it);
    reaper.Start(milliseconds(0), [this] { Reap(); });
  }

  void Reap() {
    graveyard.clear();
    if (draining && conns.empty() && drain_done) {
      auto done = std::move(drain_done);
      drain_done = nullptr;
      done();  // may destroy the server: nothing after this
    }
  }
};

// --- DeliveryReply -------------------------------------------------------------

DeliveryReply& DeliveryReply::operator=(DeliveryReply&& other) noexcept {
  if (this != &other) {
    if (exchange_ && !exchange_->sent) SendAll(Reply::TryLater("internal error, try again later"));
    exchange_ = std::move(other.exchange_);
  }
  return *this;
}

DeliveryReply::~DeliveryReply() {
  if (exchange_ && !exchange_->sent) SendAll(Reply::TryLater("the message was not processed, try again later"));
}

void DeliveryReply::SendAll(const Reply& reply) {
  if (!exchange_) return;
  Send(std::vector<Reply>(std::max<size_t>(exchange_->recipients, 1), reply));
}

void DeliveryReply::Send(std::vector<Reply> per_recipient) {
  if (!exchange_ || exchange_->sent) return;
  std::shared_ptr<Exchange> ex = std::move(exchange_);
  ex->sent = true;
  if (!ex->conn) return;  // the client or the server is gone
  if (ex->in_call) {
    ex->early = std::move(per_recipient);
    return;
  }
  Connection* conn = ex->conn;
  ex->conn = nullptr;
  conn->exchange.reset();
  conn->server->Delivered(conn, per_recipient);
}

// --- Server --------------------------------------------------------------------

Server::Server(loop::Loop& loop, ServerOptions options, RecipientCheck check, DeliverFn deliver)
    : impl_(std::make_unique<Impl>(loop, std::move(options), std::move(check), std::move(deliver))) {}

Server::~Server() {
  for (auto& [conn, owned] : impl_->conns) {
    if (conn->exchange) conn->exchange->conn = nullptr;
    conn->finished = true;
  }
  impl_->conns.clear();
  impl_->graveyard.clear();
  impl_->refused.clear();
  impl_->listener.reset();
}

Status Server::Start() {
  if (impl_->listener) return Internal("inbound: server already started");
  const ServerOptions& o = impl_->options;
  impl_->listener = std::make_unique<loop::TcpListener>(impl_->loop);
  Impl* impl = impl_.get();
  Status st = impl_->listener->Listen(o.listen_address, o.port, kListenBacklog, [impl](std::unique_ptr<loop::TcpStream> s) {
    impl->Accept(std::move(s));
  });
  if (!st.ok()) {
    impl_->listener.reset();
    return st.WithContext("inbound");
  }
  impl_->port = impl_->listener->port();
  log::Info("inbound", "listening on " + o.listen_address + ":" + std::to_string(impl_->port) + " (" +
                           (o.protocol == Protocol::kLmtp ? "LMTP" : "SMTP") + ")");
  return Status::Ok();
}

int Server::port() const { return impl_->port; }

void Server::Drain(std::function<void()> done) {
  Impl& impl = *impl_;
  impl.draining = true;
  impl.drain_done = std::move(done);
  if (impl.listener) impl.listener->Close();
  std::vector<Connection*> idle;
  for (auto& [conn, owned] : impl.conns)
    if (!conn->closing && !conn->exchange && conn->session.idle()) idle.push_back(conn);
  for (Connection* conn : idle) impl.Close421(conn, "4.3.2 " + impl.options.hostname + " shutting down, try again later");
  impl.reaper.Start(milliseconds(0), [&impl] { impl.Reap(); });
}

const ServerStats& Server::stats() const { return impl_->stats; }

}  // namespace tayori::inbound
