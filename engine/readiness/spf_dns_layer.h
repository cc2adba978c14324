// A libspf2 DNS layer backed by Lookups. libspf2 asks DNS through a stack
// of SPF_dns_server_t "layers" (spf2/spf_dns.h), each a struct of callbacks;
// its own "resolv" layer uses the system resolver (res_nquery), which tests
// cannot point at the private PowerDNS on a custom port and operators cannot
// point at dns.resolver. This layer answers libspf2's lookup callback from
// Lookups::Resolve instead. SPF_server_new_dns() takes it; with the
// server's destroy_resolver set, SPF_server_free() destroys it through its
// destroy callback.
#pragma once

#include "readiness/lookups.h"

struct SPF_dns_server_struct;

namespace tayori::readiness {

// The layer; `lookups` must outlive it. Its hook counts the queries made.
SPF_dns_server_struct* NewLookupsDnsLayer(Lookups& lookups);
int LookupsDnsLayerQueries(const SPF_dns_server_struct* layer);

}  // namespace tayori::readiness
