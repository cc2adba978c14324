// Module render/: campaigns compiled once and one RFC 5322 message rendered per recipient; the
// only includer of kainjow mustache. May include: base/, crypto/, mime/, unsubscribe/ (its links
// in CMakeLists.txt, and what they link publicly; scripts/check-layering checks both).
//
// A campaign compiled once, rendered once per recipient into the exact
// RFC 5322 message (headers and MIME body, CRLF) that goes to the DKIM
// signer; the signer prepends DKIM-Signature and nothing else changes.
//
//   auto campaign = CompiledCampaign::Compile(spec);      // errors: fix the campaign
//   for each recipient:
//     auto msg = campaign->Render(recipient, clock.Now(), random);  // errors: skip this recipient
//
// Compile checks everything that is the same for every recipient: template
// syntax and variable names (with template name and line), the From,
// Reply-To, List-Id and Feedback-ID values, the unsubscribe settings; and it
// precomputes the static header fields. Render checks only what a recipient
// brings: the address, and the values that reach a header (CR, LF, NUL,
// controls, encoded line breaks or invalid UTF-8 reject the recipient, with
// the variable and the header named).
//
// Headers written, in this order: From, To, Subject, Date, Message-ID,
// Reply-To (when given), List-Id, List-Unsubscribe, List-Unsubscribe-Post,
// Feedback-ID, MIME-Version, Content-Type (+ Content-Transfer-Encoding for a
// single part). The body is multipart/alternative (text/plain, text/html)
// when there is HTML; a campaign without a text template gets a text part
// made from the rendered HTML (html_to_text.h).
//
// Template variables:
//   subscriber.email, subscriber.name, subscriber.id, subscriber.<field> for
//   each name in subscriber_fields        per recipient
//   shop.id, campaign.id                  tenant_id and campaign_id
//   shop.<key>, campaign.<key>            constants from shop_fields and campaign_fields
//   unsubscribe_url                       per recipient, carries the token
//
// Thread-safety: a CompiledCampaign is immutable; Render may be called from
// several threads at once, each with its own RandomSource.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "render/random_source.h"
#include "render/template.h"
#include "unsubscribe/token.h"

namespace tayori::render {

class TemplateCache;  // render/template_cache.h

struct UnsubscribeSpec {
  // The token is appended to base_url, e.g. "https://u.example/u/" + token.
  // https only; http is accepted for 127.0.0.1 and localhost (tests).
  std::string base_url;
  // Optional second List-Unsubscribe URI, used as given ("mailto:...").
  std::string mailto;
  std::optional<unsubscribe::SigningKey> key;  // required
  unsubscribe::Scope scope = unsubscribe::Scope::kList;
};

struct CampaignSpec {
  uint64_t tenant_id = 0;
  uint64_t list_id = 0;
  uint64_t campaign_id = 0;

  std::string from;      // one mailbox: "Shop <news@shop.example>"
  std::string reply_to;  // optional mailbox
  // List-Id (RFC 2919): "<list_slug.From-domain>", with list_name as phrase.
  std::string list_slug;
  std::string list_name;
  // Feedback-ID: "<campaign_id>:<tenant_id>:<mail_type>:<sender_id>".
  std::string mail_type = "newsletter";
  std::string sender_id;  // 5..15 letters, digits, '.', '_' or '-'

  UnsubscribeSpec unsubscribe;
  int utc_offset_minutes = 0;  // the zone the Date header shows

  std::vector<std::pair<std::string, std::string>> shop_fields;
  std::vector<std::pair<std::string, std::string>> campaign_fields;
  std::vector<std::string> subscriber_fields;

  TemplateSource subject;
  std::optional<TemplateSource> text;
  std::optional<TemplateSource> html;  // at least one of text and html
};

struct Recipient {
  uint64_t subscriber_id = 0;
  std::string_view email;
  std::string_view name;  // display name in To; may be empty
  // Values in CampaignSpec::subscriber_fields order; missing ones are empty.
  std::span<const std::string_view> fields;
};

struct RenderedMessage {
  std::string data;          // the message, CRLF, ready for the signer
  std::string message_id;    // "<...@domain>", as in the header
  std::string envelope_to;   // the recipient's address with an A-label domain, for RCPT TO
};

class CompiledCampaign {
 public:
  // With `templates`, each template is parsed once per text and name for all
  // campaigns compiled through that cache; the result is the same.
  static Result<CompiledCampaign> Compile(const CampaignSpec& spec, TemplateCache* templates = nullptr);

  // Renders one recipient's message. `now` gives the Date header; `random`
  // the Message-ID and boundary. Errors are kInvalidInput and concern only
  // this recipient.
  Result<RenderedMessage> Render(const Recipient& r, SysTime now, RandomSource& random) const;

  // The author (From) domain in A-label form: DKIM d= must match it.
  const std::string& author_domain() const { return author_domain_; }

 private:
  struct SlotInfo {
    std::string name;         // e.g. "subscriber.plan"
    bool in_subject = false;  // reaches a header: checked with CheckHeaderText
    bool used = false;        // appears in any template
  };

  uint64_t tenant_id_ = 0, list_id_ = 0, campaign_id_ = 0;
  unsubscribe::Scope scope_ = unsubscribe::Scope::kList;
  std::optional<unsubscribe::SigningKey> key_;
  std::string unsubscribe_base_;
  std::string unsubscribe_mailto_;  // "<mailto:...>" or empty
  int utc_offset_minutes_ = 0;
  std::string author_domain_;

  std::string from_field_;        // "From: ...\r\n"
  std::string reply_to_list_id_;  // Reply-To (optional) and List-Id fields
  std::string static_tail_;       // List-Unsubscribe-Post, Feedback-ID, MIME-Version
  std::string subject_field_;     // precomputed when the subject is constant

  std::vector<SlotInfo> slots_;
  CompiledTemplate subject_;
  std::optional<CompiledTemplate> text_;
  std::optional<CompiledTemplate> html_;
  size_t size_hint_ = 0;
};

}  // namespace tayori::render
