#include "http/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cctype>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "base/log.h"
#include "http/path.h"

namespace tayori::http {

struct Reply::Exchange {
  Server::Impl* server = nullptr;        // null once the server is gone
  MHD_Connection* connection = nullptr;  // null once MHD finished the request
  bool suspended = false;                // waiting in MHD_suspend_connection
  bool sent = false;
  std::optional<Response> response;
};

namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

// What MHD keeps for one connection in its socket context, from the STARTED
// to the CLOSED notification: what the deadline sweep and the per-IP count
// need.
struct Conn {
  MHD_Connection* connection = nullptr;
  int fd = -1;                               // MHD's; only ever shut down here, never closed
  std::string ip;                            // the raw address bytes (per-IP count key)
  SteadyTime since;                          // the current request's deadline counts from here
  Reply::Exchange* exchange = nullptr;       // the request in the handler, if any
  bool cut = false;                          // shut down at the deadline; MHD closes it
};

// The per-IP key of a client address: its raw bytes, so an IPv4 client and
// the same address mapped into IPv6 count apart (the listener has one family).
std::string AddressKey(const sockaddr* addr) {
  if (!addr) return {};
  if (addr->sa_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(addr);
    return std::string(reinterpret_cast<const char*>(&sin->sin_addr), sizeof sin->sin_addr);
  }
  if (addr->sa_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(addr);
    return std::string(reinterpret_cast<const char*>(&sin6->sin6_addr), sizeof sin6->sin6_addr);
  }
  return {};
}

// What MHD keeps for one request in *con_cls, from the first call of the
// access handler to the completed notification.
struct Pending {
  std::shared_ptr<Reply::Exchange> exchange;
  std::string path;
  std::string body;
  bool too_large = false;
  bool handled = false;
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string_view Request::header(std::string_view name) const {
  for (const auto& h : headers)
    if (h.name == name) return h.value;
  return {};
}

Response Response::Text(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

struct Server::Impl {
  Impl(loop::Loop& l, ServerOptions o, Handler h) : loop(l), options(std::move(o)), handler(std::move(h)) {}

  loop::Loop& loop;
  ServerOptions options;
  Handler handler;
  MHD_Daemon* daemon = nullptr;
  std::unique_ptr<loop::FdWatcher> watcher;
  std::unique_ptr<loop::Timer> timer;
  std::unique_ptr<loop::Timer> deadline_timer;  // armed for the earliest request deadline
  int port = 0;
  ServerStats stats;
  std::unordered_set<Reply::Exchange*> live;  // every request MHD has not completed
  std::unordered_set<Conn*> conns;            // every connection MHD has not closed
  std::unordered_map<std::string, int> per_ip;
  bool in_run = false;

  std::chrono::seconds deadline() const { return std::chrono::seconds(options.request_deadline_s); }

  static Conn* ConnOf(MHD_Connection* c) {
    const MHD_ConnectionInfo* info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? static_cast<Conn*>(info->socket_context) : nullptr;
  }

  void Opened(MHD_Connection* c, void** socket_context) {
    auto* conn = new Conn;
    conn->connection = c;
    if (const MHD_ConnectionInfo* fd = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD))
      conn->fd = fd->connect_fd;
    if (const MHD_ConnectionInfo* a = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS))
      conn->ip = AddressKey(a->client_addr);
    conn->since = std::chrono::steady_clock::now();
    *socket_context = conn;
    conns.insert(conn);
    ++per_ip[conn->ip];
    ++stats.connections_open;
    ++stats.connections_total;
    // Deadlines only ever move later, so an armed timer is early enough.
    if (!deadline_timer->active()) deadline_timer->Start(deadline(), [this] { Sweep(); });
  }

  void Closed(void** socket_context) {
    auto* conn = static_cast<Conn*>(*socket_context);
    if (!conn) return;
    *socket_context = nullptr;
    conns.erase(conn);
    if (auto it = per_ip.find(conn->ip); it != per_ip.end() && --it->second <= 0) per_ip.erase(it);
    if (stats.connections_open > 0) --stats.connections_open;
    delete conn;
  }

  // The accept policy: both connection limits, counted. The per-IP limit is
  // kept here beside the global one rather than given to MHD
  // (MHD_OPTION_PER_IP_CONNECTION_LIMIT) so that each refusal is counted
  // for /metrics and both limits behave alike in external-epoll mode.
  bool Admit(const sockaddr* addr) {
    if (stats.connections_open >= static_cast<uint64_t>(options.max_connections)) {
      ++stats.connections_refused;
      return false;
    }
    if (options.max_connections_per_ip > 0) {
      auto it = per_ip.find(AddressKey(addr));
      if (it != per_ip.end() && it->second >= options.max_connections_per_ip) {
        ++stats.connections_refused_per_ip;
        return false;
      }
    }
    return true;
  }

  // Ends every request past its deadline and re-arms the timer for the next
  // one. MHD's idle timeout cannot do this: any byte restarts it.
  void Sweep() {
    if (!daemon) return;
    SteadyTime now = std::chrono::steady_clock::now();
    std::optional<SteadyTime> next;
    for (Conn* conn : conns) {
      SteadyTime due = conn->since + deadline();
      if (due > now) {
        if (!next || due < *next) next = due;
      } else if (!conn->cut) {
        Expire(*conn, now);
        if (!conn->cut) {  // answered 503: it has one second to take it
          due = conn->since + deadline();
          if (!next || due < *next) next = due;
        }
      }
    }
    if (next)
      deadline_timer->Start(std::chrono::ceil<std::chrono::milliseconds>(*next - now), [this] { Sweep(); });
    Kick();
  }

  void Expire(Conn& conn, SteadyTime now) {
    ++stats.requests_past_deadline;
    Reply::Exchange* ex = conn.exchange;
    if (ex && ex->suspended && !ex->sent) {
      // The handler is still working (e.g. waiting for the database): answer
      // for it, as Reply::Send would; its own Send becomes a no-op.
      ex->suspended = false;
      ex->sent = true;
      Response r = Response::Text(503, "request deadline exceeded\n");
      r.headers.emplace_back("Connection", "close");
      ex->response = std::move(r);
      MHD_resume_connection(conn.connection);
      conn.since = now - deadline() + std::chrono::seconds(1);
      return;
    }
    // Reading headers or a body, or writing a response: a shut-down socket
    // reads as end of file, so MHD closes the connection on its next run.
    if (conn.fd >= 0) ::shutdown(conn.fd, SHUT_RDWR);
    conn.cut = true;
  }

  // Lets MHD do all the work it can now, then arms the timer for its next
  // deadline. MHD in epoll mode keeps its own list of ready connections, so
  // "more to do" shows up as a zero timeout rather than as a readable fd.
  void Kick() {
    if (!daemon) return;
    if (in_run) {  // a reply sent from inside a handler: run again right after
      timer->Start(std::chrono::milliseconds(0), [this] { Kick(); });
      return;
    }
    in_run = true;
    MHD_run(daemon);
    in_run = false;
    MHD_UNSIGNED_LONG_LONG ms = 0;
    if (MHD_get_timeout(daemon, &ms) == MHD_YES)
      timer->Start(std::chrono::milliseconds(static_cast<int64_t>(ms)), [this] { Kick(); });
    else
      timer->Stop();
  }

  void Queue(MHD_Connection* c, const Response& r) {
    MHD_Response* resp = MHD_create_response_from_buffer(r.body.size(), const_cast<char*>(r.body.data()),
                                                         MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r.content_type.c_str());
    for (const auto& [name, value] : r.headers) MHD_add_response_header(resp, name.c_str(), value.c_str());
    int status = r.status >= 100 && r.status < 600 ? r.status : 500;
    if (MHD_queue_response(c, static_cast<unsigned>(status), resp) == MHD_YES) ++stats.responses_by_status[status];
    MHD_destroy_response(resp);
  }

  MHD_Result Access(MHD_Connection* c, const char* url, const char* method, const char* upload_data,
                    size_t* upload_data_size, void** con_cls) {
    auto* p = static_cast<Pending*>(*con_cls);
    if (!p) {
      p = new Pending;
      p->exchange = std::make_shared<Reply::Exchange>();
      p->exchange->server = this;
      p->exchange->connection = c;
      live.insert(p->exchange.get());
      *con_cls = p;
      if (Conn* conn = ConnOf(c)) conn->exchange = p->exchange.get();
      // Decide what the headers alone decide, before reading any body.
      auto path = DecodePath(url ? url : "");
      if (!path.ok()) {
        Queue(c, Response::Text(400, "bad request: " + path.status().message() + "\n"));
        return MHD_YES;
      }
      p->path = std::move(path).value();
      const char* length = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
      if (length && std::strtoull(length, nullptr, 10) > options.max_body_bytes) {
        Queue(c, Response::Text(413, "request body too large\n"));
        return MHD_YES;
      }
      return MHD_YES;
    }
    if (*upload_data_size > 0) {
      // A chunked body has no Content-Length to refuse up front: keep reading
      // but drop the bytes once past the limit, and answer 413 at the end.
      if (!p->too_large && p->body.size() + *upload_data_size <= options.max_body_bytes)
        p->body.append(upload_data, *upload_data_size);
      else
        p->too_large = true;
      *upload_data_size = 0;
      return MHD_YES;
    }
    Reply::Exchange& ex = *p->exchange;
    if (ex.response) {  // answered synchronously, or resumed after an answer
      Queue(c, *ex.response);
      ex.response.reset();
      return MHD_YES;
    }
    if (p->too_large) {
      Queue(c, Response::Text(413, "request body too large\n"));
      return MHD_YES;
    }
    if (p->handled) return MHD_NO;  // resumed without an answer: cannot happen, close
    p->handled = true;
    Request req;
    req.method = method ? method : "";
    req.path = std::move(p->path);
    req.body = std::move(p->body);
    MHD_get_connection_values(
        c, MHD_HEADER_KIND,
        [](void* cls, MHD_ValueKind, const char* key, const char* value) -> MHD_Result {
          auto* headers = static_cast<std::vector<Header>*>(cls);
          if (headers->size() < 100) headers->push_back({Lower(key ? key : ""), value ? value : ""});
          return MHD_YES;
        },
        &req.headers);
    handler(std::move(req), Reply(p->exchange));
    if (ex.response) {
      Queue(c, *ex.response);
      ex.response.reset();
    } else if (!ex.sent) {
      MHD_suspend_connection(c);
      ex.suspended = true;
    }
    return MHD_YES;
  }

  void Completed(MHD_Connection* c, void** con_cls) {
    auto* p = static_cast<Pending*>(*con_cls);
    if (!p) return;
    // The next request on a kept-alive connection gets a deadline of its own.
    if (Conn* conn = c ? ConnOf(c) : nullptr) {
      conn->exchange = nullptr;
      conn->since = std::chrono::steady_clock::now();
    }
    p->exchange->connection = nullptr;
    p->exchange->server = nullptr;
    live.erase(p->exchange.get());
    delete p;
    *con_cls = nullptr;
  }
};

Reply& Reply::operator=(Reply&& other) noexcept {
  if (this != &other) {
    if (exchange_ && !exchange_->sent) Send(Response::Text(500, "internal error\n"));
    exchange_ = std::move(other.exchange_);
  }
  return *this;
}

Reply::~Reply() {
  if (exchange_ && !exchange_->sent) Send(Response::Text(500, "internal error: the request was dropped\n"));
}

void Reply::Send(Response response) {
  if (!exchange_ || exchange_->sent) return;
  std::shared_ptr<Exchange> ex = std::move(exchange_);
  ex->sent = true;
  if (!ex->server || !ex->connection) return;  // the client or the server is gone
  ex->response = std::move(response);
  if (ex->suspended) {
    ex->suspended = false;
    MHD_resume_connection(ex->connection);
    ex->server->Kick();
  }
}

Server::Server(loop::Loop& loop, ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(loop, std::move(options), std::move(handler))) {}

Server::~Server() {
  if (!impl_->daemon) return;
  // MHD cannot stop with connections suspended; answer them first.
  for (Reply::Exchange* ex : impl_->live) {
    if (ex->suspended) {
      ex->suspended = false;
      ex->sent = true;
      ex->response = Response::Text(503, "shutting down\n");
      MHD_resume_connection(ex->connection);
    }
  }
  MHD_run(impl_->daemon);
  impl_->watcher.reset();
  impl_->timer.reset();
  impl_->deadline_timer.reset();
  for (Reply::Exchange* ex : impl_->live) ex->server = nullptr;
  MHD_stop_daemon(impl_->daemon);
  impl_->daemon = nullptr;
}

Status Server::Start() {
  if (impl_->daemon) return Internal("http server already started");
  const ServerOptions& o = impl_->options;
  sockaddr_in sin{};
  sockaddr_in6 sin6{};
  const sockaddr* addr = nullptr;
  unsigned int flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
  std::string host = o.listen_address == "localhost" ? "127.0.0.1" : o.listen_address;
  if (inet_pton(AF_INET, host.c_str(), &sin.sin_addr) == 1) {
    sin.sin_family = AF_INET;
    sin.sin_port = htons(static_cast<uint16_t>(o.port));
    addr = reinterpret_cast<const sockaddr*>(&sin);
  } else if (inet_pton(AF_INET6, host.c_str(), &sin6.sin6_addr) == 1) {
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(static_cast<uint16_t>(o.port));
    addr = reinterpret_cast<const sockaddr*>(&sin6);
    flags |= MHD_USE_IPv6;
  } else {
    return ConfigError("http.listen_address: '" + o.listen_address + "' is not an IP address literal");
  }
  Impl* impl = impl_.get();
  MHD_AccessHandlerCallback access = [](void* cls, MHD_Connection* c, const char* url, const char* method,
                                        const char*, const char* data, size_t* size, void** con_cls) {
    return static_cast<Impl*>(cls)->Access(c, url, method, data, size, con_cls);
  };
  MHD_RequestCompletedCallback completed = [](void* cls, MHD_Connection* c, void** con_cls,
                                              MHD_RequestTerminationCode) {
    static_cast<Impl*>(cls)->Completed(c, con_cls);
  };
  MHD_NotifyConnectionCallback notify = [](void* cls, MHD_Connection* c, void** socket_context,
                                           MHD_ConnectionNotificationCode code) {
    auto* impl = static_cast<Impl*>(cls);
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
      impl->Opened(c, socket_context);
    else
      impl->Closed(socket_context);
  };
  // The connection limits are enforced here (Impl::Admit) rather than with
  // MHD's MHD_OPTION_CONNECTION_LIMIT: in external-epoll mode MHD 0.9.75 stops
  // accepting for good once it has turned a connection away at its own limit.
  // Refused connections are accepted and closed at once; MHD's own limit is
  // set above ours so it never engages.
  MHD_AcceptPolicyCallback admit = [](void* cls, const sockaddr* addr, socklen_t) -> MHD_Result {
    return static_cast<Impl*>(cls)->Admit(addr) ? MHD_YES : MHD_NO;
  };
  // The path reaches the handler exactly as sent; DecodePath() decodes it
  // strictly, where MHD's own decoder would pass NUL and bad escapes through.
  using Unescape = size_t (*)(void*, MHD_Connection*, char*);
  Unescape keep = [](void*, MHD_Connection*, char* s) { return std::strlen(s); };
  using Logger = void (*)(void*, const char*, va_list);
  Logger logger = [](void*, const char* fmt, va_list ap) {
    char buf[512];
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    std::string msg(buf);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r')) msg.pop_back();
    log::Warn("http", msg);
  };
  impl->daemon = MHD_start_daemon(
      flags, 0, admit, impl, access, impl, MHD_OPTION_EXTERNAL_LOGGER, logger, nullptr, MHD_OPTION_SOCK_ADDR, addr, MHD_OPTION_NOTIFY_COMPLETED, completed,
      impl, MHD_OPTION_NOTIFY_CONNECTION, notify, impl, MHD_OPTION_CONNECTION_TIMEOUT,
      static_cast<unsigned int>(o.request_timeout_s), MHD_OPTION_CONNECTION_LIMIT,
      static_cast<unsigned int>(o.max_connections) + 64, MHD_OPTION_UNESCAPE_CALLBACK, keep, nullptr, MHD_OPTION_END);
  if (!impl->daemon)
    return Transient("http: cannot listen on " + o.listen_address + ":" + std::to_string(o.port) +
                     " (address in use or not local?)");
  const MHD_DaemonInfo* info = MHD_get_daemon_info(impl->daemon, MHD_DAEMON_INFO_BIND_PORT);
  impl->port = info ? info->port : o.port;
  int efd = MHD_get_daemon_info(impl->daemon, MHD_DAEMON_INFO_EPOLL_FD)->epoll_fd;
  impl->timer = std::make_unique<loop::Timer>(impl->loop);
  impl->deadline_timer = std::make_unique<loop::Timer>(impl->loop);
  impl->watcher = std::make_unique<loop::FdWatcher>(impl->loop, efd);
  impl->watcher->Watch(true, false, [impl](bool, bool, bool) { impl->Kick(); });
  impl->Kick();
  return Status::Ok();
}

int Server::port() const { return impl_->port; }

const ServerStats& Server::stats() const { return impl_->stats; }

}  // namespace tayori::http
