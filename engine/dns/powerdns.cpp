#include "dns/powerdns.h"

#include <nlohmann/json.hpp>

#include "dns/txt.h"

namespace tayori::dns {

net::HttpRequest BuildPowerDnsPatch(const PowerDnsSettings& s, const std::vector<RecordChange>& changes) {
  nlohmann::json rrsets = nlohmann::json::array();
  for (const auto& c : changes) {
    nlohmann::json rr{{"name", Fqdn(c.name)}, {"type", c.type}};
    if (c.action == ChangeAction::kDelete) {
      rr["changetype"] = "DELETE";
    } else {
      // Content is zone-file syntax: a TXT value must be quoted, and we send
      // explicit 255-byte strings so a GET returns exactly what we wrote.
      std::string content = c.type == "TXT" ? QuoteTxt(c.value) : Fqdn(c.value);
      rr["changetype"] = "REPLACE";
      rr["ttl"] = c.ttl;
      rr["records"] = nlohmann::json::array({{{"content", content}, {"disabled", false}}});
    }
    rrsets.push_back(std::move(rr));
  }
  net::HttpRequest req;
  req.method = "PATCH";
  std::string base = s.api_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  req.url = base + "/api/v1/servers/" + s.server_id + "/zones/" + Fqdn(s.zone);
  req.headers = {"X-API-Key: " + s.api_key, "Content-Type: application/json", "Accept: application/json"};
  req.body = nlohmann::json{{"rrsets", rrsets}}.dump();
  req.timeout = std::chrono::seconds(15);
  return req;
}

Status ClassifyPowerDnsResponse(const net::HttpResult& r, const std::string& zone) {
  if (r.status >= 200 && r.status < 300) return Status::Ok();
  std::string message;
  auto j = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) message = j["error"].get<std::string>();
  else message = r.body.substr(0, 300);
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
  std::string what = "powerdns: HTTP " + std::to_string(r.status) + ": " + message;
  if (r.status == 404) what += " (does the zone " + zone + " exist on the server?)";
  if (r.status == 401) what = "powerdns: HTTP 401: the API key was refused (dns.powerdns.api_key_env)";
  if (r.status >= 500 || r.status == 429) return Transient(what);
  return Permanent(what);
}

PowerDnsProvider::PowerDnsProvider(PowerDnsSettings settings, loop::Loop& loop, net::Transfers& transfers,
                                   RetryPolicy retry)
    : settings_(std::move(settings)), http_(loop, transfers, retry, "powerdns at " + settings_.api_url) {}

void PowerDnsProvider::Apply(std::vector<RecordChange> changes, std::function<void(Status)> done) {
  std::string zone = settings_.zone;
  http_.Send(BuildPowerDnsPatch(settings_, changes),
             [zone](const net::HttpResult& r) { return ClassifyPowerDnsResponse(r, zone); }, std::move(done));
}

}  // namespace tayori::dns
