// Pure mapping from a classified relay answer to what is written back for a
// delivery (state, next attempt, side effects) and what the shaper hears.
#pragma once

#include "ratelimit/destination.h"
#include "scheduler/retry_policy.h"
#include "smtp/submitter.h"
#include "store/deliveries.h"

namespace tayori::daemon {

struct DeliveryContext {
  const store::LeasedDelivery* delivery;
  uint64_t tenant_id;
  uint64_t sender_domain_id;
  std::string message_id;
};

// `unit_random` in [0,1) drives retry jitter.
store::DeliveryOutcome OutcomeFor(const DeliveryContext& ctx, const smtp::SubmitResult& result,
                                  const scheduler::RetryPolicy& retry, SysTime now, double unit_random);

ratelimit::Feedback FeedbackFor(smtp::Outcome outcome);

// How long a delivery of a paused sender domain waits before it is tried
// again (the domain must be fixed and resumed by an operator first).
constexpr std::chrono::hours kAuthFailureRetryDelay{1};

}  // namespace tayori::daemon
