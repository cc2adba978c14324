#include "net/transfers.h"

#include <sys/socket.h>

#include <curl/curl.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

namespace tayori::net {
namespace {

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};
void EnsureCurlGlobal() { static CurlGlobal g; }

}  // namespace

// One easy handle and what we learn while it runs.
struct Transfer {
  Transfers::Impl* owner = nullptr;
  CURL* easy = nullptr;
  bool is_smtp = false;
  // SMTP
  SmtpRequest smtp;
  std::function<void(SmtpResult)> smtp_done;
  curl_slist* rcpts = nullptr;
  size_t read_offset = 0;
  bool body_done = false;
  SmtpStage stage = SmtpStage::kConnect;
  std::vector<std::string> partial_reply;
  std::vector<std::string> last_reply;
  // HTTP
  HttpRequest http;
  std::function<void(HttpResult)> http_done;
  curl_slist* headers = nullptr;
  std::string response_body;

  char errbuf[CURL_ERROR_SIZE] = {0};

  ~Transfer() {
    if (rcpts) curl_slist_free_all(rcpts);
    if (headers) curl_slist_free_all(headers);
    if (easy) curl_easy_cleanup(easy);
  }
};

struct Transfers::Impl {
  loop::Loop& loop;
  PoolOptions options;
  CURLM* multi = nullptr;
  loop::Timer timer;
  std::unordered_map<curl_socket_t, std::unique_ptr<loop::FdWatcher>> sockets;
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> transfers;
  // Messages started per connection (keyed by the connection's local port),
  // for max_messages_per_connection.
  std::unordered_map<long, int> messages_on_connection;

  Impl(loop::Loop& l, PoolOptions o) : loop(l), options(o), timer(l) {}

  void Action(curl_socket_t fd, int flags) {
    int running = 0;
    curl_multi_socket_action(multi, fd, flags, &running);
    Harvest();
  }

  void Harvest();
  void FinishSmtp(std::unique_ptr<Transfer> t, CURLcode code);
  void FinishHttp(std::unique_ptr<Transfer> t, CURLcode code);
};

namespace {

int SocketCallback(CURL*, curl_socket_t fd, int what, void* userp, void*) {
  auto* impl = static_cast<Transfers::Impl*>(userp);
  if (what == CURL_POLL_REMOVE) {
    impl->sockets.erase(fd);  // the watcher's handle closes; its memory goes in the close callback
    return 0;
  }
  auto& w = impl->sockets[fd];
  if (!w) w = std::make_unique<loop::FdWatcher>(impl->loop, static_cast<int>(fd));
  bool read = what == CURL_POLL_IN || what == CURL_POLL_INOUT;
  bool write = what == CURL_POLL_OUT || what == CURL_POLL_INOUT;
  w->Watch(read, write, [impl, fd](bool r, bool wr, bool err) {
    int flags = (r ? CURL_CSELECT_IN : 0) | (wr ? CURL_CSELECT_OUT : 0) | (err ? CURL_CSELECT_ERR : 0);
    impl->Action(fd, flags);
  });
  return 0;
}

int TimerCallback(CURLM*, long timeout_ms, void* userp) {
  auto* impl = static_cast<Transfers::Impl*>(userp);
  // Never call socket_action from inside this callback (libcurl's rule).
  if (timeout_ms < 0) {
    impl->timer.Stop();
  } else {
    impl->timer.Start(std::chrono::milliseconds(timeout_ms),
                      [impl] { impl->Action(CURL_SOCKET_TIMEOUT, 0); });
  }
  return 0;
}

size_t ReadMessage(char* buffer, size_t size, size_t nitems, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  const std::string& m = *t->smtp.message;
  size_t n = std::min(size * nitems, m.size() - t->read_offset);
  std::memcpy(buffer, m.data() + t->read_offset, n);
  t->read_offset += n;
  // Once every byte is handed over, curl sends CRLF.CRLF next (it may not ask
  // again, since it knows the size). From here a lost connection leaves the
  // outcome unknown, the conservative reading.
  if (t->read_offset == m.size()) t->body_done = true;
  return n;
}

size_t WriteBody(char* ptr, size_t size, size_t nmemb, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  // Provider answers are small; cap what we keep so a misbehaving server
  // cannot make us buffer without bound.
  size_t n = size * nmemb;
  if (t->response_body.size() < (1u << 20)) t->response_body.append(ptr, std::min(n, (1u << 20) - t->response_body.size()));
  return n;
}

bool StartsWithCommand(const char* data, size_t size, const char* cmd) {
  size_t n = std::strlen(cmd);
  if (size < n) return false;
  for (size_t i = 0; i < n; ++i)
    if (std::toupper(static_cast<unsigned char>(data[i])) != cmd[i]) return false;
  return true;
}

constexpr size_t kMaxReplyLine = 1024;
constexpr size_t kMaxReplyLines = 32;

// The only way to see SMTP reply text with libcurl: the debug callback, which
// runs only with CURLOPT_VERBOSE. Nothing from here is logged: outgoing lines
// include AUTH credentials.
int DebugCallback(CURL*, curl_infotype type, char* data, size_t size, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  if (type == CURLINFO_HEADER_OUT) {
    // A command's reply is the only one that may speak for it: a relay that
    // dies right after DATA must not leave RCPT's 250 as "the last reply"
    // (that read as delivered a message the relay never took).
    bool command = true;
    if (StartsWithCommand(data, size, "MAIL FROM")) t->stage = SmtpStage::kEnvelope;
    else if (StartsWithCommand(data, size, "DATA")) t->stage = SmtpStage::kData;
    else if (!StartsWithCommand(data, size, "RCPT TO")) command = false;
    if (command) {
      t->last_reply.clear();
      t->partial_reply.clear();
    }
  } else if (type == CURLINFO_HEADER_IN) {
    // libcurl may close another pooled connection (QUIT, 221) in the middle
    // of this transfer and report it through this handle: a 221 is never a
    // reply to our transaction, so it must not replace the real last reply.
    if (size >= 3 && std::strncmp(data, "221", 3) == 0) return 0;
    // One or more reply lines; keep the last complete reply ("NNN " line).
    std::string chunk(data, size);
    size_t start = 0;
    while (start < chunk.size()) {
      size_t end = chunk.find('\n', start);
      if (end == std::string::npos) end = chunk.size();
      std::string line = chunk.substr(start, end - start);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      // A hostile or broken relay cannot make us keep an unbounded reply:
      // RFC 5321 §4.5.3.1.5 allows 512 octets per reply line; we keep up to
      // kMaxReplyLine of each and the first kMaxReplyLines continuation lines.
      if (line.size() > kMaxReplyLine) line.resize(kMaxReplyLine);
      bool final_line = line.size() < 4 || line[3] != '-';
      if (!line.empty() && (final_line || t->partial_reply.size() < kMaxReplyLines)) {
        t->partial_reply.push_back(line);
        if (final_line) {
          t->last_reply = std::move(t->partial_reply);
          t->partial_reply.clear();
        }
      }
      start = end + 1;
    }
  }
  return 0;
}

// Runs after the connection is set up and before the SMTP transaction: the
// moment we know which pooled connection this message uses.
int PrereqCallback(void* userp, char*, char*, int, int local_port) {
  auto* t = static_cast<Transfer*>(userp);
  int cap = t->owner->options.max_messages_per_connection;
  if (cap > 0) {
    int& n = t->owner->messages_on_connection[local_port];
    if (++n >= cap) {
      // This message is the connection's last: curl closes it when done and
      // the next message opens a fresh one.
      curl_easy_setopt(t->easy, CURLOPT_FORBID_REUSE, 1L);
      t->owner->messages_on_connection.erase(local_port);
    }
  }
  return CURL_PREREQFUNC_OK;
}

}  // namespace

void Transfers::Impl::Harvest() {
  int pending = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi, &pending)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* easy = msg->easy_handle;
    CURLcode code = msg->data.result;
    curl_multi_remove_handle(multi, easy);
    auto it = transfers.find(easy);
    if (it == transfers.end()) continue;
    std::unique_ptr<Transfer> t = std::move(it->second);
    transfers.erase(it);
    if (t->is_smtp) FinishSmtp(std::move(t), code);
    else FinishHttp(std::move(t), code);
  }
}

void Transfers::Impl::FinishSmtp(std::unique_ptr<Transfer> t, CURLcode code) {
  SmtpResult r;
  long connects = 0, port = 0;
  curl_easy_getinfo(t->easy, CURLINFO_NUM_CONNECTS, &connects);
  curl_easy_getinfo(t->easy, CURLINFO_LOCAL_PORT, &port);
  r.new_connection = connects > 0;
  r.local_port = port;
  r.reply = std::move(t->last_reply);
  // A transfer that completed went past the final dot whatever the read
  // callback saw (an empty message is never asked for).
  r.stage = t->body_done || code == CURLE_OK ? SmtpStage::kAfterDot : t->stage;
  if (r.stage == SmtpStage::kAfterDot && code == CURLE_OK) {
    r.ok = !r.reply.empty() && r.reply.back()[0] == '2';
  }
  if (r.stage == SmtpStage::kAfterDot && !r.reply.empty() && r.reply.back().rfind("354", 0) == 0) {
    // The last reply is still DATA's 354: no final reply arrived.
    r.reply.clear();
  }
  if (code != CURLE_OK) r.error = t->errbuf[0] ? t->errbuf : curl_easy_strerror(code);
  // A connection that failed or closed must not keep its message count.
  if (code != CURLE_OK) messages_on_connection.erase(port);
  auto done = std::move(t->smtp_done);
  t.reset();
  done(std::move(r));
}

void Transfers::Impl::FinishHttp(std::unique_ptr<Transfer> t, CURLcode code) {
  HttpResult r;
  if (code == CURLE_OK) {
    r.ok = true;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &r.status);
    r.body = std::move(t->response_body);
  } else {
    r.error = t->errbuf[0] ? t->errbuf : curl_easy_strerror(code);
  }
  auto done = std::move(t->http_done);
  t.reset();
  done(std::move(r));
}

Transfers::Transfers(loop::Loop& loop, PoolOptions options) : impl_(std::make_unique<Impl>(loop, options)) {
  EnsureCurlGlobal();
  impl_->multi = curl_multi_init();
  if (!impl_->multi) {
    std::fputs("tayori: fatal: curl_multi_init failed\n", stderr);
    std::abort();
  }
  curl_multi_setopt(impl_->multi, CURLMOPT_SOCKETFUNCTION, SocketCallback);
  curl_multi_setopt(impl_->multi, CURLMOPT_SOCKETDATA, impl_.get());
  curl_multi_setopt(impl_->multi, CURLMOPT_TIMERFUNCTION, TimerCallback);
  curl_multi_setopt(impl_->multi, CURLMOPT_TIMERDATA, impl_.get());
  curl_multi_setopt(impl_->multi, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(options.max_connections));
  curl_multi_setopt(impl_->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, static_cast<long>(options.max_connections));
  // A cache a little larger than the cap, so finished connections are not
  // closed (QUIT) in the middle of other transfers.
  curl_multi_setopt(impl_->multi, CURLMOPT_MAXCONNECTS, static_cast<long>(options.max_connections) * 2);
}

Transfers::~Transfers() {
  // A transfer still running here is abandoned (shutdown past the drain
  // deadline). libcurl would close its connection with QUIT and wait for
  // the reply, blocking, up to the server response timeout; a relay that
  // stopped answering mid-transaction would then hold the process for that
  // long. Shutting the socket down first makes that QUIT fail at once.
  // Every socket libcurl watches through us, pooled idle ones included:
  // which one a running SMTP transfer uses is not reliably reported.
  if (!impl_->transfers.empty())
    for (auto& [fd, watcher] : impl_->sockets) ::shutdown(fd, SHUT_RDWR);
  for (auto& [easy, t] : impl_->transfers) curl_multi_remove_handle(impl_->multi, easy);
  impl_->transfers.clear();
  // Closes pooled connections (sending QUIT); socket callbacks still run.
  curl_multi_cleanup(impl_->multi);
  impl_->sockets.clear();
  impl_->timer.Stop();
}

size_t Transfers::in_flight() const { return impl_->transfers.size(); }

void Transfers::Smtp(SmtpRequest request, std::function<void(SmtpResult)> done) {
  auto t = std::make_unique<Transfer>();
  t->owner = impl_.get();
  t->is_smtp = true;
  t->smtp = std::move(request);
  t->smtp_done = std::move(done);
  CURL* e = curl_easy_init();
  t->easy = e;
  const SmtpRequest& q = t->smtp;
  std::string url = std::string(q.tls == TlsMode::kImplicit ? "smtps://" : "smtp://") + q.host + ":" +
                    std::to_string(q.port) + "/" + q.helo_name;
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_USE_SSL, q.tls == TlsMode::kStartTls ? static_cast<long>(CURLUSESSL_ALL)
                                                                   : static_cast<long>(CURLUSESSL_NONE));
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, q.verify_peer ? 1L : 0L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, q.verify_peer ? 2L : 0L);
  if (!q.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, q.ca_file.c_str());
  if (!q.user.empty()) {
    curl_easy_setopt(e, CURLOPT_USERNAME, q.user.c_str());
    curl_easy_setopt(e, CURLOPT_PASSWORD, q.password.c_str());
  }
  std::string from = "<" + q.mail_from + ">";
  curl_easy_setopt(e, CURLOPT_MAIL_FROM, from.c_str());
  t->rcpts = curl_slist_append(nullptr, ("<" + q.rcpt + ">").c_str());
  curl_easy_setopt(e, CURLOPT_MAIL_RCPT, t->rcpts);
  curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(e, CURLOPT_READFUNCTION, ReadMessage);
  curl_easy_setopt(e, CURLOPT_READDATA, t.get());
  curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(q.message->size()));
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, static_cast<long>(q.connect_timeout.count()));
  curl_easy_setopt(e, CURLOPT_SERVER_RESPONSE_TIMEOUT, static_cast<long>(q.command_timeout.count()));
  // A relay that stops reading mid-message: fewer than 1 byte/s for the command timeout.
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, static_cast<long>(q.command_timeout.count()));
  if (q.fresh_connection) curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
  curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
  curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, DebugCallback);
  curl_easy_setopt(e, CURLOPT_DEBUGDATA, t.get());
  curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, PrereqCallback);
  curl_easy_setopt(e, CURLOPT_PREREQDATA, t.get());
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
  impl_->transfers[e] = std::move(t);
  curl_multi_add_handle(impl_->multi, e);
}

void Transfers::Http(HttpRequest request, std::function<void(HttpResult)> done) {
  auto t = std::make_unique<Transfer>();
  t->owner = impl_.get();
  t->http = std::move(request);
  t->http_done = std::move(done);
  CURL* e = curl_easy_init();
  t->easy = e;
  const HttpRequest& q = t->http;
  curl_easy_setopt(e, CURLOPT_URL, q.url.c_str());
  curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, q.method.c_str());
  if (!q.body.empty() || q.method == "POST" || q.method == "PATCH" || q.method == "PUT") {
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, q.body.c_str());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(q.body.size()));
  }
  for (const auto& h : q.headers) t->headers = curl_slist_append(t->headers, h.c_str());
  if (t->headers) curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
  if (!q.aws_sigv4.empty()) {
    curl_easy_setopt(e, CURLOPT_AWS_SIGV4, q.aws_sigv4.c_str());
    curl_easy_setopt(e, CURLOPT_USERPWD, q.user_password.c_str());
  }
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
  curl_easy_setopt(e, CURLOPT_TIMEOUT, static_cast<long>(q.timeout.count()));
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  impl_->transfers[e] = std::move(t);
  curl_multi_add_handle(impl_->multi, e);
}

std::string CurlVersion() { return curl_version(); }

}  // namespace tayori::net
