// Loading and validating the configuration file. Every key is read through a
// TableReader, so a typo, a wrong type or an out-of-range value becomes a
// message with file, line, column and the dotted key.
#include "config/config.h"

#include <arpa/inet.h>

#include <cstdlib>
#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "config/reader.h"
#include "config/value_checks.h"

namespace tayori::config {
namespace {

void ReadDatabase(TableReader& t, Database& d) {
  t.String("host", &d.host, CheckHostname);
  t.Int("port", &d.port, 1, 65535);
  t.String("socket", &d.socket);
  t.String("user", &d.user, CheckNonEmpty);
  t.String("password_env", &d.password_env, CheckEnvName);
  t.String("name", &d.name, CheckNonEmpty);
  t.Int("connect_timeout_s", &d.connect_timeout_s, 1, 600);
  t.Int("io_timeout_s", &d.io_timeout_s, 1, 3600);
  t.RejectUnknownKeys();
}

void ReadRelay(TableReader& t, Relay& r) {
  t.Require("name");
  t.Require("host");
  t.String("name", &r.name, [](const std::string& v) {
    return v.empty() ? std::string("must not be empty") : CheckColumnText(64)(v);
  });
  t.String("host", &r.host, CheckHostname);
  t.Int("port", &r.port, 1, 65535);
  std::string tls;
  t.String("tls", &tls,
           CheckEnum<TlsMode>({{"none", TlsMode::kNone}, {"starttls", TlsMode::kStartTls},
                               {"implicit", TlsMode::kImplicit}}, &r.tls));
  t.Bool("verify_peer", &r.verify_peer);
  t.String("ca_file", &r.ca_file);
  t.String("user", &r.user);
  t.String("password_env", &r.password_env, CheckEnvName);
  t.Int("weight", &r.weight, 0, 1000);
  t.Int("max_connections", &r.max_connections, 1, 1000);
  t.Int("max_messages_per_connection", &r.max_messages_per_connection, 1, 100000);
  t.Int("connect_timeout_s", &r.connect_timeout_s, 1, 600);
  t.Int("command_timeout_s", &r.command_timeout_s, 1, 3600);
  t.Bool("insecure_plaintext_auth", &r.insecure_plaintext_auth);
  t.Bool("insecure_skip_verify", &r.insecure_skip_verify);
  t.StringList("egress_ips", &r.egress_ips, [](const std::string& v) -> std::string {
    unsigned char buf[16];
    if (inet_pton(AF_INET, v.c_str(), buf) == 1 || inet_pton(AF_INET6, v.c_str(), buf) == 1) return "";
    return "'" + v + "' is not an IPv4 or IPv6 address";
  });
  t.RejectUnknownKeys();
  if (!r.user.empty() && r.password_env.empty())
    t.problems().Add(t.where(), t.KeyPath("password_env"), "required when 'user' is set (AUTH needs a password)");
  if (!r.user.empty() && r.tls == TlsMode::kNone && !r.insecure_plaintext_auth)
    t.problems().Add(t.where(), t.KeyPath("user"),
                     "AUTH with tls = \"none\" sends the password in the clear; use starttls or implicit, or set "
                     "insecure_plaintext_auth = true");
  if (!r.verify_peer && r.tls != TlsMode::kNone && !r.insecure_skip_verify)
    t.problems().Add(t.where(), t.KeyPath("verify_peer"),
                     "false lets anyone on the path read the mail; give ca_file for a private CA, or set "
                     "insecure_skip_verify = true");
}

void ReadGroup(TableReader& t, DomainGroup& g) {
  t.Require("name");
  t.Require("domains");
  t.String("name", &g.name, CheckNonEmpty);
  t.StringList("domains", &g.domains, CheckHostname);
  t.Double("per_second", &g.per_second, 0.001, 1e6);
  t.Double("burst", &g.burst, 1, 1e6);
  t.Int("max_connections", &g.max_connections, 1, 1000);
  t.RejectUnknownKeys();
}

void ReadRateLimits(TableReader& t, RateLimits& r) {
  t.Double("global_per_second", &r.global_per_second, 0.001, 1e6);
  t.Double("global_burst", &r.global_burst, 1, 1e6);
  t.Double("default_per_second", &r.default_per_second, 0.001, 1e6);
  t.Double("default_burst", &r.default_burst, 1, 1e6);
  t.Int("default_max_connections", &r.default_max_connections, 1, 1000);
  t.Int("throttle_initial_pause_s", &r.throttle_initial_pause_s, 1, 86400);
  t.Int("throttle_pause_s", &r.throttle_pause_s, 1, 86400);
  if (r.throttle_initial_pause_s > r.throttle_pause_s)
    t.problems().Add(t.where(), t.KeyPath("throttle_initial_pause_s"),
                     "must not exceed throttle_pause_s (" + std::to_string(r.throttle_pause_s) + ")");
  t.Int("rate_recovery_interval_s", &r.rate_recovery_interval_s, 1, 3600);
  t.Double("rate_recovery_step", &r.rate_recovery_step, 0.01, 1);
  t.Int("destination_idle_s", &r.destination_idle_s, 10, 86400);
  for (auto& gt : t.TableArray("domain_groups")) ReadGroup(gt, r.groups.emplace_back());
  t.RejectUnknownKeys();
}

void ReadRetry(TableReader& t, Retry& r) {
  t.Int("initial_backoff_s", &r.initial_backoff_s, 1, 86400);
  t.Int("max_backoff_s", &r.max_backoff_s, 1, 7 * 86400);
  t.Int("max_age_s", &r.max_age_s, 60, 30 * 86400);
  t.Double("jitter", &r.jitter, 0, 1);
  t.RejectUnknownKeys();
  if (r.max_backoff_s < r.initial_backoff_s)
    t.problems().Add(t.where(), t.KeyPath("max_backoff_s"), "must not be smaller than initial_backoff_s");
}

void ReadEngine(TableReader& t, Engine& e) {
  t.String("instance_name", &e.instance_name, CheckInstanceName);
  t.Int("poll_interval_ms", &e.poll_interval_ms, 10, 600000);
  t.Int("batch_size", &e.batch_size, 1, 100000);
  t.Int("lease_s", &e.lease_s, 5, 86400);
  t.Int("worker_threads", &e.worker_threads, 0, 256);
  t.Int("drain_timeout_s", &e.drain_timeout_s, 1, 3600);
  t.Int("max_campaigns", &e.max_campaigns, 1, 1000000);
  t.Int("expansion_chunk", &e.expansion_chunk, 100, 100000);
  t.Int("claims_per_poll", &e.claims_per_poll, 1, 10000);
  t.Int("lease_campaigns", &e.lease_campaigns, 1, 10000);
  t.Int("flush_batch", &e.flush_batch, 1, 4000);
  // The write-back stages a batch in one MEMORY table (about 3.8 KB a row
  // with its utf8mb4 columns) and one multi-row INSERT: past a few thousand
  // rows the server's default max_heap_table_size (16 MiB) and
  // max_allowed_packet refuse it, and a refused batch would be retried at
  // the same size forever.
  t.Int("write_batch_max", &e.write_batch_max, 1, 4000);
  t.Int("park_horizon_s", &e.park_horizon_s, 1, 3600);
  t.RejectUnknownKeys();
  if (e.write_batch_max < e.flush_batch)
    t.problems().Add(t.where(), t.KeyPath("write_batch_max"), "must not be smaller than flush_batch");
  // Leases are renewed by the housekeeping poll (every 5 polls) once held a
  // third of lease_s; a renewal that cannot come round within that third
  // lets a live engine's leases expire (docs/engine.md, "Leases").
  if (5.0 * e.poll_interval_ms >= e.lease_s * 1000.0 / 3)
    t.problems().Add(t.where(), t.KeyPath("lease_s"),
                     std::to_string(e.lease_s) + " s is too short for poll_interval_ms = " +
                         std::to_string(e.poll_interval_ms) + ": leases are renewed every 5 polls, which must be "
                         "less than a third of lease_s (lease_s > " +
                         std::to_string(15 * e.poll_interval_ms / 1000) + ")");
}

// [[dkim.keks]] + active_kek_id, or the older kek_env + kek_id (one KEK).
void ReadKeks(TableReader& t, Dkim& d) {
  bool legacy = false;
  std::string legacy_env = d.keks.front().secret_env, legacy_id = d.keks.front().id;
  t.String("kek_env", &legacy_env, [&legacy](const std::string& v) {
    legacy = true;
    return v.empty() ? std::string("must not be empty") : CheckEnvName(v);
  });
  t.String("kek_id", &legacy_id, [&legacy](const std::string& v) {
    legacy = true;
    return CheckKekId(v);
  });
  bool active_given = false;
  t.String("active_kek_id", &d.active_kek_id, [&active_given](const std::string& v) {
    active_given = true;
    return CheckKekId(v);
  });
  std::vector<TableReader> list = t.TableArray("keks");
  if (list.empty()) {
    d.keks = {{legacy_id, legacy_env}};
    if (!active_given) d.active_kek_id = legacy_id;
    if (d.active_kek_id != legacy_id)
      t.problems().Add(t.where(), t.KeyPath("active_kek_id"),
                       "'" + d.active_kek_id + "' does not name a KEK (the only one is '" + legacy_id + "')");
    return;
  }
  if (legacy)
    t.problems().Add(t.where(), t.KeyPath("keks"),
                     "give either [[dkim.keks]] with active_kek_id, or the older kek_env / kek_id, not both");
  d.keks.clear();
  std::set<std::string> ids;
  for (auto& kt : list) {
    Kek k;
    kt.Require("id");
    kt.Require("secret_env");
    kt.String("id", &k.id, CheckKekId);
    kt.String("secret_env", &k.secret_env, [](const std::string& v) {
      return v.empty() ? std::string("must not be empty") : CheckEnvName(v);
    });
    kt.RejectUnknownKeys();
    if (!k.id.empty() && !ids.insert(k.id).second)
      kt.problems().Add(kt.where(), kt.KeyPath("id"), "duplicate KEK id '" + k.id + "'");
    d.keks.push_back(k);
  }
  if (!active_given)
    t.problems().Add(t.where(), t.KeyPath("active_kek_id"), "required with [[dkim.keks]]: the KEK new keys are sealed with");
  else if (!ids.contains(d.active_kek_id))
    t.problems().Add(t.where(), t.KeyPath("active_kek_id"), "'" + d.active_kek_id + "' does not name one of dkim.keks");
}

void ReadDkim(TableReader& t, Dkim& d) {
  ReadKeks(t, d);
  // Receivers accept 1024 as a floor, but we never sign with less than 2048.
  t.Int("rsa_bits", &d.rsa_bits, 2048, 8192);
  t.Bool("dual_ed25519", &d.dual_ed25519);
  t.Int("rotation_age_days", &d.rotation_age_days, 1, 3650);
  // At least a day: a retired selector stays published while messages signed
  // with it may still be in queues and be verified.
  t.Int("grace_days", &d.grace_days, 1, 365);
  t.String("platform_zone", &d.platform_zone, CheckHostname);
  t.StringList("selectors", &d.selectors, CheckSelector);
  t.Int("record_ttl_s", &d.record_ttl_s, 1, 86400);
  t.Int("lifecycle_interval_s", &d.lifecycle_interval_s, 10, 86400);
  t.RejectUnknownKeys();
  if (d.selectors.size() != 2 || d.selectors[0] == d.selectors[1])
    t.problems().Add(t.where(), t.KeyPath("selectors"), "must name exactly two different selectors (rotation)");
}

void ReadUnsubscribe(TableReader& t, Unsubscribe& u) {
  t.String("base_url", &u.base_url, CheckUnsubscribeUrl);
  t.String("mailto", &u.mailto, [](const std::string& v) -> std::string {
    if (!v.empty() && (v.find('@') == std::string::npos || v.find_first_of(" <>\r\n") != std::string::npos))
      return "'" + v + "' is not an address";
    return "";
  });
  t.String("active_key_id", &u.active_key_id);
  std::set<std::string> ids;
  for (auto& kt : t.TableArray("keys")) {
    TokenKey k;
    kt.Require("id");
    kt.Require("secret_env");
    kt.String("id", &k.id, [](const std::string& v) -> std::string {
      if (v.empty() || v.size() > 16) return "a key id is 1 to 16 characters";
      for (char c : v)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
          return "'" + v + "' must be letters and digits only";
      return "";
    });
    kt.String("secret_env", &k.secret_env, CheckEnvName);
    kt.RejectUnknownKeys();
    if (!k.id.empty() && !ids.insert(k.id).second)
      kt.problems().Add(kt.where(), kt.KeyPath("id"), "duplicate key id '" + k.id + "'");
    u.keys.push_back(k);
  }
  t.RejectUnknownKeys();
  if (!u.keys.empty() && !ids.contains(u.active_key_id))
    t.problems().Add(t.where(), t.KeyPath("active_key_id"),
                     "'" + u.active_key_id + "' does not name one of unsubscribe.keys");
}

void ReadDns(TableReader& t, Dns& d) {
  std::string provider;
  t.String("provider", &provider,
           CheckEnum<DnsProvider>({{"none", DnsProvider::kNone}, {"powerdns", DnsProvider::kPowerDns},
                                   {"route53", DnsProvider::kRoute53}}, &d.provider));
  t.String("resolver", &d.resolver);
  if (auto p = t.Table("powerdns")) {
    p->String("api_url", &d.powerdns.api_url, CheckHttpUrl);
    p->String("api_key_env", &d.powerdns.api_key_env, CheckEnvName);
    p->String("server_id", &d.powerdns.server_id, CheckNonEmpty);
    p->Bool("insecure_http", &d.powerdns.insecure_http);
    p->RejectUnknownKeys();
    if (d.powerdns.api_url.rfind("http://", 0) == 0 && !IsLoopbackHttp(d.powerdns.api_url) && !d.powerdns.insecure_http)
      p->problems().Add(p->where(), p->KeyPath("api_url"),
                        "'" + d.powerdns.api_url + "' sends the API key in the clear to a non-loopback host; use "
                        "https://, or set insecure_http = true");
  }
  if (auto r = t.Table("route53")) {
    r->String("endpoint", &d.route53.endpoint, CheckHttpUrl);
    r->String("hosted_zone_id", &d.route53.hosted_zone_id);
    r->String("region", &d.route53.region, CheckNonEmpty);
    r->String("access_key_id_env", &d.route53.access_key_id_env, CheckEnvName);
    r->String("secret_access_key_env", &d.route53.secret_access_key_env, CheckEnvName);
    r->Bool("insecure_http", &d.route53.insecure_http);
    r->RejectUnknownKeys();
    if (d.route53.endpoint.rfind("http://", 0) == 0 && !IsLoopbackHttp(d.route53.endpoint) && !d.route53.insecure_http)
      r->problems().Add(r->where(), r->KeyPath("endpoint"),
                        "'" + d.route53.endpoint + "' is plain http to a non-loopback host; use https://, or set "
                        "insecure_http = true");
  }
  t.RejectUnknownKeys();
  if (d.provider == DnsProvider::kRoute53 && d.route53.hosted_zone_id.empty())
    t.problems().Add(t.where(), t.KeyPath("route53.hosted_zone_id"), "required when provider = \"route53\"");
}

void ReadHttp(TableReader& t, Http& h) {
  t.String("listen_address", &h.listen_address, CheckHostname);
  t.Int("port", &h.port, 0, 65535);
  t.Int("max_body_bytes", &h.max_body_bytes, 64, 1 << 20);
  t.Int("request_timeout_s", &h.request_timeout_s, 1, 600);
  t.Int("request_deadline_s", &h.request_deadline_s, 1, 3600);
  t.Int("max_connections", &h.max_connections, 1, 100000);
  t.Int("max_connections_per_ip", &h.max_connections_per_ip, 0, 100000);
  t.RejectUnknownKeys();
  if (h.request_deadline_s < h.request_timeout_s)
    t.problems().Add(t.where(), t.KeyPath("request_deadline_s"),
                     "must not be smaller than request_timeout_s (the idle limit within it)");
}

void ReadAdmin(TableReader& t, Admin& a) {
  t.String("listen_address", &a.listen_address, CheckHostname);
  t.Int("port", &a.port, 0, 65535);
  t.Int("shop_series", &a.shop_series, 0, 1000);
  t.RejectUnknownKeys();
}

// The largest message the listener may take: the feedback parser refuses
// anything larger unread (feedback/limits.h kMaxMessageBytes), so a larger
// setting would only store messages nothing can read.
constexpr int kMaxInboundMessageBytes = 10 * 1024 * 1024;

void ReadInbound(TableReader& t, Inbound& in) {
  t.String("listen_address", &in.listen_address, CheckHostname);
  t.Int("port", &in.port, 0, 65535);
  std::string protocol;
  t.String("protocol", &protocol,
           CheckEnum<InboundProtocol>({{"smtp", InboundProtocol::kSmtp}, {"lmtp", InboundProtocol::kLmtp}},
                                      &in.protocol));
  t.String("hostname", &in.hostname, CheckHostname);
  t.Int("max_message_bytes", &in.max_message_bytes, 1024, kMaxInboundMessageBytes);
  t.Int("max_connections", &in.max_connections, 1, 100000);
  t.Int("command_timeout_s", &in.command_timeout_s, 1, 3600);
  t.Int("session_deadline_s", &in.session_deadline_s, 1, 86400);
  t.StringList("bounce_domains", &in.bounce_domains, CheckHostname);
  t.StringList("complaint_addresses", &in.complaint_addresses, CheckMailbox);
  t.Int("retain_days", &in.retain_days, 1, 3650);
  t.Bool("start_in_run", &in.start_in_run);
  t.Int("database_connections", &in.database_connections, 1, 64);
  t.RejectUnknownKeys();
  if (in.session_deadline_s < in.command_timeout_s)
    t.problems().Add(t.where(), t.KeyPath("session_deadline_s"),
                     "must not be smaller than command_timeout_s (the per-command limit within it)");
}

void ReadLogging(TableReader& t, Logging& l) {
  t.String("level", &l.level, [](const std::string& v) -> std::string {
    return (v == "debug" || v == "info" || v == "warn" || v == "error")
               ? ""
               : "'" + v + "' is not one of: debug, info, warn, error";
  });
  t.String("format", &l.format, [](const std::string& v) -> std::string {
    return (v == "text" || v == "json") ? "" : "'" + v + "' is not one of: text, json";
  });
  t.String("priority_prefix", &l.priority_prefix, [](const std::string& v) -> std::string {
    return (v == "auto" || v == "on" || v == "off") ? "" : "'" + v + "' is not one of: auto, on, off";
  });
  t.RejectUnknownKeys();
}

}  // namespace

Result<Config> ParseConfig(std::string_view toml_text, std::string_view source_name) {
  Problems problems{std::string(source_name)};
  toml::table root;
#if TOML_EXCEPTIONS
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    problems.Add(e.source(), "syntax", std::string(e.description()));
    return ConfigError(problems.Joined());
  }
#else
  toml::parse_result parsed = toml::parse(toml_text, source_name);
  if (!parsed) {
    problems.Add(parsed.error().source(), "syntax", std::string(parsed.error().description()));
    return ConfigError(problems.Joined());
  }
  root = std::move(parsed).table();
#endif

  Config c;
  c.source = std::string(source_name);
  TableReader top(root, "", problems);
  if (auto t = top.Table("database")) ReadDatabase(*t, c.database);
  for (auto& rt : top.TableArray("relays")) ReadRelay(rt, c.relays.emplace_back());
  if (auto t = top.Table("envelope")) {
    t->String("return_path", &c.envelope.return_path, CheckReturnPath);
    t->String("helo_name", &c.envelope.helo_name, CheckHostname);
    t->String("mac_key_env", &c.envelope.mac_key_env, CheckEnvName);
    t->RejectUnknownKeys();
  }
  if (auto t = top.Table("rate_limits")) ReadRateLimits(*t, c.rate_limits);
  if (auto t = top.Table("retry")) ReadRetry(*t, c.retry);
  if (auto t = top.Table("engine")) ReadEngine(*t, c.engine);
  if (auto t = top.Table("dkim")) ReadDkim(*t, c.dkim);
  if (auto t = top.Table("unsubscribe")) ReadUnsubscribe(*t, c.unsubscribe);
  if (auto t = top.Table("dns")) ReadDns(*t, c.dns);
  if (auto t = top.Table("http")) ReadHttp(*t, c.http);
  if (auto t = top.Table("admin")) ReadAdmin(*t, c.admin);
  if (auto t = top.Table("inbound")) ReadInbound(*t, c.inbound);
  if (auto t = top.Table("feedback")) {
    t->Double("max_complaint_rate", &c.feedback.max_complaint_rate, 0, 1);
    t->Double("max_hard_bounce_rate", &c.feedback.max_hard_bounce_rate, 0, 1);
    t->Int("min_volume", &c.feedback.min_volume, 1, 100000000);
    t->Int("soft_bounce_limit", &c.feedback.soft_bounce_limit, 1, 1000);
    t->Int("soft_bounce_window_days", &c.feedback.soft_bounce_window_days, 1, 365);
    t->RejectUnknownKeys();
  }
  if (auto t = top.Table("readiness")) {
    t->Int("interval_s", &c.readiness.interval_s, 0, 30 * 86400);
    if (c.readiness.interval_s > 0 && c.readiness.interval_s < 10)
      problems.Add(t->where(), "readiness.interval_s", "must be 0 (off) or at least 10 seconds");
    t->StringList("mandatory", &c.readiness.mandatory, [](const std::string& v) -> std::string {
      const auto& names = ReadinessCheckNames();
      if (std::find(names.begin(), names.end(), v) != names.end()) return "";
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
      return "unknown check '" + v + "' (known: " + known + ")";
    });
    t->Int("dns_cache_max_s", &c.readiness.dns_cache_max_s, 0, 86400);
    t->StringList("bounce_mx_hosts", &c.readiness.bounce_mx_hosts, CheckHostname);
    t->RejectUnknownKeys();
  }
  if (auto t = top.Table("logging")) ReadLogging(*t, c.logging);
  top.RejectUnknownKeys();

  // Cross-section rules.
  if (c.admin.port != 0 && c.admin.port == c.http.port && c.admin.listen_address == c.http.listen_address)
    problems.Add(root.source(), "admin.port",
                 "must differ from http.port: /metrics and /readyz are kept off the public listener");
  if (c.envelope.return_path.find("{mac}") != std::string::npos && c.envelope.mac_key_env.empty())
    problems.Add(root.source(), "envelope.mac_key_env", "required when envelope.return_path uses {mac}");
  // [inbound] defaults that follow [envelope].
  if (c.inbound.hostname.empty()) c.inbound.hostname = c.envelope.helo_name;
  if (c.inbound.bounce_domains.empty()) {
    auto at = c.envelope.return_path.rfind('@');
    if (at != std::string::npos) c.inbound.bounce_domains = {c.envelope.return_path.substr(at + 1)};
  }
  std::set<std::string> relay_names;
  for (const auto& r : c.relays)
    if (!r.name.empty() && !relay_names.insert(r.name).second)
      problems.Add(root.source(), "relays", "duplicate relay name '" + r.name + "'");

  if (!problems.empty()) return ConfigError(problems.Joined());
  return c;
}

const std::vector<std::string>& ReadinessCheckNames() {
  static const std::vector<std::string> kNames = {"from_domain", "dkim_key", "dkim_cname", "dmarc_record",
                                                  "dkim_alignment", "spf_alignment", "spf", "spf_lookups",
                                                  "reverse_dns", "bounce_mx", "relay_tls", "unsubscribe"};
  return kNames;
}

Result<Config> LoadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return ConfigError(path + ": cannot open configuration file");
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseConfig(ss.str(), path);
}

Result<std::string> ResolveSecret(const std::string& env_name, std::string_view key) {
  if (env_name.empty()) return std::string();
  const char* v = std::getenv(env_name.c_str());
  if (!v) return ConfigError("environment variable " + env_name + " (named by " + std::string(key) + ") is not set");
  return std::string(v);
}

std::string_view InboundProtocolName(InboundProtocol p) {
  return p == InboundProtocol::kLmtp ? "lmtp" : "smtp";
}

std::string_view DnsProviderName(DnsProvider p) {
  switch (p) {
    case DnsProvider::kNone: return "none";
    case DnsProvider::kPowerDns: return "powerdns";
    case DnsProvider::kRoute53: return "route53";
  }
  return "?";
}

}  // namespace tayori::config
