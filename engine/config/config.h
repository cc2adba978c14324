// Module config/: the configuration file: parsing (the only includer of toml++), validation with
// file:line:column errors, defaults, Describe and secrets resolved from the environment. May
// include: base/ (its links in CMakeLists.txt, and what they link publicly; scripts/check-layering
// checks both).
//
// The engine's configuration: one validated, immutable structure, loaded once.
//
// Only this module includes toml++. Every limit the engine obeys lives here with
// its documented default; config/tayori.example.toml documents each
// key. Secrets are never in the file: the file names an environment variable
// (`*_env` keys) and ResolveSecret() reads it when the secret is needed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tls_mode.h"

namespace tayori::config {

struct Database {
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string socket;             // unix socket; when set it wins over host/port
  std::string user = "tayori";
  std::string password_env;       // empty: no password
  std::string name = "tayori";
  int connect_timeout_s = 5;
  // A read or write on an open connection that takes longer fails as
  // transient (the server or the network went away mid-statement).
  int io_timeout_s = 60;
};


struct Relay {
  std::string name;
  std::string host;
  int port = 25;
  TlsMode tls = TlsMode::kStartTls;
  bool verify_peer = true;
  std::string ca_file;            // empty: the system CA store
  std::string user;               // empty: no AUTH
  std::string password_env;
  int weight = 1;
  int max_connections = 8;
  int max_messages_per_connection = 100;
  int connect_timeout_s = 10;
  int command_timeout_s = 60;
  // Explicit opt-ins to what is refused by default: AUTH over a connection
  // without TLS (the password crosses the network in the clear), and TLS
  // without certificate verification (anyone on the path can read the mail).
  bool insecure_plaintext_auth = false;
  bool insecure_skip_verify = false;
  // The addresses receivers see this relay's mail come from (its egress
  // IPs): `tayori domain check` evaluates SPF and reverse DNS for each.
  std::vector<std::string> egress_ips;
};

struct Envelope {
  // MAIL FROM pattern; {delivery_id} and {mac} are filled per message (VERP).
  std::string return_path = "bounces+{delivery_id}@bounce.platform.example";
  std::string helo_name = "localhost";
  std::string mac_key_env;        // HMAC key for {mac}; empty: {mac} not allowed
};

struct DomainGroup {
  std::string name;
  std::vector<std::string> domains;
  double per_second = 10;
  double burst = 20;
  int max_connections = 4;
};

struct RateLimits {
  double global_per_second = 200;
  double global_burst = 400;
  double default_per_second = 20;     // destinations in no group
  double default_burst = 40;
  int default_max_connections = 4;
  // A receiver's throttling reply (421 4.7.28 / 450 4.2.1) pauses the
  // destination group for throttle_initial_pause_s, doubling while the
  // throttling continues, up to throttle_pause_s (docs/engine.md).
  int throttle_initial_pause_s = 30;
  int throttle_pause_s = 600;
  // After a throttle or a burst of transient replies a destination's rate
  // is halved and recovers by rate_recovery_step of its configured rate
  // every rate_recovery_interval_s.
  int rate_recovery_interval_s = 30;
  double rate_recovery_step = 0.1;
  // A destination untouched this long is forgotten (a daemon sees millions
  // of recipient domains over months); longer than a rate recovery takes.
  int destination_idle_s = 600;
  std::vector<DomainGroup> groups;
};

struct Retry {
  int initial_backoff_s = 60;
  int max_backoff_s = 3600;
  int max_age_s = 172800;             // give up (expired) after two days
  double jitter = 0.2;                // +/- fraction of each backoff
};

struct Engine {
  std::string instance_name;          // empty: hostname-pid
  int poll_interval_ms = 1000;
  int batch_size = 200;
  int lease_s = 300;
  int worker_threads = 0;             // 0: one per core
  int drain_timeout_s = 30;
  int max_campaigns = 1000;           // sending campaigns one instance holds in memory at once
  // Sizes of the engine's database work (docs/engine.md "Tuning"); the
  // defaults suit one MySQL primary shared by a few instances.
  int expansion_chunk = 5000;         // list members expanded into deliveries per transaction
  int claims_per_poll = 200;          // due campaigns claimed per poll
  int lease_campaigns = 200;          // campaigns asked in one lease statement
  int flush_batch = 500;              // recorded outcomes that start a write at once (else within 100 ms)
  int write_batch_max = 2000;         // outcomes written in one transaction at most (<= 4000)
  int park_horizon_s = 30;            // a destination's wait longer than this goes back to the database
};

// A key-encryption key: its id (stored beside every key it seals) and the
// environment variable holding it (base64 of 32 bytes).
struct Kek {
  std::string id;
  std::string secret_env;
};

struct Dkim {
  // [[dkim.keks]]: every KEK that may have sealed a stored key. New keys are
  // sealed with active_kek_id; the others only open older keys until
  // `tayori dkim reseal` has moved them. The older single-KEK keys
  // (kek_env, kek_id) still work and describe a list of one.
  std::vector<Kek> keks{{"kek1", "TAYORI_KEK"}};
  std::string active_kek_id = "kek1";
  int rsa_bits = 2048;
  bool dual_ed25519 = false;
  int rotation_age_days = 180;
  int grace_days = 7;
  std::string platform_zone = "platform.example";
  std::vector<std::string> selectors{"s1", "s2"};
  int record_ttl_s = 300;
  // How often the daemon runs the key lifecycle (keys::KeyLifecycle::Tick):
  // rotation steps, propagation checks, revocations.
  int lifecycle_interval_s = 300;
};

struct TokenKey {
  std::string id;
  std::string secret_env;
};

struct Unsubscribe {
  std::string base_url = "https://unsubscribe.platform.example/u/";
  std::string mailto;                  // optional second URI, e.g. unsubscribe@platform.example
  std::string active_key_id;
  std::vector<TokenKey> keys;
};

enum class DnsProvider { kNone, kPowerDns, kRoute53 };

struct PowerDns {
  std::string api_url = "http://127.0.0.1:8081";
  std::string api_key_env = "TAYORI_PDNS_API_KEY";
  std::string server_id = "localhost";
  bool insecure_http = false;          // allow http:// to a non-loopback host (the API key crosses in the clear)
};

struct Route53 {
  std::string endpoint = "https://route53.amazonaws.com";
  std::string hosted_zone_id;
  std::string region = "us-east-1";
  std::string access_key_id_env = "AWS_ACCESS_KEY_ID";
  std::string secret_access_key_env = "AWS_SECRET_ACCESS_KEY";
  bool insecure_http = false;          // allow an http:// endpoint to a non-loopback host
};

struct Dns {
  DnsProvider provider = DnsProvider::kNone;
  std::string resolver;                // "ip:port[,ip:port]"; empty: system resolvers
  PowerDns powerdns;
  Route53 route53;
};

struct Http {
  std::string listen_address = "127.0.0.1";
  int port = 8025;
  int max_body_bytes = 16384;
  int request_timeout_s = 10;         // idle limit
  int request_deadline_s = 10;        // absolute limit per request (http/server.h)
  int max_connections = 1024;
  int max_connections_per_ip = 16;    // 0: no per-address limit
};

// [admin]: the operators' listener — /metrics, /healthz (liveness), /readyz
// (database reachable, writes succeeding, not draining) — kept apart from
// the public unsubscribe listener so neither the metrics nor the health of
// the engine are exposed where subscribers' clicks arrive.
struct Admin {
  std::string listen_address = "127.0.0.1";
  int port = 8026;                    // 0: pick a free port
  int shop_series = 0;                // per-shop metric series: the N busiest shops; 0: none
};

enum class InboundProtocol { kSmtp, kLmtp };

// [feedback]: what bounces and complaints do to a shop's sending
// (docs/feedback.md). Gmail and Yahoo hold senders under 0.3% spam
// complaints; a hard-bounce rate above a few percent marks a stale list.
struct Feedback {
  double max_complaint_rate = 0.003;  // complaints / delivered, per shop, over 1 and 7 days
  double max_hard_bounce_rate = 0.05; // hard bounces / sent, per shop, over 1 and 7 days
  int min_volume = 1000;              // below this many delivered in a window, no rate is judged
  int soft_bounce_limit = 3;          // soft bounces of one address within the window suppress it
  int soft_bounce_window_days = 7;
};

// [readiness]: the domain checks of `tayori domain check` as the daemon and
// `campaign schedule` apply them (docs/readiness.md).
struct Readiness {
  // The daemon re-checks every sender domain this often, each at its own
  // time (spread ±10%); 0: never (the CLI still checks and records).
  int interval_s = 21600;
  // Checks whose failure stops a domain's campaigns: `campaign schedule`
  // refuses, the daemon pauses running ones. Names are CheckIdName's
  // (docs/readiness.md); [] turns enforcement off.
  std::vector<std::string> mandatory = {"from_domain", "dkim_key", "dkim_cname", "dmarc_record", "dkim_alignment"};
  // DNS answers are kept for their TTL, at most this long.
  int dns_cache_max_s = 3600;
  // The host names the bounce domain's MX must point at: where Tayori's
  // inbound service (or the relay that hands bounces to it) receives them.
  // Empty: the bounce_mx check only warns (nothing to compare with).
  std::vector<std::string> bounce_mx_hosts;
};

// The check names readiness.mandatory accepts (readiness/report.h CheckIdName;
// a unit test keeps the two lists equal).
const std::vector<std::string>& ReadinessCheckNames();

// [inbound]: the listener that takes bounces and complaints (docs/inbound.md).
struct Inbound {
  std::string listen_address = "127.0.0.1";
  int port = 2525;                     // 0: the kernel picks one
  InboundProtocol protocol = InboundProtocol::kSmtp;
  std::string hostname;                // greeting and EHLO name; empty in the file: envelope.helo_name
  // At most the feedback parser's limit (feedback/limits.h kMaxMessageBytes):
  // a message the parser would refuse unread is refused on the wire instead.
  int max_message_bytes = 10485760;
  int max_connections = 100;
  int command_timeout_s = 60;          // a command line (or a pause in DATA) may take this long
  int session_deadline_s = 600;        // a whole connection may last this long
  // Domains whose local parts follow envelope.return_path's pattern; empty in
  // the file: the return path's own domain.
  std::vector<std::string> bounce_domains;
  std::vector<std::string> complaint_addresses;  // feedback-loop (ARF) addresses
  int retain_days = 30;                // raw messages are kept this long
  bool start_in_run = false;           // `tayori run` starts the listener too
  int database_connections = 3;        // messages parsed and committed in parallel
};

struct Logging {
  std::string level = "info";
  std::string format = "text";
  std::string priority_prefix = "auto";  // auto | on | off: syslog "<N>" prefixes for journald
};

struct Config {
  std::string source;                  // the file it came from
  Database database;
  std::vector<Relay> relays;
  Envelope envelope;
  RateLimits rate_limits;
  Retry retry;
  Engine engine;
  Dkim dkim;
  Unsubscribe unsubscribe;
  Dns dns;
  Http http;
  Admin admin;
  Inbound inbound;
  Feedback feedback;
  Readiness readiness;
  Logging logging;
};

// Parses and validates. On failure the Status (class kConfig) lists every
// problem, one per line, as "FILE:LINE:COL: KEY: what is wrong".
Result<Config> ParseConfig(std::string_view toml_text, std::string_view source_name);
Result<Config> LoadConfigFile(const std::string& path);

// The effective configuration as TOML, for `tayori config check`. Secrets are
// never in a Config; for each *_env key it says whether the variable is set.
std::string Describe(const Config& config);
// Applies [logging] (level, format, priority prefix) to the process: at
// start (cli/) and again on a reload (daemon/).
void ApplyLogging(const Logging& logging);

// Reads the secret an `*_env` key names. `key` names the config key for the
// error message. An empty env name yields an empty secret.
Result<std::string> ResolveSecret(const std::string& env_name, std::string_view key);

// An engine instance name (engine.instance_name, `tayori run --instance`;
// empty means the default, hostname-pid): "" when acceptable, else why not.
// It is stored in campaigns.claimed_by, a CHAR(128) ASCII column (migration
// 0007), which drops trailing spaces.
std::string CheckInstanceName(const std::string& name);

std::string_view DnsProviderName(DnsProvider p);
std::string_view InboundProtocolName(InboundProtocol p);

}  // namespace tayori::config
