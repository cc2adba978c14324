// Identifier alignment (RFC 7489 §3.1): whether the domain that DKIM (d=) or
// SPF (the envelope sender) authenticated counts for the From domain.
// Strict: the same name. Relaxed: the same organizational domain (§3.2),
// which is the registrable domain under the Public Suffix List; libpsl
// answers it (the system list from the publicsuffix package, else the list
// built into libpsl). Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "readiness/dmarc_record.h"

namespace tayori::readiness {

// "news.shop.example.co.jp" → "example.co.jp". Input is lower-cased and a
// final dot dropped; a name that is itself a public suffix (or that libpsl
// cannot place) is its own organizational domain.
std::string OrganizationalDomain(std::string_view domain);

// RFC 7489 §3.1.1 / §3.1.2, case-insensitively.
bool Aligned(std::string_view authenticated_domain, std::string_view from_domain, AlignmentMode mode);

// The domain of an envelope sender pattern or address: what follows the last
// '@' ("bounces+{delivery_id}@bounce.platform.example" → "bounce.platform.example").
std::string EnvelopeDomain(std::string_view return_path);

}  // namespace tayori::readiness
