// PowerDNS Authoritative HTTP API backend: one PATCH of rrsets per Apply
// (changetype REPLACE for upserts, DELETE for deletes) on
// {api_url}/api/v1/servers/{server_id}/zones/{zone}. The zone must exist;
// a missing zone is a permanent error naming it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dns/http_retry.h"
#include "dns/provider.h"

namespace tayori::dns {

struct PowerDnsSettings {
  std::string api_url;     // "http://127.0.0.1:8081"
  std::string api_key;     // X-API-Key; never logged
  std::string server_id = "localhost";
  std::string zone;        // without the final dot
};

// The PATCH request for `changes` (pure; for tests).
net::HttpRequest BuildPowerDnsPatch(const PowerDnsSettings& s, const std::vector<RecordChange>& changes);
// 204 is ok; 5xx is transient; anything else permanent, with the API's
// {"error": "..."} message.
Status ClassifyPowerDnsResponse(const net::HttpResult& r, const std::string& zone);

class PowerDnsProvider final : public Provider {
 public:
  PowerDnsProvider(PowerDnsSettings settings, loop::Loop& loop, net::Transfers& transfers, RetryPolicy retry);
  std::string_view name() const override { return "powerdns"; }
  void Apply(std::vector<RecordChange> changes, std::function<void(Status)> done) override;

 private:
  PowerDnsSettings settings_;
  HttpRetry http_;
};

}  // namespace tayori::dns
