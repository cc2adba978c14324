// TXT lookups through real DNS: c-ares driven by the Loop (one FdWatcher per
// c-ares socket, one Timer for its timeouts). The resolver follows CNAMEs as
// any DKIM verifier does, so a delegated selector
// (s1._domainkey.shop.example CNAME s1._domainkey.shop-example.platform.example)
// resolves to the key behind it. Loop thread only.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "loop/loop.h"

namespace tayori::dns {

// Every TXT record at a name, each with its character-strings joined.
using TxtRecords = std::vector<std::string>;
using TxtCallback = std::function<void(Result<TxtRecords>)>;

struct ResolverOptions {
  std::string servers;                       // "ip:port[,ip:port]"; empty: /etc/resolv.conf
  std::chrono::milliseconds timeout{2000};   // per try
  int tries = 2;
};

class Resolver {
 public:
  // kConfig when `servers` does not parse.
  static Result<std::unique_ptr<Resolver>> Create(loop::Loop& loop, ResolverOptions options);
  // Pending queries are cancelled; their callbacks do not run.
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // `done` runs on the loop thread: the records, kNotFound when the name
  // does not exist or has no TXT record, kTransient when no server answered
  // (or one refused: c-ares does not tell REFUSED from unreachable).
  void QueryTxt(const std::string& name, TxtCallback done);

  struct Impl;

 private:
  explicit Resolver(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// For the CLI and tests: one lookup on a private loop of its own, blocking
// the calling thread (never call it on the engine's loop thread).
Result<TxtRecords> ResolveTxtBlocking(const ResolverOptions& options, const std::string& name);

}  // namespace tayori::dns
