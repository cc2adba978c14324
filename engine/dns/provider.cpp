#include "dns/provider.h"

#include "dns/powerdns.h"
#include "dns/route53.h"

namespace tayori::dns {

Result<std::unique_ptr<Provider>> MakeProvider(const config::Dns& dns, const std::string& zone, loop::Loop& loop,
                                               net::Transfers& transfers, RetryPolicy retry) {
  switch (dns.provider) {
    case config::DnsProvider::kNone:
      return std::unique_ptr<Provider>();
    case config::DnsProvider::kPowerDns: {
      PowerDnsSettings s;
      s.api_url = dns.powerdns.api_url;
      s.server_id = dns.powerdns.server_id;
      s.zone = zone;
      TAYORI_ASSIGN_OR_RETURN(s.api_key, config::ResolveSecret(dns.powerdns.api_key_env, "dns.powerdns.api_key_env"));
      if (s.api_key.empty()) return ConfigError("dns.powerdns.api_key_env: the API key is empty");
      return std::unique_ptr<Provider>(std::make_unique<PowerDnsProvider>(std::move(s), loop, transfers, retry));
    }
    case config::DnsProvider::kRoute53: {
      Route53Settings s;
      s.endpoint = dns.route53.endpoint;
      s.hosted_zone_id = dns.route53.hosted_zone_id;
      s.region = dns.route53.region;
      TAYORI_ASSIGN_OR_RETURN(s.access_key_id,
                              config::ResolveSecret(dns.route53.access_key_id_env, "dns.route53.access_key_id_env"));
      TAYORI_ASSIGN_OR_RETURN(s.secret_access_key, config::ResolveSecret(dns.route53.secret_access_key_env,
                                                                         "dns.route53.secret_access_key_env"));
      if (s.access_key_id.empty() || s.secret_access_key.empty())
        return ConfigError("dns.route53: the AWS access key id or secret is empty");
      return std::unique_ptr<Provider>(std::make_unique<Route53Provider>(std::move(s), loop, transfers, retry));
    }
  }
  return Internal("unknown dns provider");
}

}  // namespace tayori::dns
