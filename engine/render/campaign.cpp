#include "render/campaign.h"

#include <algorithm>
#include <array>

#include "mime/address.h"
#include "mime/date.h"
#include "mime/encoded_word.h"
#include "mime/header_folder.h"
#include "mime/header_safety.h"
#include "mime/message_id.h"
#include "mime/multipart.h"
#include "render/html_to_text.h"
#include "render/template_cache.h"

namespace tayori::render {
namespace {

// Slot numbers of the built-in per-recipient variables; subscriber fields
// follow from kFirstField.
constexpr uint32_t kSlotUnsubscribeUrl = 0;
constexpr uint32_t kSlotEmail = 1;
constexpr uint32_t kSlotName = 2;
constexpr uint32_t kSlotId = 3;
constexpr uint32_t kFirstField = 4;

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.';
}

bool IsFieldName(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) { return IsTokenChar(c) && c != '.'; });
}

// URIs in List-Unsubscribe sit inside <...> (RFC 2369 §2): printable ASCII
// without space, '<', '>', '"' or '\'.
bool IsHeaderUri(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return c > 0x20 && c < 0x7F && c != '<' && c != '>' && c != '"' && c != '\\';
  });
}

Status CheckUnsubscribe(const UnsubscribeSpec& u) {
  const std::string& b = u.base_url;
  bool https = b.rfind("https://", 0) == 0 && b.size() > 8;
  bool loopback = b.rfind("http://127.0.0.1", 0) == 0 || b.rfind("http://localhost", 0) == 0;
  // RFC 8058 §3.1: the one-click URI must be HTTPS.
  if (!https && !loopback) return InvalidInput("unsubscribe.base_url '" + b + "' must start with https://");
  if (!IsHeaderUri(b)) return InvalidInput("unsubscribe.base_url '" + b + "' has a character not allowed in a URI");
  if (!u.mailto.empty() && (u.mailto.rfind("mailto:", 0) != 0 || !IsHeaderUri(u.mailto)))
    return InvalidInput("unsubscribe.mailto '" + u.mailto + "' must be a mailto: URI without spaces or <>\"\\");
  if (!u.key) return InvalidInput("unsubscribe: no signing key");
  return Status::Ok();
}

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

void AppendSubjectField(std::string& out, std::string_view subject) {
  mime::HeaderFolder f(&out, "Subject");
  mime::AppendUnstructured(f, subject);
  f.Finish();
}

// Body templates are made CRLF once here, so rendered parts are already in
// canonical form (RFC 2046 §4.1.1) and the encoders need not copy them.
TemplateSource WithCrlf(const TemplateSource& s) {
  TemplateSource out{s.name, {}};
  out.text.reserve(s.text.size() + s.text.size() / 32);
  for (size_t i = 0; i < s.text.size(); ++i) {
    char c = s.text[i];
    if (c == '\r' || c == '\n') {
      out.text += "\r\n";
      if (c == '\r' && i + 1 < s.text.size() && s.text[i + 1] == '\n') ++i;
    } else {
      out.text += c;
    }
  }
  return out;
}

Result<TemplateSource> SubjectSource(const TemplateSource& s) {
  // subject.mustache files end with a newline; the subject is one line.
  TemplateSource out = s;
  while (!out.text.empty() && (out.text.back() == '\n' || out.text.back() == '\r')) out.text.pop_back();
  return out;
}

}  // namespace

Result<CompiledCampaign> CompiledCampaign::Compile(const CampaignSpec& spec, TemplateCache* templates) {
  CompiledCampaign c;
  c.tenant_id_ = spec.tenant_id;
  c.list_id_ = spec.list_id;
  c.campaign_id_ = spec.campaign_id;
  c.utc_offset_minutes_ = spec.utc_offset_minutes;
  if (spec.utc_offset_minutes <= -24 * 60 || spec.utc_offset_minutes >= 24 * 60)
    return InvalidInput("utc offset " + std::to_string(spec.utc_offset_minutes) + " minutes is not a time zone");

  // --- static header fields ---
  auto from = mime::ParseMailbox(spec.from);
  if (!from.ok()) return from.status().WithContext("From");
  c.author_domain_ = from->domain;
  c.from_field_ = mime::FormatMailboxField("From", *from);
  if (!spec.reply_to.empty()) {
    auto reply_to = mime::ParseMailbox(spec.reply_to);
    if (!reply_to.ok()) return reply_to.status().WithContext("Reply-To");
    c.reply_to_list_id_ = mime::FormatMailboxField("Reply-To", *reply_to);
  }

  // RFC 2919 §2: list-id = [phrase] "<" list-label "." list-id-namespace ">",
  // the namespace being a domain the sender controls: the author domain.
  if (spec.list_slug.empty() || spec.list_slug.size() > 64 || spec.list_slug.front() == '.' ||
      spec.list_slug.back() == '.' || !std::all_of(spec.list_slug.begin(), spec.list_slug.end(), IsTokenChar) ||
      spec.list_slug.find("..") != std::string::npos)
    return InvalidInput("List-Id: list slug '" + spec.list_slug +
                        "' must be 1..64 letters, digits, '-', '_' or inner dots");
  TAYORI_RETURN_IF_ERROR(mime::CheckHeaderText("List-Id: list name", spec.list_name));
  {
    mime::HeaderFolder f(&c.reply_to_list_id_, "List-Id");
    mime::AppendPhrase(f, spec.list_name);
    f.Word("<" + spec.list_slug + "." + c.author_domain_ + ">");
    f.Finish();
  }

  c.static_tail_ = "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n";
  auto valid_id = [](std::string_view s, size_t lo, size_t hi) {
    return s.size() >= lo && s.size() <= hi && std::all_of(s.begin(), s.end(), IsTokenChar);
  };
  // Gmail's Feedback-ID: colon-separated identifiers, SenderId last (5..15).
  if (!valid_id(spec.sender_id, 5, 15))
    return InvalidInput("Feedback-ID: sender id '" + spec.sender_id +
                        "' must be 5 to 15 letters, digits, '.', '_' or '-'");
  if (!valid_id(spec.mail_type, 1, 32))
    return InvalidInput("Feedback-ID: mail type '" + spec.mail_type + "' must be 1 to 32 letters, digits, '.', '_' or '-'");
  c.static_tail_ += "Feedback-ID: " + std::to_string(spec.campaign_id) + ":" + std::to_string(spec.tenant_id) + ":" +
                    spec.mail_type + ":" + spec.sender_id + "\r\n";
  c.static_tail_ += "MIME-Version: 1.0\r\n";

  TAYORI_RETURN_IF_ERROR(CheckUnsubscribe(spec.unsubscribe));
  c.unsubscribe_base_ = spec.unsubscribe.base_url;
  if (!spec.unsubscribe.mailto.empty()) c.unsubscribe_mailto_ = "<" + spec.unsubscribe.mailto + ">";
  c.key_ = spec.unsubscribe.key;
  c.scope_ = spec.unsubscribe.scope;

  // --- variables ---
  if (!spec.html && !spec.text) return InvalidInput("the campaign has neither a text nor an HTML template");
  TemplateVariables vars;
  c.slots_ = {{"unsubscribe_url"}, {"subscriber.email"}, {"subscriber.name"}, {"subscriber.id"}};
  vars.AddSlot("unsubscribe_url", kSlotUnsubscribeUrl);
  vars.AddSlot("subscriber.email", kSlotEmail);
  vars.AddSlot("subscriber.name", kSlotName);
  vars.AddSlot("subscriber.id", kSlotId);
  for (const std::string& f : spec.subscriber_fields) {
    if (!IsFieldName(f)) return InvalidInput("subscriber field '" + f + "': names are letters, digits, '-' and '_'");
    std::string name = "subscriber." + f;
    if (vars.Find(name)) return InvalidInput("subscriber field '" + f + "' is declared twice or is built in");
    vars.AddSlot(name, static_cast<uint32_t>(c.slots_.size()));
    c.slots_.push_back({name});
  }
  const std::string subject_text = spec.subject.text;
  auto add_constants = [&](std::string_view group, const auto& fields) -> Status {
    for (const auto& [key, value] : fields) {
      std::string name = std::string(group) + "." + key;
      if (!IsFieldName(key)) return InvalidInput(name + ": field names are letters, digits, '-' and '_'");
      if (vars.Find(name)) return InvalidInput(name + " is declared twice or is built in");
      // Constants are folded into the subject at compile time: check them
      // here, by name, so a bad shop field is reported once, not per message.
      if (subject_text.find(name) != std::string::npos)
        TAYORI_RETURN_IF_ERROR(mime::CheckHeaderText(name + " (in Subject)", value));
      TAYORI_RETURN_IF_ERROR(mime::CheckBodyText(name, value));
      vars.AddConstant(name, value);
    }
    return Status::Ok();
  };
  vars.AddConstant("shop.id", std::to_string(spec.tenant_id));
  vars.AddConstant("campaign.id", std::to_string(spec.campaign_id));
  TAYORI_RETURN_IF_ERROR(add_constants("shop", spec.shop_fields));
  TAYORI_RETURN_IF_ERROR(add_constants("campaign", spec.campaign_fields));

  // --- templates ---
  TAYORI_ASSIGN_OR_RETURN(TemplateSource subject_src, SubjectSource(spec.subject));
  TAYORI_RETURN_IF_ERROR(mime::CheckHeaderText(spec.subject.name, subject_src.text));
  auto compile = [&](const TemplateSource& src, Escaping escaping) -> Result<CompiledTemplate> {
    if (!templates) return CompiledTemplate::Compile(src, vars, escaping);
    TAYORI_ASSIGN_OR_RETURN(auto parsed, templates->Parse(src));
    return CompiledTemplate::Compile(*parsed, vars, escaping);
  };
  TAYORI_ASSIGN_OR_RETURN(c.subject_, compile(subject_src, Escaping::kNone));
  if (spec.text) {
    TAYORI_RETURN_IF_ERROR(mime::CheckBodyText(spec.text->name, spec.text->text));
    TAYORI_ASSIGN_OR_RETURN(CompiledTemplate t, compile(WithCrlf(*spec.text), Escaping::kNone));
    c.text_ = std::move(t);
  }
  if (spec.html) {
    TAYORI_RETURN_IF_ERROR(mime::CheckBodyText(spec.html->name, spec.html->text));
    TAYORI_ASSIGN_OR_RETURN(CompiledTemplate t, compile(WithCrlf(*spec.html), Escaping::kHtml));
    c.html_ = std::move(t);
  }
  for (uint32_t i = 0; i < c.slots_.size(); ++i) {
    c.slots_[i].in_subject = c.subject_.UsesSlot(i);
    c.slots_[i].used = c.slots_[i].in_subject || (c.text_ && c.text_->UsesSlot(i)) || (c.html_ && c.html_->UsesSlot(i));
  }
  if (c.subject_.IsConstant()) {
    std::string s;
    c.subject_.Render({}, s);
    std::string_view trimmed = TrimSpace(s);
    TAYORI_RETURN_IF_ERROR(mime::CheckHeaderText("Subject", trimmed));
    AppendSubjectField(c.subject_field_, trimmed);
  }

  // Encoded bodies: base64 adds a third, quoted-printable of Japanese text
  // close to two; 2x the literal text plus headers rarely reallocates.
  size_t literal = (c.text_ ? c.text_->LiteralSize() : 0) + (c.html_ ? c.html_->LiteralSize() : 0);
  c.size_hint_ = 2 * literal + 2048;
  return c;
}

Result<RenderedMessage> CompiledCampaign::Render(const Recipient& r, SysTime now, RandomSource& random) const {
  // --- check what this recipient brings ---
  auto to = mime::ParseAddrSpec(r.email);
  if (!to.ok()) return to.status().WithContext("subscriber.email (in To)");
  TAYORI_RETURN_IF_ERROR(mime::CheckHeaderText("subscriber.name (in To)", r.name));
  to->display_name = std::string(r.name);

  const size_t nslots = slots_.size();
  std::array<std::string_view, 32> inline_slots;
  std::vector<std::string_view> heap_slots;
  std::span<std::string_view> slots;
  if (nslots <= inline_slots.size()) {
    slots = std::span<std::string_view>(inline_slots.data(), nslots);
  } else {
    heap_slots.resize(nslots);
    slots = heap_slots;
  }
  for (uint32_t i = kFirstField; i < nslots; ++i) {
    size_t f = i - kFirstField;
    std::string_view v = f < r.fields.size() ? r.fields[f] : std::string_view();
    if (slots_[i].used) {
      if (slots_[i].in_subject) {
        TAYORI_RETURN_IF_ERROR(mime::CheckHeaderText(slots_[i].name + " (in Subject)", v));
      } else {
        TAYORI_RETURN_IF_ERROR(mime::CheckBodyText(slots_[i].name, v));
      }
    }
    slots[i] = v;
  }

  std::string unsubscribe_url = unsubscribe_base_;
  unsubscribe_url += unsubscribe::Encode(
      *key_, unsubscribe::TokenFields{tenant_id_, list_id_, r.subscriber_id, campaign_id_, scope_});
  std::string id = std::to_string(r.subscriber_id);
  slots[kSlotUnsubscribeUrl] = unsubscribe_url;
  slots[kSlotEmail] = r.email;
  slots[kSlotName] = r.name;
  slots[kSlotId] = id;

  RenderedMessage m;
  std::string& out = m.data;
  out.reserve(size_hint_ + unsubscribe_url.size() * 3);

  // --- header ---
  out += from_field_;
  {
    mime::HeaderFolder f(&out, "To");
    mime::AppendMailbox(f, *to);
    f.Finish();
  }
  if (!subject_field_.empty()) {
    out += subject_field_;
  } else {
    std::string s;
    s.reserve(subject_.LiteralSize() + 64);
    subject_.Render(slots, s);
    std::string_view subject = TrimSpace(s);
    // Each value was checked alone; this catches what only their
    // combination makes (an encoded-word split across two values).
    TAYORI_RETURN_IF_ERROR(mime::CheckHeaderText("Subject", subject));
    AppendSubjectField(out, subject);
  }
  out += "Date: ";
  out += mime::FormatDate(now, utc_offset_minutes_);
  out += "\r\n";

  std::array<char, mime::kMessageIdRandomBytes + mime::kBoundaryRandomBytes> rnd;
  random.Fill(rnd.data(), rnd.size());
  m.message_id = mime::MakeMessageId(std::string_view(rnd.data(), mime::kMessageIdRandomBytes), author_domain_);
  out += "Message-ID: ";
  out += m.message_id;
  out += "\r\n";
  out += reply_to_list_id_;
  {
    // RFC 8058 §3.1: the HTTPS URI first. The fold goes only between the
    // URIs, never inside <...>, so relaxed canonicalization is stable.
    mime::HeaderFolder f(&out, "List-Unsubscribe");
    f.Word("<" + unsubscribe_url + ">");
    if (!unsubscribe_mailto_.empty()) {
      f.Glue(",");
      f.Word(unsubscribe_mailto_);
    }
    f.Finish();
  }
  out += static_tail_;

  // --- body ---
  std::string html, text;
  if (html_) {
    html.reserve(html_->LiteralSize() + 512);
    html_->Render(slots, html);
  }
  if (text_) {
    text.reserve(text_->LiteralSize() + 256);
    text_->Render(slots, text);
  } else {
    text = HtmlToText(html);
  }
  if (html_) {
    std::string boundary =
        mime::MakeBoundary(std::string_view(rnd.data() + mime::kMessageIdRandomBytes, mime::kBoundaryRandomBytes));
    out += "Content-Type: ";
    out += mime::MultipartContentType(boundary);
    out += "\r\n\r\n";
    mime::AppendAlternative(out, boundary, text, html);
  } else {
    mime::AppendTextEntity(out, "text/plain", text);
    // The message ends with a line break (RFC 5322 §2.1: lines end in CRLF).
    if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  }
  m.envelope_to = to->AddrSpec();
  return m;
}

}  // namespace tayori::render
