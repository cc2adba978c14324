#include "readiness/probes.h"

#include <curl/curl.h>

#include <mutex>

namespace tayori::readiness {
namespace {

void EnsureCurl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t Discard(char* /*data*/, size_t size, size_t n, void* /*user*/) { return size * n; }

ProbeResult::Outcome Classify(CURLcode code) {
  switch (code) {
    case CURLE_OK: return ProbeResult::Outcome::kOk;
    case CURLE_USE_SSL_FAILED: return ProbeResult::Outcome::kNoStartTls;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      return ProbeResult::Outcome::kBadCertificate;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
      return ProbeResult::Outcome::kUnreachable;
    default: return ProbeResult::Outcome::kFailed;
  }
}

std::string HostForUrl(const std::string& host) {
  return host.find(':') != std::string::npos && host.front() != '[' ? "[" + host + "]" : host;
}

// Runs `easy` and fills the outcome and libcurl's error text.
ProbeResult Perform(CURL* easy) {
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  ProbeResult r;
  const CURLcode code = curl_easy_perform(easy);
  r.outcome = Classify(code);
  if (code != CURLE_OK) r.error = errbuf[0] ? errbuf : curl_easy_strerror(code);
  return r;
}

}  // namespace

ProbeResult ProbeStartTls(const StartTlsTarget& target, std::chrono::seconds timeout) {
  EnsureCurl();
  CURL* easy = curl_easy_init();
  if (!easy) return ProbeResult{ProbeResult::Outcome::kFailed, 0, "", "curl_easy_init failed"};
  // The URL's path is the EHLO name (libcurl's SMTP URL syntax).
  const std::string url = std::string(target.implicit_tls ? "smtps://" : "smtp://") + HostForUrl(target.host) + ":" +
                          std::to_string(target.port) + "/" + target.helo_name;
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(easy, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!target.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, target.ca_file.c_str());
  curl_easy_setopt(easy, CURLOPT_CONNECT_ONLY, 1L);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, static_cast<long>(timeout.count()));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT, static_cast<long>(timeout.count()));
  ProbeResult r = Perform(easy);
  curl_easy_cleanup(easy);
  return r;
}

ProbeResult PostOneClick(const OneClickTarget& target, std::chrono::seconds timeout) {
  EnsureCurl();
  CURL* easy = curl_easy_init();
  if (!easy) return ProbeResult{ProbeResult::Outcome::kFailed, 0, "", "curl_easy_init failed"};
  static const char kBody[] = "List-Unsubscribe=One-Click";
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/x-www-form-urlencoded");
  curl_easy_setopt(easy, CURLOPT_URL, target.url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, kBody);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(sizeof kBody - 1));
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "Tayori-domain-check");
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!target.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, target.ca_file.c_str());
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Discard);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, static_cast<long>(timeout.count()));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT, static_cast<long>(timeout.count()));
  ProbeResult r = Perform(easy);
  if (r.outcome == ProbeResult::Outcome::kOk) {
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &r.status);
    char* location = nullptr;
    if (curl_easy_getinfo(easy, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location) r.location = location;
  }
  curl_easy_cleanup(easy);
  curl_slist_free_all(headers);
  return r;
}

}  // namespace tayori::readiness
