// SPF (RFC 7208) for the envelope (bounce) domain: libspf2 evaluates
// check_host() for one egress IP, asking DNS through a Lookups (see
// spf_dns_layer.h), so tests and operators reach the resolver of
// dns.resolver, and unit tests answer from memory. Blocking.
#pragma once

#include <string>

#include "readiness/lookups.h"

namespace tayori::readiness {

enum class SpfResult { kPass, kFail, kSoftFail, kNeutral, kNone, kTempError, kPermError };
std::string_view SpfResultName(SpfResult r);  // RFC 7208 §2.6 names: "pass", "softfail", …

struct SpfEvaluation {
  SpfResult result = SpfResult::kTempError;
  bool too_many_lookups = false;  // permerror for the §4.6.4 limit of 10 DNS lookups
  std::string error;              // libspf2's explanation for perm/temp errors
  int dns_queries = 0;            // DNS queries libspf2 made
};

// check_host(ip, domain, "postmaster@domain") as a receiver runs it for MAIL
// FROM. `ip` is IPv4 or IPv6 text; anything else is a permerror.
SpfEvaluation EvaluateSpf(const std::string& domain, const std::string& ip, Lookups& lookups);

// The number of DNS-querying terms an evaluation of `domain`'s SPF record
// can reach — include, a, mx, ptr, exists and redirect (RFC 7208 §4.6.4) —
// following include: and redirect= (without macros) through every branch,
// whatever IP is asked. Receivers stop at 10; libspf2 stops only on the
// path one IP takes (and counts each include's record separately), so this
// static count is what the report's lookup check uses.
struct SpfLookupCount {
  bool has_record = false;  // `domain` publishes a v=spf1 record
  bool dns_failed = false;  // some lookup got no usable answer; the count may be low
  std::string error;        // that lookup's error
  int lookups = 0;
};
SpfLookupCount CountSpfLookups(const std::string& domain, Lookups& lookups);

}  // namespace tayori::readiness
