#include "http/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include <cctype>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <optional>
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
  int port = 0;
  ServerStats stats;
  std::unordered_set<Reply::Exchange*> live;  // every request MHD has not completed
  bool in_run = false;

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

  void Completed(void** con_cls) {
    auto* p = static_cast<Pending*>(*con_cls);
    if (!p) return;
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
  MHD_RequestCompletedCallback completed = [](void* cls, MHD_Connection*, void** con_cls,
                                              MHD_RequestTerminationCode) {
    static_cast<Impl*>(cls)->Completed(con_cls);
  };
  MHD_NotifyConnectionCallback notify = [](void* cls, MHD_Connection*, void**, MHD_ConnectionNotificationCode code) {
    ServerStats& s = static_cast<Impl*>(cls)->stats;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
      ++s.connections_open;
      ++s.connections_total;
    } else if (s.connections_open > 0) {
      --s.connections_open;
    }
  };
  // The connection limit is enforced here rather than with MHD's
  // MHD_OPTION_CONNECTION_LIMIT: in external-epoll mode MHD 0.9.75 stops
  // accepting for good once it has turned a connection away at its own limit.
  // Refused connections are accepted and closed at once; MHD's own limit is
  // set above ours so it never engages.
  MHD_AcceptPolicyCallback admit = [](void* cls, const sockaddr*, socklen_t) -> MHD_Result {
    auto* impl = static_cast<Impl*>(cls);
    if (impl->stats.connections_open < static_cast<uint64_t>(impl->options.max_connections)) return MHD_YES;
    ++impl->stats.connections_refused;
    return MHD_NO;
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
  impl->watcher = std::make_unique<loop::FdWatcher>(impl->loop, efd);
  impl->watcher->Watch(true, false, [impl](bool, bool, bool) { impl->Kick(); });
  impl->Kick();
  return Status::Ok();
}

int Server::port() const { return impl_->port; }

const ServerStats& Server::stats() const { return impl_->stats; }

}  // namespace tayori::http
