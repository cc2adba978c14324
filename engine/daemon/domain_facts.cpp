#include "daemon/domain_facts.h"

#include "keys/rotation.h"
#include "readiness/alignment.h"
#include "store/keys.h"
#include "unsubscribe/token.h"

namespace tayori::daemon {
namespace {

}  // namespace

Result<std::string> ReadinessProbeToken(const config::Config& config) {
  for (const auto& k : config.unsubscribe.keys) {
    if (k.id != config.unsubscribe.active_key_id) continue;
    TAYORI_ASSIGN_OR_RETURN(std::string secret,
                            config::ResolveSecret(k.secret_env, "unsubscribe.keys[" + k.id + "].secret_env"));
    TAYORI_ASSIGN_OR_RETURN(auto key, unsubscribe::SigningKey::FromBase64(k.id, secret));
    unsubscribe::TokenFields probe;  // shop 0: a probe, never a subscriber
    probe.scope = unsubscribe::Scope::kShop;
    return unsubscribe::Encode(key, probe);
  }
  return ConfigError("unsubscribe.active_key_id: no active unsubscribe key configured");
}

Result<readiness::DomainFacts> GatherDomainFacts(store::Connection& db, const config::Config& config,
                                                 const std::string& domain) {
  TAYORI_ASSIGN_OR_RETURN(store::SenderDomainRow d, store::FindSenderDomain(db, domain));
  TAYORI_ASSIGN_OR_RETURN(auto keys, store::DomainKeys(db, d.id));
  readiness::DomainFacts f;
  f.from_domain = d.domain;
  f.delegated = d.mode == "delegated";
  for (const auto& k : keys) {
    readiness::SelectorRole role;
    if (k.state == scheduler::KeyState::kActive) role = readiness::SelectorRole::kActive;
    else if (k.state == scheduler::KeyState::kPublished) role = readiness::SelectorRole::kNext;
    else if (k.state == scheduler::KeyState::kRetiring) role = readiness::SelectorRole::kRetiring;
    else continue;  // pending (not yet in DNS) or revoked
    readiness::SelectorFacts s;
    s.selector = k.selector;
    s.role = role;
    s.public_key = k.public_key;
    if (f.delegated) s.cname_target = keys::SelectorName(k.selector, d.key_host);
    f.selectors.push_back(std::move(s));
  }
  f.envelope_domain = readiness::EnvelopeDomain(config.envelope.return_path);
  f.inbound_mx_hosts = config.readiness.bounce_mx_hosts;
  for (const auto& r : config.relays) {
    readiness::RelayFacts rf;
    rf.name = r.name;
    rf.host = r.host;
    rf.port = r.port;
    rf.tls = r.tls;
    rf.ca_file = r.ca_file;
    rf.egress_ips = r.egress_ips;
    f.relays.push_back(std::move(rf));
  }
  f.unsubscribe_base_url = config.unsubscribe.base_url;
  auto token = ReadinessProbeToken(config);
  if (token.ok()) f.unsubscribe_test_token = *token;
  f.helo_name = config.envelope.helo_name;
  return f;
}

}  // namespace tayori::daemon
