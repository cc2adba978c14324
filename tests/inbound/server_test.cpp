// The listener on a loopback port, its loop on a thread of its own, talked
// to by a raw blocking client (so tests can pipeline, trickle and stall):
// replies that wait for the caller, the connection limit, the command
// timeout and the session deadline, draining, a client that reads nothing.
// Python's smtplib drives it in smtplib_test.py.
#include "inbound/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "inbound/session_testing.h"

namespace tayori::inbound {
namespace {

using namespace std::chrono_literals;

// Runs a Server on a loop thread for the length of a test. The deliver
// function given runs on the loop thread.
class Harness {
 public:
  Harness(ServerOptions options, DeliverFn deliver) {
    server_ = std::make_unique<Server>(loop_, std::move(options), testing::FixedCheck(), std::move(deliver));
    Status st = server_->Start();
    EXPECT_TRUE(st.ok()) << st.ToString();
    port_ = server_->port();
    thread_ = std::thread([this] { loop_.Run(); });
  }
  ~Harness() {
    OnLoop([this] {
      server_.reset();
      timers_.clear();
      held_.clear();
      loop_.Stop();
    });
    thread_.join();
  }
  int port() const { return port_; }
  loop::Loop& loop() { return loop_; }
  // Runs `fn` on the loop thread and waits for it.
  void OnLoop(std::function<void()> fn) {
    std::promise<void> done;
    loop_.Post([&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }
  ServerStats Stats() {
    ServerStats s;
    OnLoop([&] { s = server_->stats(); });
    return s;
  }
  // On the loop thread: `fn` after `delay`.
  void Later(std::chrono::milliseconds delay, std::function<void()> fn) {
    auto t = std::make_unique<loop::Timer>(loop_);
    t->Start(delay, std::move(fn));
    timers_.push_back(std::move(t));
  }
  Server& server() { return *server_; }
  std::vector<DeliveryReply>& held() { return held_; }  // loop thread only

 private:
  loop::Loop loop_;
  std::unique_ptr<Server> server_;
  std::vector<std::unique_ptr<loop::Timer>> timers_;
  std::vector<DeliveryReply> held_;
  int port_ = 0;
  std::thread thread_;
};

// A blocking SMTP client that sends exactly what a test gives it.
class Client {
 public:
  explicit Client(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(static_cast<uint16_t>(port));
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return fd_ >= 0; }
  void Send(std::string_view s) {
    while (!s.empty()) {
      ssize_t n = ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      s.remove_prefix(static_cast<size_t>(n));
    }
  }
  // One reply line without CRLF; "" at end of file or after `timeout`.
  std::string Line(std::chrono::milliseconds timeout = 5000ms) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      size_t end = buf_.find("\r\n");
      if (end != std::string::npos) {
        std::string line = buf_.substr(0, end);
        buf_.erase(0, end + 2);
        return line;
      }
      if (!Fill(deadline)) return "";
    }
  }
  // The last line of one (possibly multi-line) reply.
  std::string Reply(std::chrono::milliseconds timeout = 5000ms) {
    for (;;) {
      std::string l = Line(timeout);
      if (l.size() < 4 || l[3] != '-') return l;
    }
  }
  // True when the server closes the connection within `timeout` (what is
  // still unread is collected in rest()).
  bool Closed(std::chrono::milliseconds timeout = 5000ms) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (Fill(deadline)) {
    }
    return eof_;
  }
  const std::string& rest() const { return buf_; }

 private:
  bool Fill(std::chrono::steady_clock::time_point deadline) {
    if (eof_) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char tmp[65536];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
  int fd_ = -1;
  std::string buf_;
  bool eof_ = false;
};

ServerOptions Options() {
  ServerOptions o;
  o.port = 0;
  o.hostname = "mx.test";
  o.max_message_bytes = 100000;
  o.max_connections = 4;
  o.command_timeout = 2000ms;
  o.session_deadline = 10000ms;
  return o;
}

DeliverFn AcceptAll(std::vector<Delivery>* got = nullptr) {
  return [got](Delivery d, DeliveryReply reply) {
    if (got) got->push_back(std::move(d));
    reply.SendAll(Reply::Accepted());
  };
}

constexpr const char* kTransaction =
    "EHLO t\r\nMAIL FROM:<>\r\nRCPT TO:<b+1.abcdefghij@bounce.example>\r\nDATA\r\n";

// Sends EHLO … DATA and reads the replies up to the 354.
void Begin(Client& c) {
  EXPECT_EQ(c.Line().substr(0, 4), "220 ");
  c.Send(kTransaction);
  EXPECT_EQ(c.Reply(), "250 ENHANCEDSTATUSCODES");
  EXPECT_EQ(c.Reply(), "250 2.1.0 Ok");
  EXPECT_EQ(c.Reply(), "250 2.1.5 Ok");
  EXPECT_EQ(c.Reply().substr(0, 4), "354 ");
}

TEST(ServerTest, TakesAMessageAndAnswersAfterTheCaller) {
  std::vector<Delivery> got;
  Harness h(Options(), AcceptAll(&got));
  Client c(h.port());
  ASSERT_TRUE(c.connected());
  Begin(c);
  c.Send("Subject: x\r\n\r\n..body\r\n.\r\nQUIT\r\n");
  EXPECT_EQ(c.Reply(), "250 2.0.0 message accepted");
  EXPECT_EQ(c.Reply(), "221 2.0.0 mx.test closing connection");
  EXPECT_TRUE(c.Closed());
  h.OnLoop([] {});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, "Subject: x\r\n\r\n.body\r\n");
  EXPECT_EQ(got[0].sender, "");
  EXPECT_EQ(got[0].helo, "t");
  EXPECT_EQ(got[0].peer.rfind("127.0.0.1:", 0), 0u);
  ServerStats s = h.Stats();
  EXPECT_EQ(s.messages_delivered, 1u);
  EXPECT_EQ(s.messages_accepted, 1u);
  EXPECT_EQ(s.connections_total, 1u);
  EXPECT_EQ(s.connections_open, 0u);
  EXPECT_EQ(s.buffered_bytes, 0u);
}

// The reply waits for the caller (here 300 ms, as a database commit would);
// the commands pipelined behind the message wait with it, unanswered.
TEST(ServerTest, PipelinedInputWaitsForTheDeliveryReply) {
  Harness* hp = nullptr;
  Harness h(Options(), [&hp](Delivery, DeliveryReply reply) {
    auto shared = std::make_shared<DeliveryReply>(std::move(reply));
    hp->Later(300ms, [shared] { shared->SendAll(Reply::Accepted("committed")); });
  });
  hp = &h;
  Client c(h.port());
  Begin(c);
  c.Send("x\r\n.\r\nNOOP\r\n");
  EXPECT_EQ(c.Line(100ms), "");  // nothing yet: not even the NOOP's reply
  EXPECT_EQ(c.Reply(), "250 2.0.0 committed");
  EXPECT_EQ(c.Reply(), "250 2.0.0 Ok");
}

TEST(ServerTest, DatabaseDownIs451AndTheRetryGets250) {
  int calls = 0;
  Harness h(Options(), [&calls](Delivery, DeliveryReply reply) {
    if (++calls == 1)
      reply.SendAll(Reply::TryLater("database unavailable, try again later"));
    else
      reply.SendAll(Reply::Accepted());
  });
  Client c(h.port());
  Begin(c);
  c.Send("x\r\n.\r\n");
  EXPECT_EQ(c.Reply(), "451 4.3.0 database unavailable, try again later");
  c.Send("MAIL FROM:<>\r\nRCPT TO:<b+1.abcdefghij@bounce.example>\r\nDATA\r\nx\r\n.\r\n");
  EXPECT_EQ(c.Reply(), "250 2.1.0 Ok");
  EXPECT_EQ(c.Reply(), "250 2.1.5 Ok");
  EXPECT_EQ(c.Reply().substr(0, 3), "354");
  EXPECT_EQ(c.Reply(), "250 2.0.0 message accepted");
  ServerStats s = h.Stats();
  EXPECT_EQ(s.messages_deferred, 1u);
  EXPECT_EQ(s.messages_accepted, 1u);
}

TEST(ServerTest, AReplyDroppedUnsentIs451) {
  Harness h(Options(), [](Delivery, DeliveryReply) {});
  Client c(h.port());
  Begin(c);
  c.Send("x\r\n.\r\n");
  EXPECT_EQ(c.Reply(), "451 4.3.0 the message was not processed, try again later");
}

TEST(ServerTest, ConnectionsOverTheLimitGet421) {
  ServerOptions o = Options();
  o.max_connections = 2;
  Harness h(o, AcceptAll());
  Client a(h.port()), b(h.port());
  EXPECT_EQ(a.Line(), "220 mx.test ESMTP Tayori");
  EXPECT_EQ(b.Line(), "220 mx.test ESMTP Tayori");
  Client c(h.port());
  EXPECT_EQ(c.Line(), "421 4.3.2 mx.test too many connections, try again later");
  EXPECT_TRUE(c.Closed());
  a.Send("QUIT\r\n");
  EXPECT_TRUE(a.Closed());
  // The slot is free again once the server has closed a.
  for (int i = 0; i < 50 && h.Stats().connections_open > 1; ++i) std::this_thread::sleep_for(10ms);
  Client d(h.port());
  EXPECT_EQ(d.Line(), "220 mx.test ESMTP Tayori");
  ServerStats s = h.Stats();
  EXPECT_EQ(s.connections_refused, 1u);
  EXPECT_EQ(s.connections_open, 2u);
}

// A command line must be complete within the command timeout, however
// steadily its bytes trickle in.
TEST(ServerTest, CommandTimeoutClosesATrickle) {
  ServerOptions o = Options();
  o.command_timeout = 400ms;
  Harness h(o, AcceptAll());
  Client c(h.port());
  EXPECT_EQ(c.Line().substr(0, 3), "220");
  auto start = std::chrono::steady_clock::now();
  std::string reply;
  for (char ch : std::string("NOOP NOOP NOOP NOOP NOOP NOOP NOOP NOOP NOOP\r\n")) {
    c.Send(std::string_view(&ch, 1));
    reply = c.Line(100ms);
    if (!reply.empty()) break;
  }
  EXPECT_EQ(reply, "421 4.4.2 mx.test timeout waiting for the client");
  EXPECT_TRUE(c.Closed());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(h.Stats().command_timeouts, 1u);
}

TEST(ServerTest, AClientThatSendsNothingIsClosedAtTheCommandTimeout) {
  ServerOptions o = Options();
  o.command_timeout = 300ms;
  Harness h(o, AcceptAll());
  Client c(h.port());
  EXPECT_EQ(c.Line().substr(0, 3), "220");
  EXPECT_EQ(c.Line(), "421 4.4.2 mx.test timeout waiting for the client");
  EXPECT_TRUE(c.Closed());
}

// Commands that each arrive in time do not keep a connection past the
// session deadline.
TEST(ServerTest, SessionDeadlineClosesABusyClient) {
  ServerOptions o = Options();
  o.command_timeout = 1000ms;
  o.session_deadline = 2000ms;
  Harness h(o, AcceptAll());
  Client c(h.port());
  EXPECT_EQ(c.Line().substr(0, 3), "220");
  std::string last;
  for (int i = 0; i < 40; ++i) {
    c.Send("NOOP\r\n");
    last = c.Line(3000ms);
    if (last != "250 2.0.0 Ok") break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(last, "421 4.4.2 mx.test session deadline reached");
  EXPECT_TRUE(c.Closed());
  EXPECT_EQ(h.Stats().session_deadlines, 1u);
}

// In DATA any progress counts: a slow but steady message is not cut by
// the command timeout.
TEST(ServerTest, SlowMessageTextIsNotACommandTimeout) {
  ServerOptions o = Options();
  o.command_timeout = 1000ms;
  Harness h(o, AcceptAll());
  Client c(h.port());
  Begin(c);
  for (int i = 0; i < 6; ++i) {  // 1.8 s in all, each pause well inside the timeout
    c.Send("line " + std::to_string(i) + "\r\n");
    std::this_thread::sleep_for(300ms);
  }
  c.Send(".\r\n");
  EXPECT_EQ(c.Reply(), "250 2.0.0 message accepted");
}

// While the caller works the client is waiting for us: no command timeout.
// The session deadline lets the reply out first, then closes.
TEST(ServerTest, PendingDeliveryIsNotCutButTheDeadlineFollowsIt) {
  ServerOptions o = Options();
  o.command_timeout = 500ms;
  o.session_deadline = 1500ms;
  Harness* hp = nullptr;
  Harness h(o, [&hp](Delivery, DeliveryReply reply) {
    auto shared = std::make_shared<DeliveryReply>(std::move(reply));
    hp->Later(2000ms, [shared] { shared->SendAll(Reply::Accepted()); });
  });
  hp = &h;
  Client c(h.port());
  Begin(c);
  c.Send("x\r\n.\r\n");
  EXPECT_EQ(c.Reply(5000ms), "250 2.0.0 message accepted");
  EXPECT_EQ(c.Reply(), "421 4.4.2 mx.test session deadline reached");
  EXPECT_TRUE(c.Closed());
}

// The client leaves (or the server goes) while the caller holds the
// reply: the late Send finds nobody and does nothing.
TEST(ServerTest, LateRepliesAfterTheClientOrServerIsGone) {
  Harness h(Options(), [&h](Delivery, DeliveryReply reply) { h.held().push_back(std::move(reply)); });
  {
    Client c(h.port());
    Begin(c);
    c.Send("x\r\n.\r\n");
    for (int i = 0; i < 100; ++i) {
      bool held = false;
      h.OnLoop([&] { held = !h.held().empty(); });
      if (held) break;
      std::this_thread::sleep_for(10ms);
    }
  }  // the client closes its socket
  for (int i = 0; i < 100 && h.Stats().connections_open > 0; ++i) std::this_thread::sleep_for(10ms);
  h.OnLoop([&] {
    ASSERT_EQ(h.held().size(), 1u);
    h.held()[0].SendAll(Reply::Accepted());
  });
  // One more pending when the server is destroyed (by ~Harness): its
  // DeliveryReply is destroyed after the server, unsent.
  Client d(h.port());
  Begin(d);
  d.Send("x\r\n.\r\n");
  for (int i = 0; i < 100; ++i) {
    size_t n = 0;
    h.OnLoop([&] { n = h.held().size(); });
    if (n == 2) break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(h.Stats().messages_delivered, 2u);
}

TEST(ServerTest, DrainClosesIdleConnectionsAndLetsAMessageFinish) {
  Harness h(Options(), AcceptAll());
  Client idle(h.port()), busy(h.port());
  EXPECT_EQ(idle.Line().substr(0, 3), "220");
  Begin(busy);
  busy.Send("part of the text\r\n");
  std::promise<void> drained;
  h.OnLoop([&] { h.server().Drain([&] { drained.set_value(); }); });
  EXPECT_EQ(idle.Line(), "421 4.3.2 mx.test shutting down, try again later");
  EXPECT_TRUE(idle.Closed());
  busy.Send("the rest\r\n.\r\n");
  EXPECT_EQ(busy.Reply(), "250 2.0.0 message accepted");
  EXPECT_EQ(busy.Reply(), "421 4.3.2 mx.test shutting down, try again later");
  EXPECT_TRUE(busy.Closed());
  EXPECT_EQ(drained.get_future().wait_for(5s), std::future_status::ready);
  EXPECT_FALSE(Client(h.port()).connected());  // no longer listening
}

// A client that pipelines a megabyte of commands and reads nothing: the
// server stops reading once its replies back up, and every reply arrives
// when the client finally reads.
TEST(ServerTest, AClientThatDoesNotReadIsPausedNotBuffered) {
  Harness h(Options(), AcceptAll());
  Client c(h.port());
  EXPECT_EQ(c.Line().substr(0, 3), "220");
  constexpr int kCommands = 150000;  // 900 KB of NOOPs, 2 MB of replies
  std::thread writer([&] {
    std::string batch;
    for (int i = 0; i < 1000; ++i) batch += "NOOP\r\n";
    for (int i = 0; i < kCommands / 1000; ++i) c.Send(batch);
  });
  std::this_thread::sleep_for(300ms);
  ServerStats mid = h.Stats();
  EXPECT_EQ(mid.connections_open, 1u);
  int replies = 0;
  while (replies < kCommands) {
    std::string l = c.Line(5000ms);
    if (l.empty()) break;
    EXPECT_EQ(l, "250 2.0.0 Ok");
    ++replies;
  }
  writer.join();
  EXPECT_EQ(replies, kCommands);
}

// All connections together hold at most max_buffered_bytes of messages:
// while one message fills it, another DATA is told to try later.
TEST(ServerTest, StorageBudgetDefersData) {
  ServerOptions o = Options();
  o.max_message_bytes = 100000;
  o.max_buffered_bytes = 100000;
  Harness h(o, AcceptAll());
  Client a(h.port()), b(h.port());
  Begin(a);
  for (int i = 0; i < 4; ++i) a.Send(std::string(498, 'a') + "\r\n");
  for (int i = 0; i < 100 && h.Stats().buffered_bytes == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(b.Line().substr(0, 3), "220");
  b.Send(kTransaction);
  EXPECT_EQ(b.Reply(), "250 ENHANCEDSTATUSCODES");
  EXPECT_EQ(b.Reply(), "250 2.1.0 Ok");
  EXPECT_EQ(b.Reply(), "250 2.1.5 Ok");
  EXPECT_EQ(b.Reply(), "452 4.3.1 insufficient system storage, try again later");
  a.Send(".\r\n");
  EXPECT_EQ(a.Reply(), "250 2.0.0 message accepted");
  b.Send("DATA\r\n");
  EXPECT_EQ(b.Reply().substr(0, 3), "354");
}

TEST(ServerTest, LmtpAnswersEachRecipient) {
  ServerOptions o = Options();
  o.protocol = Protocol::kLmtp;
  Harness h(o, [](Delivery d, DeliveryReply reply) {
    std::vector<Reply> replies;
    for (const Recipient& r : d.recipients)
      replies.push_back(r.kind == RecipientKind::kComplaint ? Reply{550, "5.7.1 unknown feedback loop"}
                                                            : Reply::Accepted());
    reply.Send(std::move(replies));
  });
  Client c(h.port());
  EXPECT_EQ(c.Line(), "220 mx.test LMTP Tayori");
  c.Send("LHLO t\r\nMAIL FROM:<>\r\nRCPT TO:<b+1.abcdefghij@bounce.example>\r\nRCPT TO:<fbl@platform.example>\r\n"
         "RCPT TO:<b+2.abcdefghij@bounce.example>\r\nDATA\r\n");
  EXPECT_EQ(c.Reply(), "250 ENHANCEDSTATUSCODES");
  for (int i = 0; i < 4; ++i) EXPECT_EQ(c.Reply().substr(0, 3), "250");
  EXPECT_EQ(c.Reply().substr(0, 3), "354");
  c.Send("x\r\n.\r\n");
  EXPECT_EQ(c.Reply(), "250 2.0.0 message accepted");
  EXPECT_EQ(c.Reply(), "550 5.7.1 unknown feedback loop");
  EXPECT_EQ(c.Reply(), "250 2.0.0 message accepted");
}

TEST(ServerTest, StartErrors) {
  loop::Loop loop;
  Server bad(loop, [] {
    ServerOptions o = Options();
    o.listen_address = "mx.example";
    return o;
  }(), testing::FixedCheck(), AcceptAll());
  Status st = bad.Start();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error_class(), ErrorClass::kConfig);
  Server first(loop, Options(), testing::FixedCheck(), AcceptAll());
  ASSERT_TRUE(first.Start().ok());
  ServerOptions same = Options();
  same.port = first.port();
  Server second(loop, same, testing::FixedCheck(), AcceptAll());
  st = second.Start();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error_class(), ErrorClass::kTransient);
}

}  // namespace
}  // namespace tayori::inbound
