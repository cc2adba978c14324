#include "feedback/delivery_status.h"

#include "feedback/diagnostic.h"
#include "feedback/fields.h"
#include "feedback/limits.h"

namespace tayori::feedback {
namespace {

bool IsRecipientField(const std::string& name) {
  return EqualsIgnoreCase(name, "Final-Recipient") || EqualsIgnoreCase(name, "Original-Recipient");
}

DsnRecipient FromGroup(const Fields& g) {
  DsnRecipient r;
  const std::string* original = FindField(g, "Original-Recipient");
  const std::string* final_rcpt = FindField(g, "Final-Recipient");
  // Original-Recipient is the address Tayori gave in RCPT TO (RFC 3464
  // §2.3.1); Final-Recipient may be what an alias expanded it to.
  if (original) r.recipient = DsnAddress(*original);
  if (r.recipient.empty() && final_rcpt) r.recipient = DsnAddress(*final_rcpt);
  if (const std::string* a = FindField(g, "Action")) r.action = ToLowerAscii(TrimSpace(*a));
  if (const std::string* s = FindField(g, "Status")) r.status = StatusToken(*s);
  if (const std::string* d = FindField(g, "Diagnostic-Code")) r.diagnostic = OneLine(AfterType(*d), kMaxDiagnosticChars);
  return r;
}

}  // namespace

DeliveryStatus ReadDeliveryStatus(std::string_view text, size_t max_recipients) {
  DeliveryStatus out;
  bool first = true;
  // Emits the recipients in g[from…]: a new one starts at a recipient field
  // the current one already has (MTAs that leave out the blank lines).
  auto recipients = [&](const Fields& g, size_t from) {
    Fields current;
    auto emit = [&] {
      bool has_recipient = false;
      for (const auto& f : current) has_recipient = has_recipient || IsRecipientField(f.name);
      if (has_recipient) {
        if (out.recipients.size() < max_recipients) {
          out.recipients.push_back(FromGroup(current));
        } else {
          ++out.omitted;
        }
      }
      current.clear();
    };
    for (size_t i = from; i < g.size(); ++i) {
      if (IsRecipientField(g[i].name) && FindField(current, g[i].name)) emit();
      current.push_back(g[i]);
    }
    emit();
  };
  ForEachFieldGroup(text, [&](Fields& g) {
    size_t from = 0;
    if (first) {
      first = false;
      if (const std::string* m = FindField(g, "Reporting-MTA")) out.reporting_mta = OneLine(AfterType(*m), 255);
      for (const char* name : {"X-Postfix-Sender", "X-Original-Sender"}) {
        const std::string* s = FindField(g, name);
        if (s && out.sender.empty()) out.sender = DsnAddress(*s);
      }
      // The per-message fields end where the first recipient field is
      // (normally at the blank line, so the whole group).
      from = g.size();
      for (size_t i = 0; i < g.size() && from == g.size(); ++i)
        if (IsRecipientField(g[i].name)) from = i;
    }
    recipients(g, from);
    return true;
  });
  return out;
}

}  // namespace tayori::feedback
