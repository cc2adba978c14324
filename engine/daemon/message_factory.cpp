#include "daemon/message_factory.h"

#include <chrono>

#include "readiness/mailbox_providers.h"

#include <nlohmann/json.hpp>

#include <time.h>

#include <cctype>
#include <set>

#include "keys/sealed_keys.h"

namespace tayori::daemon {

Result<FactorySecrets> LoadFactorySecrets(const config::Config& config) {
  FactorySecrets s;
  TAYORI_ASSIGN_OR_RETURN(s.keks, keys::LoadKeks(config.dkim));
  for (const auto& k : config.unsubscribe.keys) {
    if (k.id != config.unsubscribe.active_key_id) continue;
    std::string key_name = "unsubscribe.keys[" + k.id + "].secret_env";
    TAYORI_ASSIGN_OR_RETURN(std::string secret, config::ResolveSecret(k.secret_env, key_name));
    auto key = unsubscribe::SigningKey::FromBase64(k.id, secret);  // the same key the HTTP endpoint verifies with
    if (!key.ok()) return ConfigError(key_name + ": " + key.status().message());
    s.unsubscribe_key = std::move(key).value();
  }
  if (!s.unsubscribe_key)
    return ConfigError("unsubscribe.active_key_id: no active unsubscribe key configured; every newsletter needs one");
  return s;
}

namespace {

// This thread's CPU time: unlike the wall clock, it does not grow while the
// thread waits for a core, so the signature's own cost shows on a busy machine.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Subscriber fields a campaign's templates mention ({{subscriber.plan}}):
// declared to the template compiler so only these are extracted per recipient.

// RFC 5322 §3.2.4 quoted-string for a display name kept apart from the address.
std::string QuotedName(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Adds the string members of a JSON object to `out` (later keys win over
// the built-in ones such as shop.name).
Status AddJsonFields(const std::string& json, const char* what,
                     std::vector<std::pair<std::string, std::string>>& out) {
  if (json.empty()) return Status::Ok();
  auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Permanent(std::string(what) + " are not a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::string value = it->is_string() ? it->get<std::string>() : it->dump();
    auto existing = std::find_if(out.begin(), out.end(), [&](const auto& p) { return p.first == it.key(); });
    if (existing != out.end()) existing->second = value;
    else out.emplace_back(it.key(), value);
  }
  return Status::Ok();
}

}  // namespace

// A plain scan, not std::regex: it runs once per campaign over templates of
// tens of kilobytes, and with thousands of small campaigns that showed up.
std::vector<std::string> SubscriberFieldsUsed(const store::CampaignRow& row) {
  static constexpr std::string_view kPrefix = "subscriber.";
  auto is_name_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  std::set<std::string> names;
  for (const std::string* t : {&row.subject_template, &row.text_template, &row.html_template}) {
    for (size_t at = t->find(kPrefix); at != std::string::npos; at = t->find(kPrefix, at + 1)) {
      size_t begin = at + kPrefix.size(), end = begin;
      while (end < t->size() && is_name_char((*t)[end])) ++end;
      std::string n = t->substr(begin, end - begin);
      if (!n.empty() && n != "email" && n != "name" && n != "id") names.insert(n);
    }
  }
  return {names.begin(), names.end()};
}

Result<std::shared_ptr<const PreparedCampaign>> PrepareCampaign(const store::CampaignRow& row,
                                                                const std::vector<store::DomainKeyRow>& active_keys,
                                                                const config::Config& config,
                                                                const FactorySecrets& secrets,
                                                                crypto::KeyCache& key_cache, const Clock& clock,
                                                                render::TemplateCache* templates) {
  // The web app writes campaign rows: a From on a mailbox provider's domain
  // (gmail.com, yahoo.co.jp ...) can never pass DMARC, whatever we sign.
  TAYORI_RETURN_IF_ERROR(readiness::CheckAuthorDomainAllowed(row.domain).WithContext("campaign " + std::to_string(row.id)));
  if (row.domain_state == scheduler::DomainState::kPaused)
    return Permanent("sender domain " + row.domain + " is paused: " + row.domain_state_reason);
  if (row.domain_state != scheduler::DomainState::kVerified)
    return Permanent("sender domain " + row.domain + " is not verified (run `tayori domain verify " + row.domain + "`)");
  const store::DomainKeyRow* rsa = nullptr;
  const store::DomainKeyRow* ed = nullptr;
  for (const auto& k : active_keys) {
    if (k.algorithm == "rsa-sha256" && !rsa) rsa = &k;
    if (k.algorithm == "ed25519-sha256" && !ed) ed = &k;
  }
  if (!rsa) return Permanent("sender domain " + row.domain + " has no active RSA signing key");

  // Opened with its KEK and checked against p= (sealed_keys.h): a key that
  // fails pauses the campaign with the reason, naming domain and selector.
  auto unseal = [&](const store::DomainKeyRow& k) -> Result<std::shared_ptr<const crypto::PrivateKey>> {
    TAYORI_ASSIGN_OR_RETURN(keys::OpenedKey opened, keys::OpenDomainKey(secrets.keks, row.domain, k, &key_cache));
    return opened.key;
  };
  dkim::SignerBuilder builder;
  TAYORI_ASSIGN_OR_RETURN(auto rsa_key, unseal(*rsa));
  builder.Domain(row.domain).Selector(rsa->selector).Key(rsa_key).UseClock(clock);
  if (ed && config.dkim.dual_ed25519) {
    TAYORI_ASSIGN_OR_RETURN(auto ed_key, unseal(*ed));
    builder.AddEd25519(ed->selector, ed_key);
  }
  auto signer = builder.Build();
  if (!signer.ok()) return Permanent("cannot sign for " + row.domain + ": " + signer.status().message());

  render::CampaignSpec spec;
  spec.tenant_id = row.tenant_id;
  spec.list_id = row.list_id;
  spec.campaign_id = row.id;
  spec.from = row.from_name.empty() ? row.from_address : QuotedName(row.from_name) + " <" + row.from_address + ">";
  spec.reply_to = row.reply_to;
  spec.list_slug = row.list_slug;
  spec.list_name = row.list_name;
  spec.mail_type = row.mail_type;
  spec.sender_id = row.sender_id;
  spec.unsubscribe.base_url = config.unsubscribe.base_url;
  if (!config.unsubscribe.mailto.empty()) spec.unsubscribe.mailto = "mailto:" + config.unsubscribe.mailto;
  spec.unsubscribe.key = secrets.unsubscribe_key;
  spec.shop_fields = {{"name", row.tenant_name}, {"slug", row.tenant_slug}};
  TAYORI_RETURN_IF_ERROR(AddJsonFields(row.shop_fields_json, "shop fields", spec.shop_fields));
  spec.campaign_fields = {};  // campaign.id is built into the renderer
  TAYORI_RETURN_IF_ERROR(AddJsonFields(row.campaign_fields_json, "campaign fields", spec.campaign_fields));
  std::vector<std::string> fields = SubscriberFieldsUsed(row);
  spec.subscriber_fields = fields;
  spec.subject = {"subject", row.subject_template};
  if (!row.text_template.empty()) spec.text = render::TemplateSource{"text", row.text_template};
  if (!row.html_template.empty()) spec.html = render::TemplateSource{"html", row.html_template};
  auto compiled = render::CompiledCampaign::Compile(spec, templates);
  if (!compiled.ok()) return Permanent("campaign " + std::to_string(row.id) + ": " + compiled.status().message());
  if (compiled->author_domain() != signer->domain())
    return Permanent("From address " + row.from_address + " is not in the sender domain " + row.domain +
                     " (DKIM d= must be the author domain)");
  return std::make_shared<const PreparedCampaign>(
      PreparedCampaign{row, std::move(compiled).value(), std::move(signer).value(), std::move(fields)});
}

Result<BuiltMessage> BuildMessage(const PreparedCampaign& c, const store::LeasedDelivery& d, SysTime now,
                                  render::RandomSource& random) {
  std::vector<std::string> values(c.subscriber_fields.size());
  if (!c.subscriber_fields.empty() && !d.fields_json.empty()) {
    auto j = nlohmann::json::parse(d.fields_json, nullptr, /*allow_exceptions=*/false);
    if (j.is_object()) {
      for (size_t i = 0; i < c.subscriber_fields.size(); ++i) {
        auto it = j.find(c.subscriber_fields[i]);
        if (it == j.end()) continue;
        values[i] = it->is_string() ? it->get<std::string>() : it->dump();
      }
    }
  }
  std::vector<std::string_view> views(values.begin(), values.end());
  render::Recipient r;
  r.subscriber_id = d.subscriber_id;
  r.email = d.email;
  r.name = d.display_name;
  r.fields = views;
  TAYORI_ASSIGN_OR_RETURN(render::RenderedMessage m, c.compiled.Render(r, now, random));
  auto sign_start = std::chrono::steady_clock::now();
  double cpu_start = ThreadCpuSeconds();
  TAYORI_ASSIGN_OR_RETURN(std::string fields, c.signer.SignatureFields(m.data));
  double sign_cpu_seconds = ThreadCpuSeconds() - cpu_start;
  double sign_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - sign_start).count();
  auto data = std::make_shared<std::string>();
  data->reserve(fields.size() + m.data.size());
  *data += fields;
  *data += m.data;
  return BuiltMessage{std::move(data), std::move(m.message_id), std::move(m.envelope_to), sign_seconds,
                      sign_cpu_seconds};
}

}  // namespace tayori::daemon
