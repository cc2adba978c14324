#include "daemon/outcome.h"

namespace tayori::daemon {

ratelimit::Feedback FeedbackFor(smtp::Outcome o) {
  switch (o) {
    case smtp::Outcome::kDelivered: return ratelimit::Feedback::kDelivered;
    case smtp::Outcome::kThrottled: return ratelimit::Feedback::kThrottled;
    case smtp::Outcome::kTransient: return ratelimit::Feedback::kTransient;
    default: return ratelimit::Feedback::kPermanent;
  }
}

store::DeliveryOutcome OutcomeFor(const DeliveryContext& ctx, const smtp::SubmitResult& r,
                                  const scheduler::RetryPolicy& retry, SysTime now, double unit_random) {
  const store::LeasedDelivery& d = *ctx.delivery;
  store::DeliveryOutcome o;
  o.delivery_id = d.id;
  o.campaign_id = d.campaign_id;
  o.code = r.reply.code;
  o.enhanced = r.reply.enhanced;
  o.reply = r.reply.received() ? r.reply.ToString() : (r.transport_error.empty() ? r.reply.text : r.transport_error);
  o.message_id = ctx.message_id;
  o.relay = r.relay;
  o.queue_id = r.reply.queue_id;
  o.tenant_id = ctx.tenant_id;
  o.email = d.email;
  o.sender_domain_id = ctx.sender_domain_id;
  auto retry_later = [&] {
    auto step = retry.AfterTransient(d.attempts + 1, now, SysTime(std::chrono::seconds(d.created_unix)), unit_random);
    o.state = step.state;
    o.next_attempt_unix = UnixSeconds(step.next_attempt_at);
  };
  switch (r.classification.outcome) {
    case smtp::Outcome::kDelivered: o.state = scheduler::DeliveryState::kSent; break;
    case smtp::Outcome::kTransient:
    case smtp::Outcome::kThrottled: retry_later(); break;
    case smtp::Outcome::kPermanent: o.state = scheduler::DeliveryState::kFailed; break;
    case smtp::Outcome::kHardBounce:
      o.state = scheduler::DeliveryState::kBounced;
      o.suppress_address = true;
      break;
    case smtp::Outcome::kAuthFailure:
      // The message is not at fault: it waits for the domain to be fixed.
      o.state = scheduler::DeliveryState::kDeferred;
      o.next_attempt_unix = UnixSeconds(now + kAuthFailureRetryDelay);
      o.pause_sender_domain = true;
      break;
    case smtp::Outcome::kUnknown: o.state = scheduler::DeliveryState::kUnknown; break;
  }
  return o;
}

}  // namespace tayori::daemon
