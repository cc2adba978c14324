#include "readiness/network_lookups.h"

#include <algorithm>
#include <cctype>

#include "readiness/probes.h"

namespace tayori::readiness {

Result<std::unique_ptr<NetworkLookups>> NetworkLookups::Create(const NetworkOptions& options) {
  TAYORI_ASSIGN_OR_RETURN(auto dns, DnsClient::Create(options.dns));
  return std::unique_ptr<NetworkLookups>(new NetworkLookups(std::move(dns), options));
}

DnsAnswer NetworkLookups::Resolve(const std::string& name, RrType type) {
  using Clock = std::chrono::steady_clock;
  std::string key = name;
  for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const Clock::time_point now = Clock::now();
  auto it = cache_.find({key, type});
  if (it != cache_.end()) {
    if (now < it->second.expires) return it->second.answer;
    cache_.erase(it);
  }
  DnsAnswer answer = dns_->Resolve(name, type);
  // A failure is not remembered: a later question may get through.
  if (answer.status == DnsStatus::kFailed) return answer;
  Clock::time_point expires = Clock::time_point::max();
  if (max_cache_age_.count() > 0) {
    expires = now + std::min<std::chrono::seconds>(std::chrono::seconds(answer.ttl), max_cache_age_);
    if (expires <= now) return answer;  // TTL 0: not to be cached
    // A daemon asks about thousands of domains over days: drop what has run out.
    if (cache_.size() > 50000) std::erase_if(cache_, [&](const auto& e) { return e.second.expires <= now; });
  }
  cache_.emplace(std::make_pair(key, type), Cached{answer, expires});
  return answer;
}

ProbeResult NetworkLookups::ProbeStartTls(const StartTlsTarget& target) {
  return readiness::ProbeStartTls(target, probe_timeout_);
}

ProbeResult NetworkLookups::PostOneClick(const OneClickTarget& target) {
  return readiness::PostOneClick(target, probe_timeout_);
}

}  // namespace tayori::readiness
