// The listener on a loopback port, driven by a real loop on its own thread,
// with stub handlers: async replies, the transport limits, slow clients.
#include "http/server.h"

#include <atomic>
#include <future>
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
