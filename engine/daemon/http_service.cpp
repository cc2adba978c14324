#include "daemon/http_service.h"

#include <array>
#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/log.h"
#include "base/metrics.h"
#include "base/version.h"
#include "http/form.h"
#include "http/language.h"
#include "http/path.h"
#include "http/server.h"
#include "render/template.h"
#include "unsubscribe/token.h"

namespace tayori::daemon {

// The confirmation pages (templates/unsubscribe/confirm.{ja,en}.html),
// embedded at build time so the binary needs no files at run time.
extern const std::string_view kConfirmPageJa;
extern const std::string_view kConfirmPageEn;

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::array<std::string_view, 2> kLanguages = {"ja", "en"};
// Tayori's shops are Japanese; a client that states no preference gets Japanese.
constexpr std::string_view kDefaultLanguage = "ja";
constexpr size_t kMaxBatch = 256;

// Slots of the confirmation page templates.
enum PageSlot : uint32_t { kShopName = 0, kListName = 1, kScopeShop = 2 };

struct Counters {
  uint64_t suppressed_one_click = 0, suppressed_confirm_page = 0;
  uint64_t repeats = 0;
  uint64_t pages = 0;
  uint64_t rejected_malformed = 0, rejected_unknown_key = 0, rejected_bad_mac = 0, rejected_unknown_subscriber = 0;
  uint64_t db_timeouts = 0, db_failures = 0;
};

void AddCommonHeaders(http::Response& r) {
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
}

http::Response Plain(int status, std::string body) {
  http::Response r = http::Response::Text(status, std::move(body));
  AddCommonHeaders(r);
  return r;
}

http::Response MethodNotAllowed(std::string_view allow) {
  http::Response r = Plain(405, "method not allowed\n");
  r.headers.emplace_back("Allow", std::string(allow));
  return r;
}

http::Response Html(int status, std::string_view lang, std::string body) {
  http::Response r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = std::move(body);
  AddCommonHeaders(r);
  r.headers.emplace_back("Content-Language", std::string(lang));
  r.headers.emplace_back("Vary", "Accept-Language");
  // The page needs its inline style and a form posting to itself, nothing else.
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                         "frame-ancestors 'none'; base-uri 'none'");
  return r;
}

std::string ShortPage(std::string_view lang, std::string_view ja, std::string_view en) {
  std::string_view text = lang == "ja" ? ja : en;
  std::string out = "<!DOCTYPE html>\n<html lang=\"" + std::string(lang) +
                    "\"><head><meta charset=\"utf-8\"><meta name=\"robots\" content=\"noindex\">"
                    "<title>Tayori</title></head><body><p>";
  out += text;
  out += "</p></body></html>\n";
  return out;
}

}  // namespace

struct HttpService::Impl : std::enable_shared_from_this<HttpService::Impl> {
  Impl(loop::Loop& l, const config::Config& c, store::DbWorker& d, HttpCallbacks cb)
      : loop(l), config(&c), db(d), callbacks(std::move(cb)), sweep(l) {}

  // One request waiting for the database.
  struct Waiting {
    http::Reply reply;
    unsubscribe::TokenFields token;
    bool suppress = false;    // POST: write; GET: show the page
    std::string source;       // one-click | confirm-page
    std::string lang;
    Clock::time_point deadline;
  };
  // What the database said about one request.
  struct Outcome {
    bool found = false;
    std::string shop_name, list_name, email;
    bool added = false;
    std::string error;  // a permanent failure of this one request
  };
  struct Work {
    uint64_t id;
    unsubscribe::TokenFields token;
    bool suppress;
    std::string source;
  };

  loop::Loop& loop;
  const config::Config* config;  // the one in force (Reconfigure replaces it)
  store::DbWorker& db;
  HttpCallbacks callbacks;
  unsubscribe::KeySet keys;
  std::optional<render::CompiledTemplate> page_ja, page_en;
  std::unique_ptr<http::Server> server, admin_server;
  loop::Timer sweep;
  std::unordered_map<uint64_t, Waiting> waiting;
  std::deque<uint64_t> queue;  // ids not yet handed to the database
  bool in_flight = false;
  uint64_t next_id = 1;
  Counters counters;

  // The unsubscribe keys of `cfg`, or why not.
  static Result<unsubscribe::KeySet> ReadKeys(const config::Config& cfg) {
    unsubscribe::KeySet keys;
    for (const auto& k : cfg.unsubscribe.keys) {
      std::string key_name = "unsubscribe.keys[" + k.id + "].secret_env";
      TAYORI_ASSIGN_OR_RETURN(std::string secret, config::ResolveSecret(k.secret_env, key_name));
      auto key = unsubscribe::SigningKey::FromBase64(k.id, secret);
      if (!key.ok()) return ConfigError(key_name + ": " + key.status().message());
      TAYORI_RETURN_IF_ERROR(keys.Add(std::move(key).value()));
    }
    if (keys.empty()) return ConfigError("unsubscribe.keys: no key configured; the endpoint could verify no token");
    return keys;
  }

  Status CompilePages() {
    render::TemplateVariables vars;
    vars.AddSlot("shop.name", kShopName);
    vars.AddSlot("list.name", kListName);
    vars.AddSlot("scope_shop", kScopeShop);
    TAYORI_ASSIGN_OR_RETURN(page_ja, render::CompiledTemplate::Compile({"confirm.ja.html", std::string(kConfirmPageJa)},
                                                                       vars, render::Escaping::kHtml));
    TAYORI_ASSIGN_OR_RETURN(page_en, render::CompiledTemplate::Compile({"confirm.en.html", std::string(kConfirmPageEn)},
                                                                       vars, render::Escaping::kHtml));
    return Status::Ok();
  }

  // The operators' listener: health and metrics, nothing a subscriber uses.
  void HandleAdmin(http::Request req, http::Reply reply) {
    const bool read = req.method == "GET" || req.method == "HEAD";
    if (req.path == "/healthz") {
      if (!read) return reply.Send(MethodNotAllowed("GET, HEAD"));
      return reply.Send(Plain(200, "ok\n"));
    }
    if (req.path == "/readyz") {
      if (!read) return reply.Send(MethodNotAllowed("GET, HEAD"));
      std::string why = db.healthy() ? "" : "database unreachable";
      if (why.empty() && callbacks.not_ready) why = callbacks.not_ready();
      return reply.Send(why.empty() ? Plain(200, "ready\n") : Plain(503, "not ready: " + why + "\n"));
    }
    if (req.path == "/metrics") {
      if (!read) return reply.Send(MethodNotAllowed("GET, HEAD"));
      http::Response r = Plain(200, MetricsText());
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      return reply.Send(std::move(r));
    }
    return reply.Send(Plain(404, "not found\n"));
  }

  void Handle(http::Request req, http::Reply reply) {
    const bool read = req.method == "GET" || req.method == "HEAD";
    std::string_view token = http::PathParameter(req.path, "/u/");
    if (token.empty()) return reply.Send(Plain(404, "not found\n"));
    if (!read && req.method != "POST") return reply.Send(MethodNotAllowed("GET, HEAD, POST"));

    std::string lang(http::ChooseLanguage(req.header("accept-language"), kLanguages, kDefaultLanguage));
    unsubscribe::TokenError why = unsubscribe::TokenError::kNone;
    auto fields = unsubscribe::Verify(token, keys, &why);
    if (!fields.ok()) {
      // Nothing about a bad token reaches the database. Malformed is the
      // client's mistake (400); a token we cannot vouch for is "no such link".
      int status = 404;
      if (why == unsubscribe::TokenError::kMalformed) {
        ++counters.rejected_malformed;
        status = 400;
      } else if (why == unsubscribe::TokenError::kUnknownKeyId) {
        ++counters.rejected_unknown_key;
      } else {
        ++counters.rejected_bad_mac;
      }
      log::Debug("unsubscribe", "refused a token", {{"reason", fields.status().message()}});
      return reply.Send(Html(status, lang,
                             ShortPage(lang, "この配信停止リンクは無効です。", "This unsubscribe link is not valid.")));
    }

    Waiting w{std::move(reply), *fields, false, "", lang, {}};
    if (req.method == "POST") {
      http::FormError form_error = http::FormError::kNone;
      auto form = http::ParseForm(req.header("content-type"), req.body, &form_error);
      if (!form.ok()) {
        if (form_error == http::FormError::kUnsupportedMediaType)
          return w.reply.Send(Plain(415, "unsupported media type: send application/x-www-form-urlencoded "
                                         "or multipart/form-data\n"));
        return w.reply.Send(Plain(400, "bad request: " + form.status().message() + "\n"));
      }
      if (!http::IsOneClickUnsubscribe(*form))
        return w.reply.Send(Plain(400, "bad request: the body must be List-Unsubscribe=One-Click\n"));
      w.suppress = true;
      // The confirmation page's button sends the same body as a mail
      // client's one-click POST; a browser marks its form submission as a
      // navigation (Fetch Metadata), a mail provider's server does not.
      bool from_page = req.header("sec-fetch-mode") == "navigate" || req.header("sec-fetch-dest") == "document";
      w.source = from_page ? "confirm-page" : "one-click";
    }
    // Shop 0 exists nowhere: a token for it is `tayori domain check` probing
    // the endpoint (daemon/domain_facts.h). Answered like a real request,
    // without touching the database.
    if (w.token.tenant_id == 0)
      return w.reply.Send(Plain(200, w.suppress ? "one-click unsubscribe endpoint: ok (probe, nothing written)\n"
                                                : "unsubscribe endpoint: ok (probe)\n"));
    if (waiting.size() >= static_cast<size_t>(config->http.max_connections)) {
      http::Response busy = Plain(503, "busy, try again\n");
      busy.headers.emplace_back("Retry-After", "5");
      return w.reply.Send(std::move(busy));
    }
    w.deadline = Clock::now() + std::chrono::seconds(config->http.request_timeout_s);
    uint64_t id = next_id++;
    waiting.emplace(id, std::move(w));
    queue.push_back(id);
    if (!sweep.active())
      sweep.Start(std::chrono::milliseconds(500), [this] { Sweep(); }, std::chrono::milliseconds(500));
    SubmitBatch();
  }

  // One database job at a time, carrying every request queued meanwhile: under
  // load the job's round trips are shared, and the DbWorker's queue (shared
  // with the engine) never holds more than one of ours.
  void SubmitBatch() {
    if (in_flight) return;
    auto works = std::make_shared<std::vector<Work>>();
    while (!queue.empty() && works->size() < kMaxBatch) {
      uint64_t id = queue.front();
      queue.pop_front();
      auto it = waiting.find(id);
      if (it == waiting.end()) continue;  // timed out meanwhile
      works->push_back({id, it->second.token, it->second.suppress, it->second.source});
    }
    if (works->empty()) return;
    in_flight = true;
    auto outcomes = std::make_shared<std::vector<Outcome>>();
    std::weak_ptr<Impl> self = weak_from_this();
    db.Submit([works, outcomes](store::Connection& conn) { return RunBatch(conn, *works, *outcomes); },
              [self, works, outcomes](Status st) {
                if (auto impl = self.lock()) impl->Finish(st, *works, *outcomes);
              });
  }

  // On the DbWorker thread. A transient failure makes the worker run the whole
  // batch again; every step is idempotent (AddSuppression is INSERT IGNORE).
  static Status RunBatch(store::Connection& conn, const std::vector<Work>& works, std::vector<Outcome>& outcomes) {
    outcomes.assign(works.size(), Outcome{});
    for (size_t i = 0; i < works.size(); ++i) {
      const Work& w = works[i];
      Outcome& o = outcomes[i];
      // The subscriber must belong to the token's shop, and for a list token
      // the list too: a suppression at shop A never lands at shop B.
      auto target = store::FindUnsubscribeTarget(conn, w.token.tenant_id, w.token.subscriber_id, w.token.list_id);
      if (!target.ok()) {
        if (target.status().transient()) return target.status();
        o.error = target.status().message();
        continue;
      }
      if (!target->shop_found) continue;
      bool shop_scope = w.token.scope == unsubscribe::Scope::kShop;
      if (!target->email || (!shop_scope && !target->list_name)) continue;
      o.found = true;
      o.shop_name = target->shop_name;
      o.email = *target->email;
      o.list_name = target->list_name.value_or("");
      if (!w.suppress) continue;
      store::SuppressionRow row;
      row.tenant_id = w.token.tenant_id;
      row.email = o.email;
      row.list_id = shop_scope ? 0 : w.token.list_id;
      row.reason = "unsubscribe";
      row.source = w.source;
      row.campaign_id = w.token.campaign_id;
      auto added = store::AddSuppression(conn, row, "http");
      if (!added.ok()) {
        if (added.status().transient()) return added.status();
        o.error = added.status().message();
        continue;
      }
      o.added = *added;
    }
    return Status::Ok();
  }

  void Finish(const Status& st, const std::vector<Work>& works, const std::vector<Outcome>& outcomes) {
    in_flight = false;
    for (size_t i = 0; i < works.size(); ++i) {
      auto it = waiting.find(works[i].id);
      if (it == waiting.end()) continue;  // already answered 503 by the sweep
      Waiting w = std::move(it->second);
      waiting.erase(it);
      if (!st.ok() || i >= outcomes.size()) {
        ++counters.db_failures;
        w.reply.Send(Unavailable());
        continue;
      }
      Answer(w, works[i], outcomes[i]);
    }
    if (!st.ok()) log::Warn("unsubscribe", "database job failed", {{"reason", st.message()}});
    SubmitBatch();
  }

  void Answer(Waiting& w, const Work& work, const Outcome& o) {
    if (!o.error.empty()) {
      ++counters.db_failures;
      log::Error("unsubscribe", "cannot write suppression", {{"reason", o.error}});
      return w.reply.Send(Plain(500, "internal error\n"));
    }
    if (!o.found) {
      ++counters.rejected_unknown_subscriber;
      return w.reply.Send(Html(404, w.lang, ShortPage(w.lang, "この配信停止リンクは無効です。",
                                                      "This unsubscribe link is not valid.")));
    }
    if (!w.suppress) {
      ++counters.pages;
      std::array<std::string_view, 3> slots{o.shop_name, o.list_name,
                                            work.token.scope == unsubscribe::Scope::kShop ? "1" : ""};
      std::string page;
      (w.lang == "ja" ? *page_ja : *page_en).Render(slots, page);
      return w.reply.Send(Html(200, w.lang, std::move(page)));
    }
    if (o.added) {
      (work.source == "one-click" ? counters.suppressed_one_click : counters.suppressed_confirm_page)++;
      std::string list = work.token.scope == unsubscribe::Scope::kShop ? "0" : std::to_string(work.token.list_id);
      log::Info("unsubscribe", "suppressed",
                {{"tenant", std::to_string(work.token.tenant_id)}, {"list", list}, {"source", work.source}});
      if (callbacks.on_suppressed) {
        store::SuppressionRow row;
        row.tenant_id = work.token.tenant_id;
        row.email = o.email;
        row.list_id = work.token.scope == unsubscribe::Scope::kShop ? 0 : work.token.list_id;
        row.reason = "unsubscribe";
        row.source = work.source;
        row.campaign_id = work.token.campaign_id;
        callbacks.on_suppressed(row);
      }
    } else {
      ++counters.repeats;
    }
    w.reply.Send(Html(200, w.lang, ShortPage(w.lang, "配信を停止しました。", "You have been unsubscribed.")));
  }

  static http::Response Unavailable() {
    http::Response r = Plain(503, "temporarily unavailable, try again\n");
    r.headers.emplace_back("Retry-After", "30");
    return r;
  }

  // Answers requests the database has not answered in time. Their job may
  // still complete later; it is idempotent, and the retry will find it done.
  void Sweep() {
    auto now = Clock::now();
    for (auto it = waiting.begin(); it != waiting.end();) {
      if (it->second.deadline <= now) {
        ++counters.db_timeouts;
        it->second.reply.Send(Unavailable());
        it = waiting.erase(it);
      } else {
        ++it;
      }
    }
    if (waiting.empty()) sweep.Stop();
  }

  std::string MetricsText() const {
    metrics::Writer w;
    auto n = [](uint64_t v) { return static_cast<double>(v); };
    w.Family("tayori_build_info", "gauge", "Always 1; the labels say which build answers.");
    w.Sample("tayori_build_info", {{"version", Version()}, {"build_type", BuildType()}}, 1);
    const http::ServerStats& s = server->stats();
    w.Family("tayori_http_responses_total", "counter", "HTTP responses of the unsubscribe listener by status code.");
    for (size_t code = 100; code < s.responses_by_status.size(); ++code)
      if (s.responses_by_status[code])
        w.Sample("tayori_http_responses_total", {{"code", std::to_string(code)}}, n(s.responses_by_status[code]));
    w.Family("tayori_http_connections_open", "gauge", "Open HTTP connections.");
    w.Sample("tayori_http_connections_open", n(s.connections_open));
    w.Family("tayori_http_connections_total", "counter", "HTTP connections accepted.");
    w.Sample("tayori_http_connections_total", n(s.connections_total));
    w.Family("tayori_http_connections_refused_total", "counter",
             "Connections closed at once: http.max_connections reached.");
    w.Sample("tayori_http_connections_refused_total", n(s.connections_refused));
    w.Family("tayori_http_connections_refused_per_ip_total", "counter",
             "Connections closed at once: http.max_connections_per_ip reached for the client's address.");
    w.Sample("tayori_http_connections_refused_per_ip_total", n(s.connections_refused_per_ip));
    w.Family("tayori_http_requests_past_deadline_total", "counter",
             "Requests cut (or answered 503) at http.request_deadline_s.");
    w.Sample("tayori_http_requests_past_deadline_total", n(s.requests_past_deadline));
    w.Family("tayori_unsubscribes_total", "counter", "New suppressions written by the unsubscribe endpoint.");
    w.Sample("tayori_unsubscribes_total", {{"source", "one-click"}}, n(counters.suppressed_one_click));
    w.Sample("tayori_unsubscribes_total", {{"source", "confirm-page"}}, n(counters.suppressed_confirm_page));
    w.Family("tayori_unsubscribe_repeats_total", "counter", "Unsubscribe POSTs for an address already suppressed.");
    w.Sample("tayori_unsubscribe_repeats_total", n(counters.repeats));
    w.Family("tayori_unsubscribe_pages_total", "counter", "Confirmation pages shown.");
    w.Sample("tayori_unsubscribe_pages_total", n(counters.pages));
    w.Family("tayori_unsubscribe_rejected_total", "counter", "Unsubscribe requests refused, by reason.");
    w.Sample("tayori_unsubscribe_rejected_total", {{"reason", "malformed"}}, n(counters.rejected_malformed));
    w.Sample("tayori_unsubscribe_rejected_total", {{"reason", "unknown_key"}}, n(counters.rejected_unknown_key));
    w.Sample("tayori_unsubscribe_rejected_total", {{"reason", "bad_mac"}}, n(counters.rejected_bad_mac));
    w.Sample("tayori_unsubscribe_rejected_total", {{"reason", "unknown_subscriber"}},
             n(counters.rejected_unknown_subscriber));
    w.Family("tayori_unsubscribe_db_errors_total", "counter", "Unsubscribe requests answered 5xx because of the database.");
    w.Sample("tayori_unsubscribe_db_errors_total", {{"kind", "timeout"}}, n(counters.db_timeouts));
    w.Sample("tayori_unsubscribe_db_errors_total", {{"kind", "failure"}}, n(counters.db_failures));
    w.Family("tayori_unsubscribe_waiting", "gauge", "Unsubscribe requests waiting for the database.");
    w.Sample("tayori_unsubscribe_waiting", n(waiting.size()));
    if (callbacks.metrics_text) w.Append(callbacks.metrics_text());
    return w.Take();
  }
};

HttpService::HttpService(loop::Loop& loop, const config::Config& config, store::DbWorker& db, HttpCallbacks callbacks)
    : impl_(std::make_shared<Impl>(loop, config, db, std::move(callbacks))) {}

HttpService::~HttpService() {
  // Requests still waiting get 503 now; the server then closes.
  for (auto& [id, w] : impl_->waiting) w.reply.Send(Impl::Unavailable());
  impl_->waiting.clear();
  impl_->server.reset();
  impl_->admin_server.reset();
}

Status HttpService::Start() {
  TAYORI_ASSIGN_OR_RETURN(impl_->keys, Impl::ReadKeys(*impl_->config));
  TAYORI_RETURN_IF_ERROR(impl_->CompilePages());
  http::ServerOptions o;
  o.listen_address = impl_->config->http.listen_address;
  o.port = impl_->config->http.port;
  o.max_body_bytes = static_cast<size_t>(impl_->config->http.max_body_bytes);
  o.request_timeout_s = impl_->config->http.request_timeout_s;
  o.request_deadline_s = impl_->config->http.request_deadline_s;
  o.max_connections = impl_->config->http.max_connections;
  o.max_connections_per_ip = impl_->config->http.max_connections_per_ip;
  Impl* impl = impl_.get();
  impl_->server = std::make_unique<http::Server>(
      impl_->loop, o, [impl](http::Request req, http::Reply reply) { impl->Handle(std::move(req), std::move(reply)); });
  TAYORI_RETURN_IF_ERROR(impl_->server->Start().WithContext("http.port"));
  log::Info("http", "listening", {{"address", o.listen_address}, {"port", std::to_string(impl_->server->port())}});

  // The admin listener: a handful of scrapers and probes, never a crowd.
  http::ServerOptions a = o;
  a.listen_address = impl_->config->admin.listen_address;
  a.port = impl_->config->admin.port;
  a.max_connections = 64;
  a.max_connections_per_ip = 0;
  impl_->admin_server = std::make_unique<http::Server>(impl_->loop, a, [impl](http::Request req, http::Reply reply) {
    impl->HandleAdmin(std::move(req), std::move(reply));
  });
  TAYORI_RETURN_IF_ERROR(impl_->admin_server->Start().WithContext("admin.port"));
  log::Info("http", "admin listening",
            {{"address", a.listen_address}, {"port", std::to_string(impl_->admin_server->port())}});
  return Status::Ok();
}

Status HttpService::Reconfigure(const config::Config& next) {
  TAYORI_ASSIGN_OR_RETURN(unsubscribe::KeySet keys, Impl::ReadKeys(next));
  impl_->keys = std::move(keys);
  impl_->config = &next;
  return Status::Ok();
}

int HttpService::port() const { return impl_->server ? impl_->server->port() : 0; }
int HttpService::admin_port() const { return impl_->admin_server ? impl_->admin_server->port() : 0; }

}  // namespace tayori::daemon
