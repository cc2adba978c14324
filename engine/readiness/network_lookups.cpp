#include "readiness/network_lookups.h"

#include <cctype>

#include "readiness/probes.h"

namespace tayori::readiness {

Result<std::unique_ptr<NetworkLookups>> NetworkLookups::Create(const NetworkOptions& options) {
  TAYORI_ASSIGN_OR_RETURN(auto dns, DnsClient::Create(options.dns));
  return std::unique_ptr<NetworkLookups>(new NetworkLookups(std::move(dns), options.probe_timeout));
}

DnsAnswer NetworkLookups::Resolve(const std::string& name, RrType type) {
  std::string key = name;
  for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto it = cache_.find({key, type});
  if (it != cache_.end()) return it->second;
  DnsAnswer answer = dns_->Resolve(name, type);
  // A failure is not remembered: a later question may get through.
  if (answer.status != DnsStatus::kFailed) cache_.emplace(std::make_pair(key, type), answer);
  return answer;
}

ProbeResult NetworkLookups::ProbeStartTls(const StartTlsTarget& target) {
  return readiness::ProbeStartTls(target, probe_timeout_);
}

ProbeResult NetworkLookups::PostOneClick(const OneClickTarget& target) {
  return readiness::PostOneClick(target, probe_timeout_);
}

}  // namespace tayori::readiness
