#include "feedback/records.h"

namespace tayori::feedback {

std::vector<Record> ToRecords(const Report& report, std::string_view file) {
  std::vector<Record> out;
  auto base = [&] {
    Record r;
    r.file = std::string(file);
    r.feedback_type = report.feedback_type;
    r.delivery_id = report.delivery_id;
    r.reason = report.reason;
    return r;
  };
  for (const auto& rr : report.recipients) {
    Record r = base();
    r.type = std::string(FeedbackTypeName(rr.type));
    r.recipient = rr.recipient;
    r.status = rr.status;
    r.reply_code = rr.reply_code;
    r.action = rr.action;
    r.diagnostic = rr.diagnostic;
    if (rr.classification) {
      r.hard = rr.classification->hard;
      r.category = std::string(smtp::BounceCategoryName(rr.classification->category));
    } else if (rr.type == FeedbackType::kComplaint) {
      r.category = "complaint";
    }
    r.effect = std::string(EffectName(EffectOf(rr)));
    out.push_back(std::move(r));
  }
  if (out.empty()) {
    Record r = base();
    r.type = std::string(FeedbackTypeName(FeedbackType::kNotFeedback));
    r.effect = std::string(EffectName(Effect::kNone));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace tayori::feedback
