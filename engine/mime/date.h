// The Date header value (RFC 5322 §3.3), e.g. "Thu, 13 Feb 2025 09:30:00 +0900".
// Time is passed in (pure code never reads the clock).
#pragma once

#include <string>

#include "base/clock.h"

namespace tayori::mime {

// `utc_offset_minutes` is the zone the reader sees (e.g. +540 for Japan);
// it must be within ±(99 h 59 min). Formatting is locale-independent.
std::string FormatDate(SysTime t, int utc_offset_minutes = 0);

}  // namespace tayori::mime
