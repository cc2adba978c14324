// `tayori inbound`: the listener for bounces and complaints (inbound/server.h)
// wired to the parser (feedback/parser.h) and the database (store/feedback.h).
// Each accepted message is parsed, matched to the delivery it is about and
// its effects committed in one transaction on a DbWorker thread; only then
// does the client get 250. When the database is unreachable the client gets
// 451 and sends again later; a message committed whose 250 was lost is
// recognised when it comes again and changes nothing twice.
// Owned by the loop thread.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "base/status.h"
#include "config/config.h"
#include "loop/loop.h"
#include "store/connection.h"
#include "store/db_worker.h"

namespace tayori::daemon {

struct InboundCounters {
  uint64_t messages = 0;       // committed
  uint64_t duplicates = 0;     // committed before (a resend)
  uint64_t deferred = 0;       // answered 451
  uint64_t bounces_hard = 0, bounces_soft = 0, delays = 0, complaints = 0, auto_replies = 0, not_feedback = 0;
  uint64_t unmatched = 0;      // feedback that named no delivery
  uint64_t suppressed = 0, bounced = 0, domains_paused = 0;
};

// `tayori inbound reprocess`: reads stored raw messages from id `from_id`
// on again through today's parser and applies their effects anew
// (store::ReapplyFeedback). `report` gets one line per message.
struct ReprocessSummary {
  int messages = 0, matched = 0, bounced = 0, suppressed = 0, complaints = 0, failed = 0;
};
Result<ReprocessSummary> ReprocessInbound(const config::Config& config, store::Connection& db, uint64_t from_id,
                                          int limit, const std::function<void(const std::string&)>& report);

class InboundService {
 public:
  // Messages are parsed and committed on `workers` (each its own thread and
  // connection; at least one), the next message on the least busy.
  InboundService(loop::Loop& loop, const config::Config& config, std::vector<store::DbWorker*> workers);
  ~InboundService();

  // Binds [inbound] listen_address:port; kConfig for bad settings or secrets.
  Status Start();
  int port() const;
  // Stops accepting; `done` runs once every connection has ended.
  void Drain(std::function<void()> done);
  const InboundCounters& counters() const;
  // Prometheus text of the counters and the listener's own figures.
  std::string MetricsText() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace tayori::daemon
