// From database rows to signed messages: a campaign is prepared once
// (templates compiled, the author domain's active key unsealed and a Signer
// built), then each leased delivery is rendered and signed. Pure CPU work on
// immutable data, so worker threads call Build concurrently.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "config/config.h"
#include "crypto/key_cache.h"
#include "crypto/seal.h"
#include "dkim/signer.h"
#include "render/campaign.h"
#include "render/random_source.h"
#include "store/campaigns.h"
#include "store/deliveries.h"
#include "store/keys.h"
#include "unsubscribe/token.h"

namespace tayori::daemon {

struct PreparedCampaign {
  store::CampaignRow row;
  render::CompiledCampaign compiled;
  dkim::Signer signer;
  std::vector<std::string> subscriber_fields;  // names the templates use
};

// Secrets the factory needs, resolved once from the environment.
struct FactorySecrets {
  std::vector<crypto::Kek> keks;                  // every dkim.keks entry, the active one first
  std::optional<unsubscribe::SigningKey> unsubscribe_key;
};
Result<FactorySecrets> LoadFactorySecrets(const config::Config& config);

// The subscriber fields a campaign's templates mention ({{subscriber.plan}}
// → "plan"), sorted, without the built-in email, name and id: only these are
// read from each recipient's fields.
std::vector<std::string> SubscriberFieldsUsed(const store::CampaignRow& row);

// Why a campaign cannot send is a value the engine records on the campaign.
// kPermanent: fix the campaign or domain (not verified, no active key,
// template error); anything else is an internal error.
Result<std::shared_ptr<const PreparedCampaign>> PrepareCampaign(const store::CampaignRow& row,
                                                                const std::vector<store::DomainKeyRow>& active_keys,
                                                                const config::Config& config,
                                                                const FactorySecrets& secrets,
                                                                crypto::KeyCache& key_cache, const Clock& clock,
                                                                render::TemplateCache* templates = nullptr);

struct BuiltMessage {
  std::shared_ptr<const std::string> data;  // signed, CRLF
  std::string message_id;
  std::string envelope_to;                  // RCPT TO, A-label domain
  double sign_seconds = 0;                  // the DKIM signature alone (body hash, headers, RSA/Ed25519)
  double sign_cpu_seconds = 0;              // the same, in the worker thread's CPU time
};

// Errors are kInvalidInput and concern only this recipient (bad address,
// header injection through a subscriber field, invalid UTF-8).
Result<BuiltMessage> BuildMessage(const PreparedCampaign& campaign, const store::LeasedDelivery& delivery,
                                  SysTime now, render::RandomSource& random);

}  // namespace tayori::daemon
