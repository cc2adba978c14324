// Fuzz target: the feedback parser on any bytes, and its text readers on
// the same bytes. Nothing may crash or hang; every record is valid UTF-8
// and within the limits; the recipient cap holds.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/utf8_text.h"
#include "feedback/delivery_status.h"
#include "feedback/diagnostic.h"
#include "feedback/feedback_report.h"
#include "feedback/limits.h"
#include "feedback/parser.h"
#include "feedback/records.h"
#include "feedback/text_bounce.h"

namespace {

void CheckText(const std::string& s, size_t max_chars) {
  if (tayori::ScrubUtf8(s, std::string::npos) != s) std::abort();  // not valid UTF-8
  if (s.size() > max_chars * 4) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tayori::feedback;
  constexpr size_t kCap = 3;
  // Not the corpus's key: the seeds' VERPs are forgeries to this parser.
  static const Parser parser(VerpKey{"bounces+{delivery_id}.{mac}@bounce.tayori.example", "fuzz-verp-key"},
                             Limits{1 << 20, kCap});
  std::string_view in(reinterpret_cast<const char*>(data), size);

  Report report = parser.Parse(in, {"bounces+1.aaaaaaaaaa@bounce.tayori.example"});
  if (report.recipients.size() > kCap) std::abort();
  for (const auto& r : ToRecords(report, "fuzz")) {
    CheckText(r.recipient, kMaxAddressChars);
    CheckText(r.diagnostic, kMaxDiagnosticChars);
    CheckText(r.status, 16);
    CheckText(r.feedback_type, 64);
    CheckText(r.reason, kMaxFieldChars + kMaxAddressChars + 200);
  }
  CheckText(report.returned.message_id, 255);
  CheckText(report.returned.unsubscribe_token, 200);
  if (report.delivery_id) std::abort();  // the only VERP it could see is forged or random

  DeliveryStatus dsn = ReadDeliveryStatus(in, kCap);
  if (dsn.recipients.size() > kCap) std::abort();
  for (const auto& r : dsn.recipients) CheckText(r.diagnostic, kMaxDiagnosticChars);
  FeedbackFields arf = ReadFeedbackReport(in);
  for (const auto& a : arf.original_rcpt_to) CheckText(a, kMaxAddressChars);
  auto text = ReadTextBounce({{"From", "MAILER-DAEMON@example.com"}}, in, kCap);
  if (text && text->recipients.size() > kCap) std::abort();
  CheckText(FindAddress(in), kMaxAddressChars);
  (void)FindStatus(in, '5');
  (void)FindReplyCode(in);
  return 0;
}
