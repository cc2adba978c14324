#include "feedback/text_bounce.h"

#include "feedback/diagnostic.h"
#include "feedback/limits.h"
#include "feedback/text_dialects.h"

namespace tayori::feedback {
namespace text {

bool Sink::Add(std::string recipient, bool delayed) {
  accepting_ = false;
  if (recipient.empty()) return false;
  for (const auto& r : recipients_)
    if (EqualsIgnoreCase(r.recipient, recipient)) return false;  // named twice (Sendmail's summary and transcript)
  if (recipients_.size() >= max_) {
    ++omitted_;
    return false;
  }
  recipients_.push_back({std::move(recipient), "", delayed});
  diagnostics_.emplace_back();
  accepting_ = true;
  return true;
}

void Sink::Diagnose(std::string_view line) {
  if (!accepting_) return;
  std::string& d = diagnostics_.back();
  line = TrimSpace(line);
  if (line.empty() || d.size() > kMaxDiagnosticChars * 4) return;
  if (!d.empty()) d += ' ';
  d += line;
}

TextBounce Sink::Finish(std::string format, size_t returned_at) {
  TextBounce out;
  out.format = std::move(format);
  out.omitted = omitted_;
  out.returned_at = returned_at;
  for (size_t i = 0; i < recipients_.size(); ++i) {
    recipients_[i].diagnostic = OneLine(diagnostics_[i], kMaxDiagnosticChars);
    out.recipients.push_back(std::move(recipients_[i]));
  }
  return out;
}

bool HasLine(const std::vector<Line>& lines, std::string_view words) {
  for (const auto& l : lines)
    if (ContainsIgnoreCase(l.text, words)) return true;
  return false;
}

// "<reader@example.com>: …" at the start of a line: qmail and Yahoo (the
// diagnostic on the lines after it), Postfix without its DSN part and au's
// EZweb (on the same line, continued on indented lines).
bool ReadAngle(const Fields& headers, const std::vector<Line>& lines, bool gated, Sink& sink, std::string& format) {
  format = "";
  if (HasLine(lines, "This is the qmail-send program") || HasLine(lines, "unable to deliver your message to the following address")) {
    format = "qmail";
  } else if (HasLine(lines, "This is the mail system at host") || HasLine(lines, "This is the Postfix program at host")) {
    format = "postfix";
  } else if (HasLine(lines, "The user(s) account") || HasLine(lines, "Each of the following recipients was rejected")) {
    format = "au";
  } else if (!gated) {
    return false;
  } else {
    format = "generic";
  }
  const std::string* subject = FindField(headers, "Subject");
  bool delayed = (subject && ContainsIgnoreCase(*subject, "Delayed Mail")) || HasLine(lines, "THIS IS A WARNING ONLY");
  bool in_recipient = false;
  for (const auto& l : lines) {
    std::string_view t = l.text;
    size_t gt = t.find('>');
    if (!t.empty() && t.front() == '<' && gt != std::string_view::npos && t.substr(0, gt).find('@') != std::string_view::npos) {
      size_t colon = t.find(':', gt);
      if (colon == std::string_view::npos) continue;
      in_recipient = sink.Add(FindAddress(t.substr(0, gt + 1)), delayed);
      sink.Diagnose(t.substr(colon + 1));
      continue;
    }
    if (TrimSpace(t).empty()) {
      in_recipient = false;
      continue;
    }
    if (in_recipient) sink.Diagnose(t);
  }
  return !sink.empty();
}

}  // namespace text

namespace {

// The lines that begin the quoted returned message, per dialect.
constexpr std::string_view kSeparators[] = {
    "--- Below this line is a copy of the message.",           // qmail, Yahoo
    "--- Below the next line is a copy of the message.",
    "--- Below this line is a copy of the mail header.",
    "------ This is a copy of the message, including all the headers.",  // Exim
    "----- This is a copy of the message, including all the headers.",
    "------ This is a copy of the message's headers.",
    "----- Original message -----",                            // Gmail
    "----- Original message follows -----",                    // Sendmail
    "----- Unsent message follows -----",
    "----- Message header follows -----",
    "Below is a copy of the original message:",                // OpenSMTPD
    "Original message headers:",                               // Exchange
    "Original Message Headers",
};

std::vector<text::Line> SplitLines(std::string_view body, size_t& returned_at) {
  std::vector<text::Line> lines;
  returned_at = std::string_view::npos;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t nl = body.find('\n', pos);
    size_t end = nl == std::string_view::npos ? body.size() : nl;
    std::string_view t = body.substr(pos, end - pos);
    if (!t.empty() && t.back() == '\r') t.remove_suffix(1);
    std::string_view trimmed = TrimSpace(t);
    for (std::string_view sep : kSeparators) {
      if (StartsWithIgnoreCase(trimmed, sep)) {
        returned_at = end == body.size() ? end : end + 1;
        return lines;
      }
    }
    lines.push_back({t, pos});
    pos = end + 1;
  }
  return lines;
}

// Exim and others name the failed addresses in a header; the body's first
// line with an SMTP code is the best diagnostic there is.
bool ReadFailedRecipientsHeader(const Fields& headers, const std::vector<text::Line>& lines, text::Sink& sink) {
  std::string diagnostic;
  for (const auto& l : lines) {
    if (!FindReplyCode(l.text).empty() || !FindStatus(l.text).empty()) {
      diagnostic = std::string(l.text);
      break;
    }
  }
  for (const std::string& value : FindAll(headers, "X-Failed-Recipients")) {
    std::string_view rest = value;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string a = FindAddress(rest.substr(0, comma));
      if (sink.Add(a, false)) sink.Diagnose(diagnostic);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return !sink.empty();
}

}  // namespace

bool LooksLikeBounce(const Fields& headers) {
  if (FindField(headers, "X-Failed-Recipients")) return true;
  if (const std::string* from = FindField(headers, "From")) {
    for (std::string_view w : {"mailer-daemon", "postmaster@", "mail delivery"})
      if (ContainsIgnoreCase(*from, w)) return true;
  }
  if (const std::string* subject = FindField(headers, "Subject")) {
    for (std::string_view w :
         {"undeliver", "undelivered", "delivery status notification", "failure notice", "delivery failure",
          "mail delivery failed", "returned mail", "delivery failed", "mail system error", "delayed mail",
          "warning: message", "warning: could not send", "non remis", "unzustellbar", "mail delivery status",
          "nondeliverable", "could not be delivered", "message not delivered", "delivery has failed"})
      if (ContainsIgnoreCase(*subject, w)) return true;
  }
  return false;
}

std::optional<TextBounce> ReadTextBounce(const Fields& headers, std::string_view body, size_t max_recipients) {
  size_t returned_at = std::string_view::npos;
  std::vector<text::Line> lines = SplitLines(body, returned_at);
  const bool gated = LooksLikeBounce(headers);
  // The dialects with sentences of their own first; the loose "<address>:"
  // reader and the X-Failed-Recipients header last.
  struct Dialect {
    const char* format;
    bool (*read)(const Fields&, const std::vector<text::Line>&, text::Sink&);
  };
  const Dialect dialects[] = {
      {"exim", [](const Fields& h, const std::vector<text::Line>& l, text::Sink& s) { return text::ReadExim(h, l, s); }},
      {"sendmail", [](const Fields& h, const std::vector<text::Line>& l, text::Sink& s) { return text::ReadSendmail(h, l, s); }},
      {"exchange", [](const Fields&, const std::vector<text::Line>& l, text::Sink& s) { return text::ReadExchange(l, s); }},
      {"gmail", [](const Fields&, const std::vector<text::Line>& l, text::Sink& s) { return text::ReadGmail(l, s); }},
      {"opensmtpd", [](const Fields&, const std::vector<text::Line>& l, text::Sink& s) { return text::ReadOpenSmtpd(l, s); }},
      {"au", [](const Fields&, const std::vector<text::Line>& l, text::Sink& s) { return text::ReadAu(l, s); }},
  };
  for (const auto& d : dialects) {
    text::Sink sink(max_recipients);
    if (d.read(headers, lines, sink)) return sink.Finish(d.format, returned_at);
  }
  {
    text::Sink sink(max_recipients);
    std::string format;
    if (text::ReadAngle(headers, lines, gated, sink, format)) return sink.Finish(format, returned_at);
  }
  if (gated) {
    text::Sink sink(max_recipients);
    if (ReadFailedRecipientsHeader(headers, lines, sink)) return sink.Finish("x-failed-recipients", returned_at);
  }
  return std::nullopt;
}

}  // namespace tayori::feedback
