#include "loop/tcp.h"

#include <signal.h>
#include <uv.h>

#include <cstring>
#include <mutex>

#include "base/log.h"
#include "loop/impl.h"

namespace tayori::loop {

struct TcpStream::Handle {
  uv_tcp_t uv;
  ReadCallback on_read;
  ReadCallback next_on_read;  // given by StartReading from inside on_read; swapped in after it returns
  bool in_read = false;
  bool reading = false;
  bool closing = false;       // the wrapper is gone: no more callbacks
  bool write_closed = false;  // shut down, or a write failed to queue
  std::string peer;
  std::string peer_ip;
};

struct TcpListener::Handle {
  uv_tcp_t uv;
  AcceptCallback on_accept;
  bool closing = false;
};

namespace {

uv_stream_t* Stream(uv_tcp_t* t) { return reinterpret_cast<uv_stream_t*>(t); }
uv_handle_t* AsHandle(uv_tcp_t* t) { return reinterpret_cast<uv_handle_t*>(t); }

// The requests own what they send and what they call back; libuv calls
// their callbacks (with UV_ECANCELED when the stream was closed meanwhile)
// before the stream's close callback frees the Handle, so the Handle they
// point to is still there.
struct WriteRequest {
  uv_write_t req;
  std::string bytes;
  TcpStream::DoneCallback done;
};

struct ShutdownRequest {
  uv_shutdown_t req;
  TcpStream::DoneCallback done;
};

void Alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  Loop::Impl* impl = ImplOf(h);
  *buf = uv_buf_init(impl->read_buffer.data(), static_cast<unsigned>(impl->read_buffer.size()));
}

void OnRead(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  auto* h = static_cast<TcpStream::Handle*>(s->data);
  if (h->closing || n == 0) return;  // 0: nothing this time (EAGAIN)
  TcpStream::ReadEvent event = TcpStream::ReadEvent::kData;
  std::string_view data;
  if (n > 0) {
    data = std::string_view(buf->base, static_cast<size_t>(n));
  } else {
    uv_read_stop(s);
    h->reading = false;
    event = n == UV_EOF ? TcpStream::ReadEvent::kEof : TcpStream::ReadEvent::kError;
  }
  // The callback may destroy the stream (h stays allocated until the close
  // callback) or give a new callback (kept aside: this one is running).
  h->in_read = true;
  h->on_read(event, data);
  h->in_read = false;
  if (h->next_on_read) {
    h->on_read = std::move(h->next_on_read);
    h->next_on_read = nullptr;
  }
}

// libuv writes to sockets with write(2), not send(MSG_NOSIGNAL): a peer that
// resets its connection would raise SIGPIPE, whose default action ends the
// process. Ignored, the write fails with EPIPE instead and the stream's
// owner sees ok == false. Left alone if the process installed a handler.
void IgnoreSigpipe() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction current {};
    if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) signal(SIGPIPE, SIG_IGN);
  });
}

std::string FormatPeer(uv_tcp_t* t, std::string* ip_only) {
  sockaddr_storage ss{};
  int len = sizeof ss;
  if (uv_tcp_getpeername(t, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "?";
  char ip[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (ss.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
    uv_ip4_name(sin, ip, sizeof ip);
    port = ntohs(sin->sin_port);
    *ip_only = ip;
    return std::string(ip) + ":" + std::to_string(port);
  }
  if (ss.ss_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    uv_ip6_name(sin6, ip, sizeof ip);
    port = ntohs(sin6->sin6_port);
    *ip_only = ip;
    return std::string("[").append(ip).append("]:").append(std::to_string(port));  // no front insert (GCC 12 -Wrestrict)
  }
  return "?";
}

}  // namespace

// --- TcpStream ---------------------------------------------------------------

TcpStream::~TcpStream() {
  if (!h_) return;
  h_->closing = true;
  uv_close(AsHandle(&h_->uv), [](uv_handle_t* h) { delete static_cast<Handle*>(h->data); });
}

void TcpStream::StartReading(ReadCallback on_read) {
  if (on_read) {
    if (h_->in_read)
      h_->next_on_read = std::move(on_read);
    else
      h_->on_read = std::move(on_read);
  }
  if (h_->reading || (!h_->on_read && !h_->next_on_read)) return;
  if (uv_read_start(Stream(&h_->uv), Alloc, OnRead) == 0) h_->reading = true;
}

void TcpStream::StopReading() {
  if (!h_->reading) return;
  uv_read_stop(Stream(&h_->uv));
  h_->reading = false;
}

bool TcpStream::reading() const { return h_->reading; }

bool TcpStream::Write(std::string bytes, DoneCallback done) {
  if (h_->write_closed) return false;
  auto* w = new WriteRequest;
  w->bytes = std::move(bytes);
  w->done = std::move(done);
  w->req.data = w;
  uv_buf_t buf = uv_buf_init(w->bytes.data(), static_cast<unsigned>(w->bytes.size()));
  int rc = uv_write(&w->req, Stream(&h_->uv), &buf, 1, [](uv_write_t* req, int status) {
    auto* w = static_cast<WriteRequest*>(req->data);
    auto* h = static_cast<Handle*>(req->handle->data);
    if (!h->closing && w->done) w->done(status == 0);
    delete w;
  });
  if (rc != 0) {
    delete w;
    h_->write_closed = true;
    return false;
  }
  return true;
}

size_t TcpStream::write_queue_bytes() const {
  return uv_stream_get_write_queue_size(reinterpret_cast<const uv_stream_t*>(&h_->uv));
}

bool TcpStream::Shutdown(DoneCallback done) {
  if (h_->write_closed) return false;
  auto* r = new ShutdownRequest;
  r->done = std::move(done);
  r->req.data = r;
  int rc = uv_shutdown(&r->req, Stream(&h_->uv), [](uv_shutdown_t* req, int status) {
    auto* r = static_cast<ShutdownRequest*>(req->data);
    auto* h = static_cast<Handle*>(req->handle->data);
    if (!h->closing && r->done) r->done(status == 0);
    delete r;
  });
  h_->write_closed = true;
  if (rc != 0) {
    delete r;
    return false;
  }
  return true;
}

const std::string& TcpStream::peer() const { return h_->peer; }

const std::string& TcpStream::peer_ip() const { return h_->peer_ip; }

// --- TcpListener -------------------------------------------------------------

TcpListener::TcpListener(Loop& loop) : loop_(loop) {}

TcpListener::~TcpListener() { Close(); }

void TcpListener::Close() {
  if (!h_) return;
  h_->closing = true;
  uv_close(AsHandle(&h_->uv), [](uv_handle_t* h) { delete static_cast<Handle*>(h->data); });
  h_ = nullptr;
}

Status TcpListener::Listen(const std::string& address, int port, int backlog, AcceptCallback on_accept) {
  if (h_ || port_) return Internal("tcp listener: Listen called twice");
  IgnoreSigpipe();
  std::string host = address == "localhost" ? "127.0.0.1" : address;
  sockaddr_storage ss{};
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&ss)) != 0 &&
      uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&ss)) != 0)
    return ConfigError("'" + address + "' is not an IP address literal");
  h_ = new Handle;
  h_->on_accept = std::move(on_accept);
  uv_tcp_init(&loop_.impl()->uv, &h_->uv);
  h_->uv.data = h_;
  int rc = uv_tcp_bind(&h_->uv, reinterpret_cast<const sockaddr*>(&ss), 0);
  if (rc == 0)
    rc = uv_listen(Stream(&h_->uv), backlog, [](uv_stream_t* server, int status) {
      auto* h = static_cast<Handle*>(server->data);
      if (h->closing) return;
      if (status < 0) {
        // EMFILE and its kin: libuv has already dropped the connection it
        // could not take; the listener goes on.
        log::Warn("loop", std::string("tcp accept failed: ") + uv_strerror(status));
        return;
      }
      std::unique_ptr<TcpStream> stream(new TcpStream);
      auto* sh = new TcpStream::Handle;
      uv_tcp_init(server->loop, &sh->uv);
      sh->uv.data = sh;
      stream->h_ = sh;
      if (uv_accept(server, Stream(&sh->uv)) != 0) return;  // closed by ~TcpStream
      // Replies are small and each one is awaited by the peer: no Nagle delay.
      uv_tcp_nodelay(&sh->uv, 1);
      sh->peer = FormatPeer(&sh->uv, &sh->peer_ip);
      h->on_accept(std::move(stream));
    });
  if (rc != 0) {
    Close();
    return Transient("cannot listen on " + address + ":" + std::to_string(port) + ": " + uv_strerror(rc));
  }
  sockaddr_storage bound{};
  int len = sizeof bound;
  uv_tcp_getsockname(&h_->uv, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return Status::Ok();
}

int TcpListener::port() const { return port_; }

}  // namespace tayori::loop
