#include "feedback/report.h"

namespace tayori::feedback {

std::string_view FeedbackTypeName(FeedbackType t) {
  switch (t) {
    case FeedbackType::kBounce: return "bounce";
    case FeedbackType::kDelay: return "delay";
    case FeedbackType::kDelivered: return "delivered";
    case FeedbackType::kComplaint: return "complaint";
    case FeedbackType::kAutoReply: return "auto-reply";
    case FeedbackType::kNotFeedback: return "not-feedback";
  }
  return "not-feedback";
}

Effect EffectOf(const RecipientReport& r) {
  switch (r.type) {
    case FeedbackType::kBounce:
      if (!r.classification) return Effect::kRecord;
      if (r.classification->auth_failure) return Effect::kPauseSenderDomain;
      return r.classification->hard ? Effect::kBounceAndSuppress : Effect::kRecord;
    case FeedbackType::kDelay: return Effect::kRecord;
    case FeedbackType::kComplaint: return Effect::kSuppressForShop;
    case FeedbackType::kDelivered:
    case FeedbackType::kAutoReply:
    case FeedbackType::kNotFeedback: return Effect::kNone;
  }
  return Effect::kNone;
}

std::string_view EffectName(Effect e) {
  switch (e) {
    case Effect::kNone: return "none";
    case Effect::kRecord: return "record";
    case Effect::kBounceAndSuppress: return "bounce_and_suppress";
    case Effect::kPauseSenderDomain: return "pause_sender_domain";
    case Effect::kSuppressForShop: return "suppress_for_shop";
  }
  return "none";
}

}  // namespace tayori::feedback
