// What `tayori domain check` and the daemon's re-checks hand to the readiness
// checks (readiness/domain_check.h) for one author domain: its keys from the
// database, and the platform's side from the configuration — the envelope
// domain, the relays and their egress IPs, the unsubscribe endpoint with a
// probe token it answers without writing (http_service.h: a token of shop 0).
#pragma once

#include <string>

#include "base/status.h"
#include "config/config.h"
#include "readiness/domain_check.h"
#include "store/connection.h"

namespace tayori::daemon {

// kNotFound when the domain is not a sender domain.
Result<readiness::DomainFacts> GatherDomainFacts(store::Connection& db, const config::Config& config,
                                                 const std::string& domain);

// A one-click token signed with the active unsubscribe key for shop 0 (no
// shop has id 0): the endpoint answers it 200 and writes nothing.
Result<std::string> ReadinessProbeToken(const config::Config& config);

}  // namespace tayori::daemon
