// The records of `tayori inbound parse`: one per reported recipient, the
// fields of the JSON line, as plain values the CLI prints with
// nlohmann (null for an absent delivery_id). A report with no recipient
// (not feedback, ignored, refused) gives one record of type "not-feedback".
//
//   for (const auto& r : feedback::ToRecords(report, path)) {
//     nlohmann::json j = {{"file", r.file}, {"type", r.type}, {"recipient", r.recipient},
//                         {"status", r.status}, {"reply_code", r.reply_code}, {"action", r.action},
//                         {"hard", r.hard}, {"category", r.category}, {"feedback_type", r.feedback_type},
//                         {"delivery_id", r.delivery_id ? nlohmann::json(*r.delivery_id) : nullptr},
//                         {"diagnostic", r.diagnostic}};
//     std::cout << j.dump() << '\n';
//   }
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "feedback/report.h"

namespace tayori::feedback {

struct Record {
  std::string file;           // as given
  std::string type;           // "bounce" | "delay" | "delivered" | "complaint" | "auto-reply" | "not-feedback"
  std::string recipient;      // "" when the report names none (a redacted complaint)
  std::string status;         // "x.y.z" or ""
  std::string reply_code;     // "550" or ""
  std::string action;         // DSN action ("failed", "delayed", …) or ""
  bool hard = false;          // a hard bounce (docs/feedback.md)
  std::string category;       // smtp::BounceCategoryName, "complaint", or ""
  std::string feedback_type;  // ARF Feedback-Type or ""
  std::optional<uint64_t> delivery_id;  // VERP-verified, else none (JSON null)
  std::string diagnostic;
  // Not one of the fields: why the message is not feedback, was
  // ignored or refused (or what marked an auto-reply). Print it if useful.
  std::string reason;
  std::string effect;         // EffectName(EffectOf(…)); also not one of the fields
};

std::vector<Record> ToRecords(const Report& report, std::string_view file);

}  // namespace tayori::feedback
