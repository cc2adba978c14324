// The two network probes of the readiness check, each a blocking libcurl
// easy handle (engine/net/ drives libcurl's multi interface on the loop; the
// checks run on a worker thread and wait for one answer at a time, so a
// plain curl_easy_perform is the simpler and honest tool here).
#pragma once

#include <chrono>

#include "readiness/lookups.h"

namespace tayori::readiness {

// smtp://host:port with CURLUSESSL_ALL and CURLOPT_CONNECT_ONLY: libcurl
// reads the greeting, sends EHLO and STARTTLS, verifies the certificate,
// and stops before MAIL FROM; closing the handle sends QUIT.
ProbeResult ProbeStartTls(const StartTlsTarget& target, std::chrono::seconds timeout);

// POST "List-Unsubscribe=One-Click" to target.url; redirects are reported,
// not followed; only http and https URLs are fetched.
ProbeResult PostOneClick(const OneClickTarget& target, std::chrono::seconds timeout);

}  // namespace tayori::readiness
