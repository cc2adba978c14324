// Module smtp/: SMTP replies, the outcome classification table, return paths, and submission to
// the relays through net/. May include: base/, config/, crypto/, loop/, net/ (its links in
// CMakeLists.txt, and what they link publicly; scripts/check-layering checks both).
//
// Submission of signed messages to the configured relays: one SMTP
// transaction per message (one RCPT), relays chosen by weight, a relay that
// fails at the connection level backs off and its traffic fails over to the
// others, and every answer is classified by the one table (classify.h).
//
// Deliberate choices (also in docs/engine.md):
//  * A pooled connection that turns out dead before any reply (the relay
//    closed it after its own per-connection cap) is retried once at once on a
//    fresh connection: nothing was accepted, so this cannot duplicate.
//  * A relay-level failure before the final dot fails over to another relay
//    immediately; after the final dot nothing is ever resent here.
//  * libcurl closes the connection after a rejected RCPT; that costs a
//    reconnect but never a wrong outcome.
// Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "config/config.h"
#include "loop/loop.h"
#include "smtp/classify.h"
#include "smtp/reply.h"
#include "smtp/return_path.h"

namespace tayori::smtp {

struct Submission {
  uint64_t delivery_id = 0;
  std::string rcpt;                            // recipient address, domain in A-label form
  std::shared_ptr<const std::string> message;  // signed RFC 5322 message, CRLF
};

struct SubmitResult {
  uint64_t delivery_id = 0;
  Reply reply;                 // the final reply (code 0 when none)
  Classification classification;
  std::string relay;           // name of the relay that answered
  std::string transport_error; // libcurl's description when the transport failed
};

struct RelayHealth {
  std::string name;
  bool up = true;
  int consecutive_failures = 0;
  int64_t in_flight = 0;
};

class Submitter {
 public:
  // Resolves relay passwords and the VERP key from the environment.
  static Result<std::unique_ptr<Submitter>> Create(loop::Loop& loop, const config::Config& config,
                                                   const Clock& clock);
  ~Submitter();

  void Submit(Submission submission, std::function<void(SubmitResult)> done);
  size_t in_flight() const;
  std::vector<RelayHealth> Health() const;

  struct Impl;

 private:
  explicit Submitter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tayori::smtp
