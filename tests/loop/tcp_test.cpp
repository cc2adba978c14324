// TcpListener and TcpStream against real sockets on loopback: the loop runs
// on the test thread, blocking clients on threads of their own. Every test
// ends with the Loop destroyed, which aborts unless uv_loop_close() == 0.
#include "loop/tcp.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <thread>

#include <gtest/gtest.h>

namespace tayori::loop {
namespace {

using namespace std::chrono_literals;

int Connect(int port, int family = AF_INET) {
  int fd = ::socket(family, SOCK_STREAM, 0);
  int rc;
  if (family == AF_INET6) {
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(static_cast<uint16_t>(port));
    sin6.sin6_addr = in6addr_loopback;
    rc = ::connect(fd, reinterpret_cast<sockaddr*>(&sin6), sizeof sin6);
  } else {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(static_cast<uint16_t>(port));
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rc = ::connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
  }
  if (rc != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void SendAll(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    s.remove_prefix(static_cast<size_t>(n));
  }
}

// Reads until end of file (or 10 s without a byte).
std::string ReadToEof(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// Stops the loop (and fails the test) if it is still running after 10 s.
class Watchdog {
 public:
  explicit Watchdog(Loop& loop) : timer_(loop) {
    timer_.Start(10s, [&loop] {
      ADD_FAILURE() << "test did not finish in 10 s";
      loop.Stop();
    });
  }

 private:
  Timer timer_;
};

TEST(TcpTest, EchoOnAPickedPortThenEverythingCloses) {
  Loop loop;
  std::unique_ptr<TcpStream> conn;
  std::string peer;
  std::string reply;
  {
    Watchdog dog(loop);
    TcpListener listener(loop);
    ASSERT_TRUE(listener.Listen("127.0.0.1", 0, 16, [&](std::unique_ptr<TcpStream> s) {
      conn = std::move(s);
      peer = conn->peer();
      conn->StartReading([&](TcpStream::ReadEvent ev, std::string_view data) {
        if (ev == TcpStream::ReadEvent::kData) {
          conn->Write("echo:" + std::string(data));
          return;
        }
        conn.reset();  // end of file: destroyed inside its own callback
        loop.Stop();
      });
    }).ok());
    int port = listener.port();
    ASSERT_GT(port, 0);
    std::thread client([&] {
      int fd = Connect(port);
      ASSERT_GE(fd, 0);
      SendAll(fd, "hi");
      char buf[16];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      reply.assign(buf, n > 0 ? static_cast<size_t>(n) : 0);
      ::close(fd);
    });
    loop.Run();
    client.join();
  }
  EXPECT_EQ(reply, "echo:hi");
  EXPECT_EQ(conn, nullptr);
  EXPECT_EQ(peer.rfind("127.0.0.1:", 0), 0u) << peer;
}

TEST(TcpTest, ShutdownDeliversEveryQueuedWriteBeforeEndOfFile) {
  Loop loop;
  std::unique_ptr<TcpStream> conn;
  int writes_done = 0;
  bool shutdown_ok = false;
  std::string got;
  const std::string chunk(256 * 1024, 'x');
  {
    Watchdog dog(loop);
    TcpListener listener(loop);
    ASSERT_TRUE(listener.Listen("127.0.0.1", 0, 16, [&](std::unique_ptr<TcpStream> s) {
      conn = std::move(s);
      for (int i = 0; i < 8; ++i) EXPECT_TRUE(conn->Write(chunk, [&](bool ok) { writes_done += ok; }));
      EXPECT_TRUE(conn->Shutdown([&](bool ok) {
        shutdown_ok = ok;
        conn.reset();
        loop.Stop();
      }));
      EXPECT_FALSE(conn->Write("late"));  // no write after Shutdown
    }).ok());
    std::thread client([&, port = listener.port()] {
      int fd = Connect(port);
      got = ReadToEof(fd);
      ::close(fd);
    });
    loop.Run();
    client.join();
  }
  EXPECT_EQ(got.size(), 8 * chunk.size());
  EXPECT_EQ(writes_done, 8);
  EXPECT_TRUE(shutdown_ok);
}

// A paused stream stops taking bytes, so a fast sender ends up blocked by
// TCP flow control; resumed, it gets every byte in order.
TEST(TcpTest, StopReadingPushesBackOnTheSender) {
  Loop loop;
  std::unique_ptr<TcpStream> conn;
  size_t received = 0;
  std::atomic<size_t> sent_before_block{0};
  std::atomic<bool> blocked{false};
  constexpr size_t kTotal = 32 * 1024 * 1024;
  {
    Watchdog dog(loop);
    Timer poll(loop);
    TcpListener listener(loop);
    ASSERT_TRUE(listener.Listen("127.0.0.1", 0, 16, [&](std::unique_ptr<TcpStream> s) {
      conn = std::move(s);
      conn->StartReading([&](TcpStream::ReadEvent ev, std::string_view data) {
        if (ev != TcpStream::ReadEvent::kData) {
          conn.reset();
          loop.Stop();
          return;
        }
        received += data.size();
        if (!blocked) {
          conn->StopReading();
          EXPECT_FALSE(conn->reading());
          // Resume once the sender reports it could not send any more.
          poll.Start(1ms, [&] {
            if (!blocked) return;
            poll.Stop();
            conn->StartReading();
          }, 1ms);
        }
      });
    }).ok());
    std::thread client([&, port = listener.port()] {
      int fd = Connect(port);
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
      std::string block(65536, 'b');
      size_t sent = 0;
      while (sent < kTotal) {
        ssize_t n = ::send(fd, block.data(), std::min(block.size(), kTotal - sent), MSG_NOSIGNAL);
        if (n > 0) {
          sent += static_cast<size_t>(n);
          continue;
        }
        if (errno != EAGAIN) break;
        if (!blocked) {
          sent_before_block = sent;
          blocked = true;
        }
        pollfd p{fd, POLLOUT, 0};
        ::poll(&p, 1, 1000);
      }
      ::close(fd);
    });
    loop.Run();
    client.join();
  }
  EXPECT_TRUE(blocked);
  EXPECT_LT(sent_before_block.load(), kTotal);
  EXPECT_EQ(received, kTotal);
}

// A stream destroyed with writes still queued: their callbacks never run
// (the owner is gone), and the loop still closes cleanly.
TEST(TcpTest, DestroyedWithQueuedWritesCallsNothing) {
  Loop loop;
  bool called = false;
  std::atomic<bool> connected{false};
  {
    Watchdog dog(loop);
    TcpListener listener(loop);
    ASSERT_TRUE(listener.Listen("127.0.0.1", 0, 16, [&](std::unique_ptr<TcpStream> s) {
      for (int i = 0; i < 64; ++i) s->Write(std::string(1 << 20, 'q'), [&](bool) { called = true; });
      EXPECT_GT(s->write_queue_bytes(), 32u << 20);  // far more than a socket buffer takes at once
      s.reset();  // the peer reads nothing: most of the 64 MB is still queued
      loop.Stop();
    }).ok());
    std::thread client([&, port = listener.port()] {
      int fd = Connect(port);
      connected = fd >= 0;
      ReadToEof(fd);  // sees the close
      ::close(fd);
    });
    loop.Run();
    client.join();
  }
  EXPECT_TRUE(connected);
  EXPECT_FALSE(called);
}

// A peer that resets the connection while the server writes: the writes
// fail (ok == false), the process gets no SIGPIPE.
TEST(TcpTest, PeerResetWhileWritingIsAFailedWriteNotASignal) {
  Loop loop;
  std::unique_ptr<TcpStream> conn;
  int failed = 0;
  std::atomic<bool> reset{false};
  {
    Watchdog dog(loop);
    Timer again(loop);
    TcpListener listener(loop);
    std::function<void()> write_more = [&] {
      if (!conn) return;
      conn->Write(std::string(1 << 20, 'w'), [&](bool ok) {
        if (ok || !conn || failed) return;
        ++failed;
        // Writing on to the dead connection is where SIGPIPE would come.
        bool queued = conn->Write("more", [&](bool ok2) {
          EXPECT_FALSE(ok2);
          conn.reset();
          loop.Stop();
        });
        if (!queued) {
          conn.reset();
          loop.Stop();
        }
      });
      if (reset) again.Start(1ms, write_more);
    };
    ASSERT_TRUE(listener.Listen("127.0.0.1", 0, 16, [&](std::unique_ptr<TcpStream> s) {
      conn = std::move(s);
      again.Start(1ms, write_more, 5ms);
    }).ok());
    std::thread client([&, port = listener.port()] {
      int fd = Connect(port);
      char buf[4096];
      ::recv(fd, buf, sizeof buf, 0);
      linger l{1, 0};  // close with RST
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      ::close(fd);
      reset = true;
    });
    loop.Run();
    client.join();
  }
  EXPECT_EQ(failed, 1);
}

TEST(TcpTest, ClosedListenerRefusesNewConnections) {
  Loop loop;
  TcpListener listener(loop);
  ASSERT_TRUE(listener.Listen("127.0.0.1", 0, 16, [](std::unique_ptr<TcpStream>) {}).ok());
  int port = listener.port();
  listener.Close();
  listener.Close();  // idempotent
  Timer t(loop);
  t.Start(1ms, [&] { loop.Stop(); });
  loop.Run();  // runs the close callback
  EXPECT_EQ(Connect(port), -1);
}

TEST(TcpTest, BadAddressIsAConfigErrorAndAPortInUseIsTransient) {
  Loop loop;
  TcpListener bad(loop);
  Status st = bad.Listen("mx.example", 0, 16, [](std::unique_ptr<TcpStream>) {});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error_class(), ErrorClass::kConfig);
  TcpListener first(loop), second(loop);
  ASSERT_TRUE(first.Listen("127.0.0.1", 0, 16, [](std::unique_ptr<TcpStream>) {}).ok());
  st = second.Listen("127.0.0.1", first.port(), 16, [](std::unique_ptr<TcpStream>) {});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error_class(), ErrorClass::kTransient);
  EXPECT_NE(st.message().find("cannot listen on 127.0.0.1:"), std::string::npos) << st.message();
}

TEST(TcpTest, ListensOnIpv6Loopback) {
  int probe = ::socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_addr = in6addr_loopback;
  bool have_v6 = probe >= 0 && ::bind(probe, reinterpret_cast<sockaddr*>(&sin6), sizeof sin6) == 0;
  if (probe >= 0) ::close(probe);
  // A machine without ::1 fails here rather than skipping: the IPv6 listener
  // would go untested.
  ASSERT_TRUE(have_v6) << "no IPv6 loopback (::1) on this machine: the IPv6 listener cannot be tested";
  Loop loop;
  std::string peer;
  {
    Watchdog dog(loop);
    TcpListener listener(loop);
    ASSERT_TRUE(listener.Listen("::1", 0, 16, [&](std::unique_ptr<TcpStream> s) {
      peer = s->peer();
      EXPECT_EQ(s->peer_ip(), "::1");
      loop.Stop();
    }).ok());
    std::thread client([&, port = listener.port()] {
      int fd = Connect(port, AF_INET6);
      if (fd >= 0) ::close(fd);
    });
    loop.Run();
    client.join();
  }
  EXPECT_EQ(peer.rfind("[::1]:", 0), 0u) << peer;
}

}  // namespace
}  // namespace tayori::loop
