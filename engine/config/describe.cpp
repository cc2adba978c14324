// `tayori config check` output: the effective configuration, defaults filled
// in, as TOML. A Config never holds a secret; for each *_env key we only say
// whether the variable is set, never its value.
#include <cstdlib>
#include <sstream>

#include "base/log.h"
#include "config/config.h"

namespace tayori::config {
namespace {

class Emitter {
 public:
  void Section(const std::string& name) { out_ << "\n[" << name << "]\n"; }
  void ArraySection(const std::string& name) { out_ << "\n[[" << name << "]]\n"; }
  void Str(const char* k, const std::string& v) { out_ << k << " = \"" << log::JsonEscape(v) << "\"\n"; }
  void Int(const char* k, long v) { out_ << k << " = " << v << "\n"; }
  void Num(const char* k, double v) { out_ << k << " = " << v << "\n"; }
  void Bool(const char* k, bool v) { out_ << k << " = " << (v ? "true" : "false") << "\n"; }
  void List(const char* k, const std::vector<std::string>& v) {
    out_ << k << " = [";
    for (size_t i = 0; i < v.size(); ++i) out_ << (i ? ", " : "") << '"' << log::JsonEscape(v[i]) << '"';
    out_ << "]\n";
  }
  void Env(const char* k, const std::string& env) {
    out_ << k << " = \"" << env << "\"";
    if (!env.empty()) out_ << (std::getenv(env.c_str()) ? "  # set (value redacted)" : "  # NOT SET");
    out_ << "\n";
  }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

}  // namespace

std::string Describe(const Config& c) {
  Emitter e;
  e.Section("database");
  e.Str("host", c.database.host);
  e.Int("port", c.database.port);
  e.Str("socket", c.database.socket);
  e.Str("user", c.database.user);
  e.Env("password_env", c.database.password_env);
  e.Str("name", c.database.name);
  e.Int("connect_timeout_s", c.database.connect_timeout_s);
  e.Int("io_timeout_s", c.database.io_timeout_s);
  for (const auto& r : c.relays) {
    e.ArraySection("relays");
    e.Str("name", r.name);
    e.Str("host", r.host);
    e.Int("port", r.port);
    e.Str("tls", std::string(TlsModeName(r.tls)));
    e.Bool("verify_peer", r.verify_peer);
    e.Str("ca_file", r.ca_file);
    e.Str("user", r.user);
    e.Env("password_env", r.password_env);
    e.Int("weight", r.weight);
    e.Int("max_connections", r.max_connections);
    e.Int("max_messages_per_connection", r.max_messages_per_connection);
    e.Int("connect_timeout_s", r.connect_timeout_s);
    e.Int("command_timeout_s", r.command_timeout_s);
    e.Bool("insecure_plaintext_auth", r.insecure_plaintext_auth);
    e.Bool("insecure_skip_verify", r.insecure_skip_verify);
    e.List("egress_ips", r.egress_ips);
  }
  e.Section("envelope");
  e.Str("return_path", c.envelope.return_path);
  e.Str("helo_name", c.envelope.helo_name);
  e.Env("mac_key_env", c.envelope.mac_key_env);
  e.Section("rate_limits");
  e.Num("global_per_second", c.rate_limits.global_per_second);
  e.Num("global_burst", c.rate_limits.global_burst);
  e.Num("default_per_second", c.rate_limits.default_per_second);
  e.Num("default_burst", c.rate_limits.default_burst);
  e.Int("default_max_connections", c.rate_limits.default_max_connections);
  e.Int("throttle_initial_pause_s", c.rate_limits.throttle_initial_pause_s);
  e.Int("throttle_pause_s", c.rate_limits.throttle_pause_s);
  e.Int("rate_recovery_interval_s", c.rate_limits.rate_recovery_interval_s);
  e.Num("rate_recovery_step", c.rate_limits.rate_recovery_step);
  e.Int("destination_idle_s", c.rate_limits.destination_idle_s);
  for (const auto& g : c.rate_limits.groups) {
    e.ArraySection("rate_limits.domain_groups");
    e.Str("name", g.name);
    e.List("domains", g.domains);
    e.Num("per_second", g.per_second);
    e.Num("burst", g.burst);
    e.Int("max_connections", g.max_connections);
  }
  e.Section("retry");
  e.Int("initial_backoff_s", c.retry.initial_backoff_s);
  e.Int("max_backoff_s", c.retry.max_backoff_s);
  e.Int("max_age_s", c.retry.max_age_s);
  e.Num("jitter", c.retry.jitter);
  e.Section("engine");
  e.Str("instance_name", c.engine.instance_name);
  e.Int("poll_interval_ms", c.engine.poll_interval_ms);
  e.Int("batch_size", c.engine.batch_size);
  e.Int("lease_s", c.engine.lease_s);
  e.Int("worker_threads", c.engine.worker_threads);
  e.Int("drain_timeout_s", c.engine.drain_timeout_s);
  e.Int("max_campaigns", c.engine.max_campaigns);
  e.Int("expansion_chunk", c.engine.expansion_chunk);
  e.Int("claims_per_poll", c.engine.claims_per_poll);
  e.Int("lease_campaigns", c.engine.lease_campaigns);
  e.Int("flush_batch", c.engine.flush_batch);
  e.Int("write_batch_max", c.engine.write_batch_max);
  e.Int("park_horizon_s", c.engine.park_horizon_s);
  e.Section("dkim");
  e.Str("active_kek_id", c.dkim.active_kek_id);
  e.Int("rsa_bits", c.dkim.rsa_bits);
  e.Bool("dual_ed25519", c.dkim.dual_ed25519);
  e.Int("rotation_age_days", c.dkim.rotation_age_days);
  e.Int("grace_days", c.dkim.grace_days);
  e.Str("platform_zone", c.dkim.platform_zone);
  e.List("selectors", c.dkim.selectors);
  e.Int("record_ttl_s", c.dkim.record_ttl_s);
  e.Int("lifecycle_interval_s", c.dkim.lifecycle_interval_s);
  for (const auto& k : c.dkim.keks) {
    e.ArraySection("dkim.keks");
    e.Str("id", k.id);
    e.Env("secret_env", k.secret_env);
  }
  e.Section("unsubscribe");
  e.Str("base_url", c.unsubscribe.base_url);
  e.Str("mailto", c.unsubscribe.mailto);
  e.Str("active_key_id", c.unsubscribe.active_key_id);
  for (const auto& k : c.unsubscribe.keys) {
    e.ArraySection("unsubscribe.keys");
    e.Str("id", k.id);
    e.Env("secret_env", k.secret_env);
  }
  e.Section("dns");
  e.Str("provider", std::string(DnsProviderName(c.dns.provider)));
  e.Str("resolver", c.dns.resolver);
  e.Section("dns.powerdns");
  e.Str("api_url", c.dns.powerdns.api_url);
  e.Env("api_key_env", c.dns.powerdns.api_key_env);
  e.Str("server_id", c.dns.powerdns.server_id);
  e.Bool("insecure_http", c.dns.powerdns.insecure_http);
  e.Section("dns.route53");
  e.Str("endpoint", c.dns.route53.endpoint);
  e.Str("hosted_zone_id", c.dns.route53.hosted_zone_id);
  e.Str("region", c.dns.route53.region);
  e.Env("access_key_id_env", c.dns.route53.access_key_id_env);
  e.Env("secret_access_key_env", c.dns.route53.secret_access_key_env);
  e.Bool("insecure_http", c.dns.route53.insecure_http);
  e.Section("http");
  e.Str("listen_address", c.http.listen_address);
  e.Int("port", c.http.port);
  e.Int("max_body_bytes", c.http.max_body_bytes);
  e.Int("request_timeout_s", c.http.request_timeout_s);
  e.Int("request_deadline_s", c.http.request_deadline_s);
  e.Int("max_connections", c.http.max_connections);
  e.Int("max_connections_per_ip", c.http.max_connections_per_ip);
  e.Section("admin");
  e.Str("listen_address", c.admin.listen_address);
  e.Int("port", c.admin.port);
  e.Int("shop_series", c.admin.shop_series);
  e.Section("inbound");
  e.Str("listen_address", c.inbound.listen_address);
  e.Int("port", c.inbound.port);
  e.Str("protocol", std::string(InboundProtocolName(c.inbound.protocol)));
  e.Str("hostname", c.inbound.hostname);
  e.Int("max_message_bytes", c.inbound.max_message_bytes);
  e.Int("max_connections", c.inbound.max_connections);
  e.Int("command_timeout_s", c.inbound.command_timeout_s);
  e.Int("session_deadline_s", c.inbound.session_deadline_s);
  e.Int("database_connections", c.inbound.database_connections);
  e.List("bounce_domains", c.inbound.bounce_domains);
  e.List("complaint_addresses", c.inbound.complaint_addresses);
  e.Int("retain_days", c.inbound.retain_days);
  e.Bool("start_in_run", c.inbound.start_in_run);
  e.Section("feedback");
  e.Num("max_complaint_rate", c.feedback.max_complaint_rate);
  e.Num("max_hard_bounce_rate", c.feedback.max_hard_bounce_rate);
  e.Int("min_volume", c.feedback.min_volume);
  e.Int("soft_bounce_limit", c.feedback.soft_bounce_limit);
  e.Int("soft_bounce_window_days", c.feedback.soft_bounce_window_days);
  e.Section("readiness");
  e.Int("interval_s", c.readiness.interval_s);
  e.List("mandatory", c.readiness.mandatory);
  e.Int("dns_cache_max_s", c.readiness.dns_cache_max_s);
  e.List("bounce_mx_hosts", c.readiness.bounce_mx_hosts);
  e.Section("logging");
  e.Str("level", c.logging.level);
  e.Str("format", c.logging.format);
  e.Str("priority_prefix", c.logging.priority_prefix);
  std::string s = e.str();
  return "# effective configuration from " + c.source + "\n" + s;
}

void ApplyLogging(const Logging& logging) {
  log::Level level = log::Level::kInfo;
  log::Format format = log::Format::kText;
  log::Prefix prefix = log::Prefix::kAuto;
  // Values were checked when the file was read; a default stays otherwise.
  log::ParseLevel(logging.level, &level);
  log::ParseFormat(logging.format, &format);
  log::ParsePrefix(logging.priority_prefix, &prefix);
  log::Configure(level, format, prefix);
}

}  // namespace tayori::config
