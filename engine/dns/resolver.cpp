#include "dns/resolver.h"

#include <arpa/nameser.h>
#include <ares.h>

#include <mutex>

namespace tayori::dns {
namespace {

void EnsureAresLibrary() {
  static std::once_flag once;
  std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
}

}  // namespace

struct Resolver::Impl {
  explicit Impl(loop::Loop& l) : loop(l), timer(l) {}
  loop::Loop& loop;
  ares_channel channel = nullptr;
  loop::Timer timer;
  std::map<int, std::unique_ptr<loop::FdWatcher>> watchers;
  bool destroying = false;
  int pending = 0;

  struct Query {
    Impl* impl;
    std::string name;
    TxtCallback done;
  };

  // c-ares says which sockets it wants watched (read and/or write), and
  // r = w = 0 when it closes one.
  static void SockState(void* data, ares_socket_t fd, int readable, int writable) {
    auto* self = static_cast<Impl*>(data);
    if (!readable && !writable) {
      self->watchers.erase(fd);
      return;
    }
    auto& w = self->watchers[fd];
    if (!w) w = std::make_unique<loop::FdWatcher>(self->loop, fd);
    w->Watch(readable != 0, writable != 0, [self, fd](bool r, bool wr, bool err) {
      ares_process_fd(self->channel, (r || err) ? fd : ARES_SOCKET_BAD, wr ? fd : ARES_SOCKET_BAD);
      self->ArmTimer();
    });
  }

  void ArmTimer() {
    if (pending == 0) {
      timer.Stop();
      return;
    }
    timeval tv{};
    timeval* t = ares_timeout(channel, nullptr, &tv);
    long ms = t ? t->tv_sec * 1000 + t->tv_usec / 1000 + 1 : 1000;
    timer.Start(std::chrono::milliseconds(ms), [this] {
      ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
      ArmTimer();
    });
  }

  static void OnTxt(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
    std::unique_ptr<Query> q(static_cast<Query*>(arg));
    Impl* self = q->impl;
    --self->pending;
    if (self->destroying || status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) return;
    Result<TxtRecords> result = Finish(q->name, status, abuf, alen);
    q->done(std::move(result));
  }

  static Result<TxtRecords> Finish(const std::string& name, int status, unsigned char* abuf, int alen) {
    if (status == ARES_ENOTFOUND) return NotFound(name + ": no such name (NXDOMAIN)");
    if (status == ARES_ENODATA) return NotFound(name + ": no TXT record");
    if (status != ARES_SUCCESS) return Transient(name + ": DNS lookup failed: " + ares_strerror(status));
    ares_txt_ext* txt = nullptr;
    int rc = ares_parse_txt_reply_ext(abuf, alen, &txt);
    if (rc == ARES_ENODATA) return NotFound(name + ": no TXT record");
    if (rc != ARES_SUCCESS) return Transient(name + ": bad DNS answer: " + ares_strerror(rc));
    TxtRecords out;
    // Each character-string is one node; record_start marks a new RR, so the
    // strings of one record are joined (RFC 6376 §3.6.2.2).
    for (ares_txt_ext* p = txt; p; p = p->next) {
      if (p->record_start || out.empty()) out.emplace_back();
      out.back().append(reinterpret_cast<const char*>(p->txt), p->length);
    }
    ares_free_data(txt);
    if (out.empty()) return NotFound(name + ": no TXT record");
    return out;
  }
};

Resolver::Resolver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Resolver>> Resolver::Create(loop::Loop& loop, ResolverOptions options) {
  EnsureAresLibrary();
  auto impl = std::make_unique<Impl>(loop);
  ares_options o{};
  o.sock_state_cb = &Impl::SockState;
  o.sock_state_cb_data = impl.get();
  o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_EDNS;
  o.timeout = static_cast<int>(options.timeout.count());
  o.tries = options.tries;
  int rc = ares_init_options(&impl->channel, &o,
                             ARES_OPT_SOCK_STATE_CB | ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
  if (rc != ARES_SUCCESS) return Internal(std::string("c-ares init: ") + ares_strerror(rc));
  if (!options.servers.empty()) {
    rc = ares_set_servers_ports_csv(impl->channel, options.servers.c_str());
    if (rc != ARES_SUCCESS) {
      ares_destroy(impl->channel);
      impl->channel = nullptr;
      return ConfigError("dns.resolver '" + options.servers + "': " + ares_strerror(rc) + " (expected ip:port[,ip:port])");
    }
  }
  return std::unique_ptr<Resolver>(new Resolver(std::move(impl)));
}

Resolver::~Resolver() {
  if (impl_->channel) {
    impl_->destroying = true;
    ares_destroy(impl_->channel);  // answers pending queries with ARES_EDESTRUCTION
  }
  impl_->watchers.clear();
  impl_->timer.Stop();
}

void Resolver::QueryTxt(const std::string& name, TxtCallback done) {
  auto* q = new Impl::Query{impl_.get(), name, std::move(done)};
  ++impl_->pending;
  ares_query(impl_->channel, name.c_str(), ns_c_in, ns_t_txt, &Impl::OnTxt, q);
  impl_->ArmTimer();
}

Result<TxtRecords> ResolveTxtBlocking(const ResolverOptions& options, const std::string& name) {
  loop::Loop loop;
  std::optional<Result<TxtRecords>> out;
  {
    TAYORI_ASSIGN_OR_RETURN(auto resolver, Resolver::Create(loop, options));
    resolver->QueryTxt(name, [&](Result<TxtRecords> r) {
      out.emplace(std::move(r));
      loop.Stop();
    });
    if (!out) loop.Run();
  }
  return std::move(*out);
}

}  // namespace tayori::dns
