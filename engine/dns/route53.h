// Amazon Route 53 backend: ChangeResourceRecordSets, one POST of an XML
// ChangeBatch per Apply (UPSERT / DELETE) to
// {endpoint}/2013-04-01/hostedzone/{id}/rrset, signed with AWS Signature
// Version 4 by libcurl (net::HttpRequest::aws_sigv4 = "aws:amz:REGION:route53").
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dns/http_retry.h"
#include "dns/provider.h"

namespace tayori::dns {

struct Route53Settings {
  std::string endpoint = "https://route53.amazonaws.com";
  std::string hosted_zone_id;      // "Z123…" (a "/hostedzone/" prefix is accepted)
  std::string region = "us-east-1";
  std::string access_key_id;       // never logged
  std::string secret_access_key;   // never logged
};

std::string BuildRoute53ChangeBatch(const std::vector<RecordChange>& changes);
net::HttpRequest BuildRoute53Request(const Route53Settings& s, const std::vector<RecordChange>& changes);
// 200 is ok; 5xx, Throttling and PriorRequestNotComplete are transient;
// anything else permanent with Route 53's <Message> text.
Status ClassifyRoute53Response(const net::HttpResult& r);

class Route53Provider final : public Provider {
 public:
  Route53Provider(Route53Settings settings, loop::Loop& loop, net::Transfers& transfers, RetryPolicy retry);
  std::string_view name() const override { return "route53"; }
  void Apply(std::vector<RecordChange> changes, std::function<void(Status)> done) override;

 private:
  Route53Settings settings_;
  HttpRetry http_;
};

}  // namespace tayori::dns
