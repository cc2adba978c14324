// The listener on a loopback port, driven by a real loop on its own thread,
// with stub handlers: async replies, the transport limits, slow clients.
#include "http/server.h"

#include <atomic>
#include <future>
#include <optional>
#include <thread>

#include <gtest/gtest.h>

#include "http/raw_http.h"

namespace tayori::http {
namespace {

using testing::BuildRequest;
using testing::SendRaw;

// Runs a Server on a loop thread for the length of a test.
class ServerHarness {
 public:
  ServerHarness(ServerOptions options, Handler handler) {
    server_ = std::make_unique<Server>(loop_, std::move(options), std::move(handler));
    Status st = server_->Start();
    EXPECT_TRUE(st.ok()) << st.ToString();
    thread_ = std::thread([this] { loop_.Run(); });
  }
  ~ServerHarness() {
    loop_.Post([this] {
      server_.reset();
      timers_.clear();
      loop_.Stop();
    });
    thread_.join();
  }
  int port() const { return server_ ? server_->port() : 0; }
  loop::Loop& loop() { return loop_; }
  // The server's counters, read on the loop thread.
  ServerStats Stats() {
    std::promise<ServerStats> p;
    loop_.Post([&] { p.set_value(server_->stats()); });
    return p.get_future().get();
  }
  // Runs on the loop thread: `fn` after `ms`.
  void Later(int ms, std::function<void()> fn) {
    auto t = std::make_unique<loop::Timer>(loop_);
    t->Start(std::chrono::milliseconds(ms), std::move(fn));
    timers_.push_back(std::move(t));
  }

 private:
  loop::Loop loop_;
  std::unique_ptr<Server> server_;
  std::vector<std::unique_ptr<loop::Timer>> timers_;
  std::thread thread_;
};

ServerOptions SmallLimits() {
  ServerOptions o;
  o.port = 0;
  o.max_body_bytes = 100;
  o.request_timeout_s = 1;
  o.max_connections = 8;
  return o;
}

Handler Echo() {
  return [](Request req, Reply reply) {
    reply.Send(Response::Text(200, req.method + " " + req.path + " " + std::string(req.header("x-test")) + " " + req.body));
  };
}

TEST(ServerTest, PicksAPortAndAnswersSynchronously) {
  ServerHarness h(SmallLimits(), Echo());
  ASSERT_GT(h.port(), 0);
  auto r = SendRaw(h.port(), BuildRequest("POST", "/u/abc?x=1", "X-Test: hi\r\n", "body"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "POST /u/abc hi body");
  EXPECT_EQ(r.headers["content-type"], "text/plain; charset=utf-8");
}

TEST(ServerTest, ARepliesLaterFromTheLoop) {
  ServerHarness* hp = nullptr;
  ServerHarness h(SmallLimits(), [&hp](Request, Reply reply) {
    auto shared = std::make_shared<Reply>(std::move(reply));
    hp->Later(200, [shared] { shared->Send(Response::Text(202, "later")); });
  });
  hp = &h;
  auto t0 = std::chrono::steady_clock::now();
  auto r = SendRaw(h.port(), BuildRequest("GET", "/"));
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(r.body, "later");
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(150));
}

TEST(ServerTest, ADroppedReplyAnswers500) {
  ServerHarness h(SmallLimits(), [](Request, Reply) {});
  EXPECT_EQ(SendRaw(h.port(), BuildRequest("GET", "/")).status, 500);
}

TEST(ServerTest, RefusesOversizedBodiesBeforeTheHandler) {
  std::atomic<int> calls{0};
  ServerHarness h(SmallLimits(), [&calls](Request, Reply reply) {
    ++calls;
    reply.Send(Response::Text(200, "ok"));
  });
  EXPECT_EQ(SendRaw(h.port(), BuildRequest("POST", "/", "", std::string(101, 'x'))).status, 413);
  // Chunked: no Content-Length to refuse up front.
  std::string chunked = "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 5; ++i) chunked += "20\r\n" + std::string(32, 'y') + "\r\n";
  chunked += "0\r\n\r\n";
  EXPECT_EQ(SendRaw(h.port(), chunked).status, 413);
  EXPECT_EQ(SendRaw(h.port(), BuildRequest("POST", "/", "", std::string(100, 'x'))).status, 200);
  EXPECT_EQ(calls.load(), 1);
}

TEST(ServerTest, RefusesBadPathsBeforeTheHandler) {
  std::atomic<int> calls{0};
  ServerHarness h(SmallLimits(), [&calls](Request, Reply reply) {
    ++calls;
    reply.Send(Response::Text(200, "ok"));
  });
  EXPECT_EQ(SendRaw(h.port(), BuildRequest("GET", "/u/%ZZ")).status, 400);
  EXPECT_EQ(SendRaw(h.port(), BuildRequest("GET", "/u/%FF%FE")).status, 400);
  EXPECT_EQ(SendRaw(h.port(), BuildRequest("GET", "/u/a%00b")).status, 400);
  EXPECT_EQ(SendRaw(h.port(), BuildRequest("GET", "/u/\xff\xfe")).status, 400);
  EXPECT_EQ(calls.load(), 0);
}

TEST(ServerTest, DropsASlowClient) {
  ServerHarness h(SmallLimits(), Echo());
  int fd = testing::ConnectLoopback(h.port());
  ASSERT_GE(fd, 0);
  std::string partial = "GET / HTTP/1.1\r\nHost: x\r\n";  // headers never finish
  ASSERT_EQ(::send(fd, partial.data(), partial.size(), MSG_NOSIGNAL), static_cast<ssize_t>(partial.size()));
  auto t0 = std::chrono::steady_clock::now();
  std::string got = testing::ReadAll(fd, 5000);  // returns at EOF
  auto waited = std::chrono::steady_clock::now() - t0;
  ::close(fd);
  EXPECT_LT(waited, std::chrono::milliseconds(4000)) << "the server kept a stalled client past request_timeout_s";
  EXPECT_EQ(got.find("200"), std::string::npos);
}

TEST(ServerTest, RefusesConnectionsBeyondTheLimit) {
  ServerOptions o = SmallLimits();
  o.max_connections = 2;
  o.request_timeout_s = 5;
  ServerHarness h(o, Echo());
  int a = testing::ConnectLoopback(h.port()), b = testing::ConnectLoopback(h.port());
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto r = SendRaw(h.port(), BuildRequest("GET", "/"), 2000);
  EXPECT_EQ(r.status, 0) << "a third connection was served: " << r.raw;
  ::close(a);
  ::close(b);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(SendRaw(h.port(), BuildRequest("GET", "/")).status, 200);
}

// A client that never finishes its request but sends one byte every
// `gap_ms`, well inside the idle timeout, as a slowloris does. Returns how
// long the server kept it, or nullopt if it was still open after `give_up_ms`.
std::optional<std::chrono::milliseconds> Trickle(int fd, int gap_ms, int give_up_ms) {
  const std::string request = "POST /u/slow HTTP/1.1\r\nHost: x\r\nX-Slow: ";
  auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0;; ++i) {
    auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    if (waited.count() > give_up_ms) return std::nullopt;
    char c = i < request.size() ? request[i] : 'a';
    if (::send(fd, &c, 1, MSG_NOSIGNAL) != 1) return waited;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, gap_ms) > 0) {
      char buf[512];
      if (::recv(fd, buf, sizeof buf, 0) <= 0) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
      }
    }
  }
}

// Reads one response from a kept-alive connection (headers, then
// Content-Length bytes of body).
testing::RawResponse ReadOneResponse(int fd, int timeout_ms) {
  std::string raw;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    size_t end = raw.find("\r\n\r\n");
    if (end != std::string::npos) {
      testing::RawResponse r = testing::ParseRawResponse(raw.substr(0, end + 4));
      size_t want = end + 4 + std::stoul(r.headers.count("content-length") ? r.headers["content-length"] : "0");
      if (raw.size() >= want) return testing::ParseRawResponse(raw.substr(0, want));
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return {};
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return {};
    raw.append(buf, static_cast<size_t>(n));
  }
}

TEST(ServerTest, ClosesATricklingClientAtTheRequestDeadline) {
  ServerOptions o = SmallLimits();
  o.request_timeout_s = 2;   // idle: each byte restarts it
  o.request_deadline_s = 3;  // absolute: nothing restarts it
  ServerHarness h(o, Echo());
  int fd = testing::ConnectLoopback(h.port());
  ASSERT_GE(fd, 0);
  auto kept = Trickle(fd, 250, 15000);
  ::close(fd);
  ASSERT_TRUE(kept.has_value()) << "a client sending a byte every 250 ms kept its connection for 15 s";
  // Closed by the deadline (within a generous margin for a loaded machine),
  // not before the idle timeout would have, had the client been silent.
  EXPECT_GE(kept->count(), 2000);
  EXPECT_LE(kept->count(), 3000 + 7000);
  EXPECT_EQ(h.Stats().requests_past_deadline, 1u);
  // The server still serves.
  EXPECT_EQ(SendRaw(h.port(), BuildRequest("GET", "/")).status, 200);
}

TEST(ServerTest, AnswersARequestStillInItsHandler503AtTheDeadline) {
  auto held = std::make_shared<std::vector<Reply>>();
  ServerOptions o = SmallLimits();
  o.request_timeout_s = 1;
  o.request_deadline_s = 1;
  ServerHarness h(o, [held](Request, Reply reply) { held->push_back(std::move(reply)); });
  auto r = SendRaw(h.port(), BuildRequest("GET", "/"), 10000);
  EXPECT_EQ(r.status, 503) << r.raw;
  EXPECT_EQ(r.headers["connection"], "close");
  EXPECT_EQ(h.Stats().requests_past_deadline, 1u);
  h.loop().Post([held] { held->clear(); });  // Send after the deadline answer: a no-op
}

TEST(ServerTest, EachRequestOnAKeptAliveConnectionHasItsOwnDeadline) {
  ServerOptions o = SmallLimits();
  o.request_timeout_s = 2;
  o.request_deadline_s = 2;
  ServerHarness h(o, Echo());
  int fd = testing::ConnectLoopback(h.port());
  ASSERT_GE(fd, 0);
  // Ten quick requests over about 4 s: longer than one deadline in all.
  for (int i = 0; i < 10; ++i) {
    std::string req = "GET /n" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
    ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
    auto r = ReadOneResponse(fd, 5000);
    ASSERT_EQ(r.status, 200) << "request " << i;
    EXPECT_EQ(r.body, "GET /n" + std::to_string(i) + "  ");
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
  }
  ::close(fd);
  EXPECT_EQ(h.Stats().requests_past_deadline, 0u);
}

TEST(ServerTest, PerAddressLimitLeavesRoomForOtherClients) {
  ServerOptions o = SmallLimits();
  o.max_connections = 8;
  o.max_connections_per_ip = 3;
  o.request_timeout_s = 5;
  o.request_deadline_s = 5;
  ServerHarness h(o, Echo());
  // Five stalled clients from 127.0.0.1: three are held, two closed at once.
  std::vector<int> slow;
  std::string partial = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 5; ++i) {
    int fd = testing::ConnectLoopback(h.port());
    ASSERT_GE(fd, 0);
    (void)::send(fd, partial.data(), partial.size(), MSG_NOSIGNAL);
    slow.push_back(fd);
  }
  int closed = 0;
  for (int fd : slow) {
    pollfd p{fd, POLLIN, 0};
    char c;
    if (::poll(&p, 1, 1000) > 0 && ::recv(fd, &c, 1, 0) <= 0) ++closed;
  }
  EXPECT_EQ(closed, 2);
  // Another client address is served while they hang; 127.0.0.1 is not.
  auto r = SendRaw(h.port(), BuildRequest("GET", "/fresh"), 5000, "127.0.0.2");
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(SendRaw(h.port(), BuildRequest("GET", "/"), 2000).status, 0);
  ServerStats st = h.Stats();
  EXPECT_EQ(st.connections_refused_per_ip, 3u);
  EXPECT_EQ(st.connections_refused, 0u);
  for (int fd : slow) ::close(fd);
}

TEST(ServerTest, StoppingAnswersWaitingRequests503) {
  auto held = std::make_shared<std::vector<Reply>>();
  auto server_loop = std::make_unique<ServerHarness>(SmallLimits(), [held](Request, Reply reply) {
    held->push_back(std::move(reply));
  });
  int port = server_loop->port();
  auto pending = std::async(std::launch::async, [port] { return SendRaw(port, BuildRequest("GET", "/")); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  server_loop.reset();  // destroys the Server on the loop thread
  auto r = pending.get();
  EXPECT_EQ(r.status, 503);
  held->clear();  // Send after the server is gone: a no-op
}

}  // namespace
}  // namespace tayori::http
