// Module net/: libcurl's multi interface bound to the loop, for SMTP submission and HTTP APIs; the
// loop-driven includer of libcurl. May include: base/, loop/ (its links in CMakeLists.txt, and
// what they link publicly; scripts/check-layering checks both).
//
// libcurl's multi interface driven by the Loop (curl_multi_socket_action with
// one FdWatcher per socket and one Timer), as in curl's docs/examples/multi-uv.c.
// Only this module includes <curl/curl.h>. A Transfers object is one
// connection pool: the engine keeps one per relay, so per-relay connection
// caps are the pool's caps. Loop thread only.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/tls_mode.h"
#include "loop/loop.h"

namespace tayori::net {

struct PoolOptions {
  int max_connections = 8;          // per host; extra transfers wait in curl's queue
  int max_messages_per_connection = 0;  // 0: unlimited; else close a connection after this many
};


struct SmtpRequest {
  std::string host;
  int port = 25;
  std::string helo_name = "localhost";
  TlsMode tls = TlsMode::kNone;
  bool verify_peer = true;
  std::string ca_file;
  std::string user;        // empty: no AUTH
  std::string password;    // never logged
  std::string mail_from;   // envelope sender, without <>
  std::string rcpt;        // one recipient, without <>
  std::shared_ptr<const std::string> message;  // CRLF message; curl dot-stuffs it
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds command_timeout{60};
  bool fresh_connection = false;  // never reuse a pooled connection for this one
};

// Where an SMTP transaction ended.
enum class SmtpStage { kConnect, kEnvelope, kData, kAfterDot };

struct SmtpResult {
  bool ok = false;                     // 2xx after the final dot
  std::string error;                   // curl's description when !ok ("" when ok)
  std::vector<std::string> reply;      // lines of the last complete reply received
  SmtpStage stage = SmtpStage::kConnect;
  bool new_connection = false;         // false: a pooled connection was reused
  long local_port = 0;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;    // "Name: value"
  std::string body;
  std::string aws_sigv4;               // e.g. "aws:amz:us-east-1:route53"; empty: none
  std::string user_password;           // "KEY:SECRET" for SigV4; never logged
  std::chrono::seconds timeout{30};
};

struct HttpResult {
  bool ok = false;                     // a response was received (any status)
  std::string error;                   // transport error when !ok
  long status = 0;
  std::string body;
};

class Transfers {
 public:
  Transfers(loop::Loop& loop, PoolOptions options);
  // Aborts transfers still running (their callbacks are not called).
  ~Transfers();
  Transfers(const Transfers&) = delete;
  Transfers& operator=(const Transfers&) = delete;

  void Smtp(SmtpRequest request, std::function<void(SmtpResult)> done);
  void Http(HttpRequest request, std::function<void(HttpResult)> done);

  size_t in_flight() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// "libcurl/7.88.1 OpenSSL/3.0.x …", for `tayori version` and logs.
std::string CurlVersion();

}  // namespace tayori::net
