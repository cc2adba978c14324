// The one classification table (mail-rules.md): what a relay's answer, or the
// lack of one, means for a delivery, its shop, its sender domain and the
// destination's shaping. Every outcome decision in Tayori comes from here.
#pragma once

#include <string>
#include <string_view>

#include "smtp/reply.h"

namespace tayori::smtp {

enum class Outcome {
  kDelivered,    // 2xx after DATA: sent
  kTransient,    // 4xx, connection failure, timeout: retry with backoff, then expire
  kThrottled,    // 421 4.7.28 / 450 4.2.1: transient, and pause the destination
  kPermanent,    // other 5xx: failed, keep the text
  kHardBounce,   // 5.1.1, 5.1.10, 5.2.1 …: failed, and suppress the address for that shop
  kAuthFailure,  // 5.7.26/27/30/32, 4.7.40 …: pause the sender domain and alert
  kUnknown,      // the connection died after the final dot: maybe delivered, never resent blindly
};

// Where the transaction stood when it ended; decides what a missing reply means.
enum class Stage { kConnect, kEnvelope, kData, kAfterDot };

struct Classification {
  Outcome outcome;
  bool retry;                 // the delivery goes back to the queue
  bool suppress_address;      // add a shop-scoped suppression
  bool pause_sender_domain;   // stop the author domain, raise an alert
  bool pause_destination;     // stop the destination group for throttle_pause
  bool relay_fault;           // the relay itself failed (connection/timeout): back off it, fail over
  std::string reason;         // one line for logs and the database
};

// `reply` is the final reply received (code 0 if none); `stage` where it ended.
Classification Classify(const Reply& reply, Stage stage);

std::string_view OutcomeName(Outcome o);

}  // namespace tayori::smtp
