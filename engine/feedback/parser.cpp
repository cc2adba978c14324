#include "feedback/parser.h"

#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "base/utf8_text.h"
#include "feedback/auto_reply.h"
#include "feedback/delivery_status.h"
#include "feedback/diagnostic.h"
#include "feedback/feedback_report.h"
#include "feedback/mime_tree.h"
#include "feedback/returned_message.h"
#include "feedback/text_bounce.h"

namespace tayori::feedback {
namespace {

// The parts that matter, found in one walk of the flattened tree.
struct Parts {
  const MimePart* feedback = nullptr;  // message/feedback-report
  const MimePart* status = nullptr;    // message/(global-)delivery-status
  const MimePart* returned = nullptr;  // message/rfc822, message/global, or a headers-only part
  std::vector<const MimePart*> texts;  // text parts, in order
};

Parts Sort(const MimeMessage& m) {
  Parts p;
  for (const MimePart& part : m.parts) {
    const std::string& t = part.type;
    if (t == "message/feedback-report") {
      if (!p.feedback) p.feedback = &part;
    } else if (t == "message/delivery-status" || t == "message/global-delivery-status") {
      if (!p.status) p.status = &part;
    } else if (t == "message/rfc822" || t == "message/global" || t == "text/rfc822-headers" ||
               t == "message/global-headers") {
      if (!p.returned) p.returned = &part;
    } else if (t.rfind("text/", 0) == 0 && !part.text.empty()) {
      p.texts.push_back(&part);
    }
  }
  return p;
}

// RFC 3464 §2.3.3 actions; a report without one is read by its status class.
FeedbackType TypeOf(const std::string& action, const std::string& status) {
  if (action == "failed") return FeedbackType::kBounce;
  if (action == "delayed") return FeedbackType::kDelay;
  if (action == "delivered" || action == "relayed" || action == "expanded") return FeedbackType::kDelivered;
  if (!status.empty() && status[0] == '4') return FeedbackType::kDelay;
  if (!status.empty() && status[0] == '2') return FeedbackType::kDelivered;
  return FeedbackType::kBounce;
}

bool Generic(const std::string& status) { return status.size() >= 2 && status.compare(status.size() - 2, 2, ".0") == 0; }

// Fills in what the report left out: the reply code from the diagnostic; a
// status from the diagnostic when the report gives none or only a generic
// one of the same class (Status: 5.0.0 with "550 5.1.1 …"), else inferred;
// then the classification (bounces and delays only).
void Complete(RecipientReport& r) {
  const char cls = r.type == FeedbackType::kDelay ? '4' : r.type == FeedbackType::kDelivered ? '2' : '5';
  if (r.reply_code.empty()) r.reply_code = FindReplyCode(r.diagnostic);
  std::string said = FindStatus(r.diagnostic, r.status.empty() ? cls : r.status[0]);
  if (r.status.empty()) {
    r.status = said;
  } else if (Generic(r.status) && !said.empty() && said[0] == r.status[0] && !Generic(said)) {
    r.status = said;
  }
  const int reply = r.reply_code.empty() ? 0 : std::atoi(r.reply_code.c_str());
  if (r.status.empty()) {
    r.status = smtp::InferBounceStatus(reply, r.diagnostic, cls);
    r.status_inferred = !r.status.empty();
  }
  if (r.type == FeedbackType::kBounce || r.type == FeedbackType::kDelay)
    r.classification = smtp::ClassifyBounce(r.status, reply, r.diagnostic);
}

// Returns the reported message's MAIL FROM (Original-Mail-From).
std::string ReadComplaint(const MimePart& part, const Parts& parts, size_t max, Report& report) {
  FeedbackFields f = ReadFeedbackReport(part.text);
  report.format = "arf";
  report.feedback_type = f.feedback_type.empty() ? "other" : f.feedback_type;
  report.reporting_mta = f.reporting_mta;
  if (!IsComplaintType(report.feedback_type)) {
    report.disposition = Disposition::kIgnored;
    report.reason = "a feedback report of type " + report.feedback_type + " is no complaint about the recipient";
    return f.original_mail_from;
  }
  // The complaining recipient, by what the reporter left unredacted: the
  // report's Original-Rcpt-To, its Removal-Recipient, Outlook.com's
  // X-HmXmrOriginalRecipient in the reported message. Often none (Yahoo):
  // the VERP and the reported message's header still match it.
  std::vector<std::string> who = f.original_rcpt_to;
  if (who.empty()) who = f.removal_recipient;
  if (who.empty() && parts.returned) {
    if (const std::string* x = FindField(parts.returned->headers, "X-HmXmrOriginalRecipient")) {
      std::string a = FindAddress(*x);
      if (!a.empty()) who.push_back(a);
    }
  }
  if (who.empty()) who.push_back("");
  for (const std::string& a : who) {
    if (report.recipients.size() >= max) {
      ++report.recipients_omitted;
      continue;
    }
    RecipientReport r;
    r.type = FeedbackType::kComplaint;
    r.recipient = a;
    report.recipients.push_back(std::move(r));
  }
  return f.original_mail_from;
}

// Returns the bounced message's MAIL FROM when the DSN says it (Postfix).
std::string ReadDsn(const MimePart& part, size_t max, Report& report) {
  DeliveryStatus dsn = ReadDeliveryStatus(part.text, max);
  report.format = part.type == "message/global-delivery-status" ? "rfc6533" : "rfc3464";
  report.reporting_mta = dsn.reporting_mta;
  report.recipients_omitted = dsn.omitted;
  for (auto& d : dsn.recipients) {
    RecipientReport r;
    r.type = TypeOf(d.action, d.status);
    r.recipient = std::move(d.recipient);
    r.action = std::move(d.action);
    r.status = std::move(d.status);
    r.diagnostic = std::move(d.diagnostic);
    Complete(r);
    report.recipients.push_back(std::move(r));
  }
  return dsn.sender;
}

// A text bounce in the first text part that holds one; returns the text
// and where its quoted returned message starts.
bool ReadText(const MimeMessage& m, const Parts& parts, size_t max, Report& report, std::string_view& quoted) {
  for (const MimePart* text : parts.texts) {
    std::optional<TextBounce> tb = ReadTextBounce(m.headers, text->text, max);
    if (!tb) continue;
    report.format = tb->format;
    report.recipients_omitted = tb->omitted;
    for (auto& t : tb->recipients) {
      RecipientReport r;
      r.type = t.delayed ? FeedbackType::kDelay : FeedbackType::kBounce;
      r.action = t.delayed ? "delayed" : "failed";
      r.recipient = std::move(t.recipient);
      r.diagnostic = std::move(t.diagnostic);
      Complete(r);
      report.recipients.push_back(std::move(r));
    }
    if (tb->returned_at < text->text.size()) quoted = std::string_view(text->text).substr(tb->returned_at);
    return true;
  }
  return false;
}

}  // namespace

Parser::Parser(VerpKey verp, Limits limits) : limits_(limits), verp_(std::move(verp)) {}

Report Parser::Refuse(size_t bytes) const {
  Report r;
  r.disposition = Disposition::kRefused;
  r.reason = "message of " + std::to_string(bytes) + " bytes is larger than the limit of " +
             std::to_string(limits_.max_message_bytes) + " bytes";
  return r;
}

Report Parser::Parse(std::string_view message, const std::vector<std::string>& envelope_recipients) const {
  if (message.size() > limits_.max_message_bytes) return Refuse(message.size());
  Report report;
  try {
    std::optional<MimeMessage> m = ReadMime(message);
    if (!m) {
      report.reason = "no message could be read";
      return report;
    }
    const Parts parts = Sort(*m);
    const size_t max = limits_.max_recipients;
    std::string_view quoted;  // a text bounce's inline returned message
    std::string report_sender;  // the MAIL FROM the report says the message had
    bool found = false;
    if (parts.feedback) {
      report_sender = ReadComplaint(*parts.feedback, parts, max, report);
      found = true;
    }
    if (!found && parts.status) {
      report_sender = ReadDsn(*parts.status, max, report);
      found = !report.recipients.empty();
      if (!found) report = Report();  // a DSN part without a recipient: maybe a text bounce says more
    }
    if (!found) found = ReadText(*m, parts, max, report, quoted);
    if (!found) {
      if (std::string signal = AutoReplySignal(m->headers); !signal.empty()) {
        report.format = "rfc3834";
        report.reason = signal;
        RecipientReport r;
        r.type = FeedbackType::kAutoReply;
        if (const std::string* from = FindField(m->headers, "From")) r.recipient = FindAddress(*from);
        report.recipients.push_back(std::move(r));
      } else {
        report.reason = parts.status ? "its delivery-status part names no recipient"
                                     : "no feedback report, delivery report, known bounce text or auto-reply";
      }
    }

    // The returned or reported message, and the bounce loop.
    Fields returned_headers;
    if (parts.returned) {
      returned_headers = parts.returned->headers;
    } else if (!quoted.empty()) {
      returned_headers = ReadHeaderBlock(quoted);
    }
    report.returned = FromReturnedHeaders(returned_headers);
    const bool is_delivery_report = report.format != "arf" && report.format != "rfc3834" && !report.recipients.empty();
    if (is_delivery_report && report.returned.present) {
      std::string loop = DeliveryReportSignal(returned_headers, parts.returned ? parts.returned->embedded_type : "",
                                              parts.returned ? parts.returned->embedded_report_type : "");
      if (!loop.empty()) {
        report.disposition = Disposition::kIgnored;
        report.reason = "a bounce of a bounce (the returned message: " + loop + ")";
        report.recipients.clear();
        report.recipients_omitted = 0;
      }
    }

    // The VERP: where Tayori put it (the envelope), where the receiving
    // MTAs copy it, what the report says the MAIL FROM was, and the
    // returned message's Return-Path. The first that verifies names the
    // delivery; the MAC makes a forged one name nothing.
    std::vector<std::string> candidates = envelope_recipients;
    for (const char* h : {"Delivered-To", "X-Original-To", "Envelope-To", "To"})
      for (const std::string& v : FindAll(m->headers, h)) candidates.push_back(FindAddress(v));
    candidates.push_back(report_sender);
    candidates.push_back(report.returned.return_path);
    for (const std::string& c : candidates) {
      if (c.empty()) continue;
      VerpMatcher::Match match = verp_.Check(c);
      if (match.verdict == VerpMatcher::Verdict::kVerified) {
        report.delivery_id = match.delivery_id;
        report.forged_verp.clear();
        break;
      }
      if (match.verdict == VerpMatcher::Verdict::kForged && report.forged_verp.empty())
        report.forged_verp = ScrubUtf8(c, kMaxAddressChars);
    }
  } catch (const std::exception& e) {
    // Only allocation can throw here; the message is refused, not the process.
    Report refused;
    refused.disposition = Disposition::kRefused;
    refused.reason = std::string("could not be parsed: ") + e.what();
    return refused;
  }
  return report;
}

Result<Report> Parser::ParseFile(const std::string& path, const std::vector<std::string>& envelope_recipients) const {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    if (ec || !std::filesystem::exists(path, ec)) return NotFound(path + ": no such file");
    return InvalidInput(path + ": not a regular file");
  }
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return InvalidInput(path + ": " + ec.message());
  if (size > limits_.max_message_bytes) return Refuse(size);
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidInput(path + ": cannot be opened");
  std::string data;
  data.resize(size);
  in.read(data.data(), static_cast<std::streamsize>(size));
  data.resize(static_cast<size_t>(in.gcount()));
  // A file that grew since it was measured is read only as far as the limit.
  if (in.peek() != std::char_traits<char>::eof()) return Refuse(limits_.max_message_bytes + 1);
  return Parse(data, envelope_recipients);
}

}  // namespace tayori::feedback
