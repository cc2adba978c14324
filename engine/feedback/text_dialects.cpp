// The text bounce dialects. Each names the sentences it recognises; the
// quoted examples are the shapes those MTAs write (tests/feedback/corpus
// has a message of each).
#include "feedback/diagnostic.h"
#include "feedback/text_dialects.h"

namespace tayori::feedback::text {
namespace {

bool Indented(std::string_view t, size_t n) {
  if (t.size() <= n) return false;
  for (size_t i = 0; i < n; ++i)
    if (t[i] != ' ' && t[i] != '\t') return false;
  return true;
}

// The index of the first line containing `words`, or lines.size().
size_t Find(const std::vector<Line>& lines, std::string_view words, size_t from = 0) {
  for (size_t i = from; i < lines.size(); ++i)
    if (ContainsIgnoreCase(lines[i].text, words)) return i;
  return lines.size();
}

std::string_view FirstToken(std::string_view t) {
  t = TrimSpace(t);
  return t.substr(0, t.find_first_of(" \t"));
}

bool SubjectHas(const Fields& headers, std::string_view words) {
  const std::string* s = FindField(headers, "Subject");
  return s && ContainsIgnoreCase(*s, words);
}

}  // namespace

// Exim:
//   This message was created automatically by mail delivery software.
//   A message that you sent could not be delivered to one or more of its
//   recipients. This is a permanent error. The following address(es) failed:
//
//     reader@example.com
//       host mx.example.com [192.0.2.25]
//       SMTP error from remote mail server after RCPT TO:<reader@example.com>:
//       550 5.1.1 <reader@example.com>: Recipient address rejected: …
// The delay warning says "has not yet been delivered" and lists the
// addresses the same way.
bool ReadExim(const Fields& headers, const std::vector<Line>& lines, Sink& sink) {
  size_t start = Find(lines, "This message was created automatically by mail delivery software");
  if (start == lines.size()) return false;
  bool delayed = Find(lines, "has not yet been delivered", start) < lines.size() || SubjectHas(headers, "Warning: message");
  bool in_recipient = false;
  for (size_t i = start + 1; i < lines.size(); ++i) {
    std::string_view t = lines[i].text;
    // An address at two spaces; the sender's "<…>" in "A message sent by" is not one.
    if (Indented(t, 2) && t[2] != ' ' && t[2] != '\t' && t[2] != '<' && FirstToken(t).find('@') != std::string_view::npos) {
      std::string_view token = FirstToken(t);
      if (!token.empty() && token.back() == ':') token.remove_suffix(1);
      in_recipient = sink.Add(FindAddress(token), delayed);
      size_t colon = t.find(": ");
      if (colon != std::string_view::npos) sink.Diagnose(t.substr(colon + 2));
    } else if (in_recipient && Indented(t, 4)) {
      sink.Diagnose(t);
    } else if (!TrimSpace(t).empty()) {
      in_recipient = false;
    }
  }
  return !sink.empty();
}

// Sendmail without a DSN part (V5, or V8 sending plain text):
//      ----- The following addresses had permanent fatal errors -----
//   <reader@example.com>
//       (reason: 550 5.1.1 <reader@example.com>... User unknown)
//
//      ----- Transcript of session follows -----
//   ... while talking to mx.example.com.:
//   >>> RCPT To:<reader@example.com>
//   <<< 550 5.1.1 <reader@example.com>... User unknown
//   550 5.1.1 <reader@example.com>... User unknown
// "transient non-fatal errors" and "THIS IS A WARNING MESSAGE ONLY" mark a delay.
bool ReadSendmail(const Fields& headers, const std::vector<Line>& lines, Sink& sink) {
  size_t summary = Find(lines, "----- The following addresses had permanent fatal errors -----");
  size_t transient = Find(lines, "----- The following addresses had transient non-fatal errors -----");
  size_t transcript = Find(lines, "----- Transcript of session follows -----");
  if (summary == lines.size() && transient == lines.size() && transcript == lines.size()) return false;
  bool delayed = summary == lines.size() &&
                 (transient < lines.size() || HasLine(lines, "THIS IS A WARNING MESSAGE ONLY") ||
                  SubjectHas(headers, "Warning: could not send"));
  // Remote replies in the transcript, by the address they name.
  auto remote_reply = [&](std::string_view address) -> std::string_view {
    for (size_t i = transcript; i < lines.size(); ++i) {
      std::string_view t = TrimSpace(lines[i].text);
      if (t.rfind("<<<", 0) == 0 && ContainsIgnoreCase(t, address)) return TrimSpace(t.substr(3));
    }
    return {};
  };
  size_t section = summary < lines.size() ? summary : transient;
  if (section < lines.size()) {
    bool in_recipient = false;
    for (size_t i = section + 1; i < lines.size(); ++i) {
      std::string_view t = TrimSpace(lines[i].text);
      if (t.rfind("-----", 0) == 0) break;
      if (t.empty()) continue;
      if (t.rfind("(reason:", 0) == 0) {
        if (in_recipient) sink.Diagnose(t.substr(8, t.size() > 9 && t.back() == ')' ? t.size() - 9 : std::string_view::npos));
      } else if (t.front() != '(' && t.find('@') != std::string_view::npos) {
        std::string a = FindAddress(t);
        in_recipient = sink.Add(a, delayed);
        if (in_recipient && !a.empty() && remote_reply(a).size() > 0) sink.Diagnose(remote_reply(a));
      }
    }
  }
  if (!sink.empty() || transcript == lines.size()) return !sink.empty();
  // No summary (V5): the local "550 … <address>... reason" lines name them.
  for (size_t i = transcript + 1; i < lines.size(); ++i) {
    std::string_view t = TrimSpace(lines[i].text);
    size_t dots = t.find("... ");
    if (dots == std::string_view::npos || FindReplyCode(t.substr(0, 3)).empty()) continue;
    std::string a = FindAddress(t.substr(0, dots));
    if (sink.Add(a, delayed)) {
      std::string_view remote = remote_reply(a);
      sink.Diagnose(remote.empty() ? t : remote);
    }
  }
  return !sink.empty();
}

// Exchange 2007 and later, and Exchange Online in plain text:
//   Diagnostic information for administrators:
//   Generating server: mx.example.com
//   reader@example.com
//   #550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##
// Exchange 2003:
//   The following recipient(s) could not be reached:
//         reader@example.com on 4/29/2017 11:23 PM
//               The e-mail account does not exist at the organization …
//               <mx.example.com #5.1.1 smtp;550 5.1.1 User unknown>
bool ReadExchange(const std::vector<Line>& lines, Sink& sink) {
  size_t start = Find(lines, "Diagnostic information for administrators");
  if (start < lines.size()) {
    for (size_t i = start + 1; i < lines.size(); ++i) {
      std::string_view t = TrimSpace(lines[i].text);
      if (t.empty() || StartsWithIgnoreCase(t, "Generating server")) continue;
      if (t.find(' ') == std::string_view::npos && t.find('@') != std::string_view::npos) {
        sink.Add(FindAddress(t), false);
      } else if (t.front() == '#' || StartsWithIgnoreCase(t, "Remote Server") || !FindStatus(t).empty()) {
        sink.Diagnose(t);
      }
    }
    return !sink.empty();
  }
  start = Find(lines, "recipient(s) could not be reached");
  if (start == lines.size()) start = Find(lines, "recipient(s) cannot be reached");
  if (start == lines.size()) return false;
  for (size_t i = start + 1; i < lines.size(); ++i) {
    std::string_view t = lines[i].text;
    if (TrimSpace(t).empty()) continue;
    if (FirstToken(t).find('@') != std::string_view::npos) {
      sink.Add(FindAddress(FirstToken(t)), false);
    } else {
      sink.Diagnose(t);
    }
  }
  return !sink.empty();
}

// Gmail before it sent DSNs:
//   Delivery to the following recipient failed permanently:
//
//        reader@example.com
//
//   Technical details of permanent failure:
//   Google tried to deliver your message, but it was rejected by the server …
//   550 5.1.1 <reader@example.com>... User unknown
// "has been delayed" for the warning.
bool ReadGmail(const std::vector<Line>& lines, Sink& sink) {
  size_t start = Find(lines, "Delivery to the following recipient");
  if (start == lines.size()) return false;
  bool delayed = ContainsIgnoreCase(lines[start].text, "delayed");
  std::vector<size_t> added;
  size_t i = start + 1;
  for (; i < lines.size(); ++i) {
    std::string_view t = lines[i].text;
    if (TrimSpace(t).empty()) {
      if (!added.empty()) break;
      continue;
    }
    if (!Indented(t, 1) || FirstToken(t).find('@') == std::string_view::npos) break;
    if (sink.Add(FindAddress(t), delayed)) added.push_back(i);
  }
  // The technical details apply to every recipient listed; Gmail lists one.
  for (; i < lines.size() && !added.empty(); ++i) sink.Diagnose(lines[i].text);
  return !sink.empty();
}

// OpenSMTPD:
//       This is the MAILER-DAEMON, please DO NOT REPLY to this e-mail.
//       An error has occurred while attempting to deliver a message for
//       the following list of recipients:
//
//   reader@example.com: 550 5.2.2 <reader@example.com>... Mailbox Full
// "A message is delayed for more than" for the warning.
bool ReadOpenSmtpd(const std::vector<Line>& lines, Sink& sink) {
  size_t start = Find(lines, "This is the MAILER-DAEMON, please DO NOT REPLY to this");
  if (start == lines.size()) return false;
  bool delayed = Find(lines, "A message is delayed for more than", start) < lines.size();
  for (size_t i = start + 1; i < lines.size(); ++i) {
    std::string_view t = lines[i].text;
    size_t colon = t.find(": ");
    if (Indented(t, 1) || colon == std::string_view::npos || t.substr(0, colon).find('@') == std::string_view::npos)
      continue;
    if (sink.Add(FindAddress(t.substr(0, colon)), delayed)) sink.Diagnose(t.substr(colon + 2));
  }
  return !sink.empty();
}

// au by KDDI:
//   Your mail sent on: Thu, 29 Apr 2010 11:04:47 +0900
//       Could not be delivered to: <reader@example.jp>
//       As their mailbox is full.
bool ReadAu(const std::vector<Line>& lines, Sink& sink) {
  size_t start = Find(lines, "Your mail sent on:");
  if (start == lines.size()) start = Find(lines, "Your mail attempted to be delivered on:");
  if (start == lines.size()) return false;
  bool in_recipient = false;
  for (size_t i = start + 1; i < lines.size(); ++i) {
    std::string_view t = lines[i].text;
    size_t p = t.find("Could not be delivered to:");
    if (p != std::string_view::npos) {
      in_recipient = sink.Add(FindAddress(t.substr(p)), false);
    } else if (TrimSpace(t).empty()) {
      in_recipient = false;
    } else if (in_recipient) {
      sink.Diagnose(t);
    }
  }
  return !sink.empty();
}

}  // namespace tayori::feedback::text
