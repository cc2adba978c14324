// Module http/: an HTTP/1.1 listener (libmicrohttpd, its only includer) on the engine's loop, and
// the pure request parsers it uses. May include: base/, loop/ (its links in CMakeLists.txt, and
// what they link publicly; scripts/check-layering checks both).
//
// An HTTP/1.1 listener on the engine's loop: libmicrohttpd in its external
// event-loop mode (MHD_USE_EPOLL, no threads of its own), its epoll fd
// watched by a loop::FdWatcher and its timeouts by a loop::Timer. Every
// callback, handler and reply runs on the loop thread.
//
// The server enforces the transport limits before a handler sees a request:
// bodies over max_body_bytes get 413 (at once when Content-Length says so),
// paths that are not valid percent-encoded UTF-8 get 400, clients idle for
// request_timeout_s are disconnected, and connections beyond max_connections
// (in all) or max_connections_per_ip (from one address) are refused. Memory
// per connection is bounded by MHD's connection memory limit (headers) plus
// max_body_bytes.
//
// The idle timeout alone does not bound a connection: a client sending one
// byte just inside it keeps its connection forever, and enough of them hold
// every slot. So each request also has an absolute deadline,
// request_deadline_s, counted from the accept (or, on a kept-alive
// connection, from the end of the previous response) to the last byte of its
// response. At the deadline a request still waiting for its handler is
// answered 503 with "Connection: close" (one second to take it); any other
// connection is shut down.
//
// Thread-safety: none; use from the loop thread only.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "loop/loop.h"

namespace tayori::http {

struct ServerOptions {
  std::string listen_address = "127.0.0.1";  // an IPv4 or IPv6 literal
  int port = 0;                               // 0: the kernel picks one; see Server::port()
  size_t max_body_bytes = 16384;
  int request_timeout_s = 10;                 // idle time before MHD drops a connection
  int request_deadline_s = 10;                // absolute time for one request (see above)
  int max_connections = 1024;
  int max_connections_per_ip = 16;            // from one client address; 0: no limit
};

struct Header {
  std::string name;  // lower-case
  std::string value;
};

struct Request {
  std::string method;  // as sent: "GET", "POST" …
  std::string path;    // percent-decoded UTF-8 without the query (http/path.h)
  std::vector<Header> headers;
  std::string body;    // at most max_body_bytes

  // The first header `name` (lower-case), or empty.
  std::string_view header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type
  std::string body;

  static Response Text(int status, std::string body);
};

class Server;

// Completes one request, now or later. Move-only; Send() at most once. A
// Reply dropped without Send() answers 500, so no connection waits forever.
// A Reply may outlive its connection (the client left) or the Server: Send()
// is then a no-op.
class Reply {
 public:
  Reply(Reply&&) noexcept = default;
  Reply& operator=(Reply&&) noexcept;
  ~Reply();
  void Send(Response response);

  struct Exchange;
  explicit Reply(std::shared_ptr<Exchange> exchange) : exchange_(std::move(exchange)) {}

 private:
  std::shared_ptr<Exchange> exchange_;
};

using Handler = std::function<void(Request request, Reply reply)>;

// Counters the server keeps itself, for /metrics.
struct ServerStats {
  std::array<uint64_t, 600> responses_by_status{};  // index: HTTP status
  uint64_t connections_open = 0;
  uint64_t connections_total = 0;
  uint64_t connections_refused = 0;         // over max_connections
  uint64_t connections_refused_per_ip = 0;  // over max_connections_per_ip
  uint64_t requests_past_deadline = 0;      // cut (or answered 503) at request_deadline_s
};

class Server {
 public:
  // `loop` must outlive the Server.
  Server(loop::Loop& loop, ServerOptions options, Handler handler);
  // Answers every request still waiting for a reply with 503, then closes
  // the listener and every connection.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts listening. kConfig when the address is not a literal IP,
  // kTransient when the port is taken.
  Status Start();
  // The bound port (the chosen one when options.port was 0); 0 before Start.
  int port() const;
  const ServerStats& stats() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace tayori::http
