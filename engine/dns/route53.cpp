#include "dns/route53.h"

#include "dns/txt.h"

namespace tayori::dns {
namespace {

std::string XmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out += c;
    }
  }
  return out;
}

// The text of the first <tag>…</tag> in `xml` ("" when absent).
std::string XmlText(const std::string& xml, const std::string& tag) {
  auto open = xml.find("<" + tag + ">");
  if (open == std::string::npos) return "";
  open += tag.size() + 2;
  auto close = xml.find("</" + tag + ">", open);
  if (close == std::string::npos) return "";
  return xml.substr(open, close - open);
}

}  // namespace

std::string BuildRoute53ChangeBatch(const std::vector<RecordChange>& changes) {
  std::string x =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<ChangeResourceRecordSetsRequest xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">"
      "<ChangeBatch><Comment>tayori dkim</Comment><Changes>";
  for (const auto& c : changes) {
    std::string value = c.type == "TXT" ? QuoteTxt(c.value) : Fqdn(c.value);
    x += "<Change><Action>";
    x += c.action == ChangeAction::kDelete ? "DELETE" : "UPSERT";
    x += "</Action><ResourceRecordSet><Name>" + XmlEscape(Fqdn(c.name)) + "</Name><Type>" + c.type +
         "</Type><TTL>" + std::to_string(c.ttl) + "</TTL><ResourceRecords><ResourceRecord><Value>" +
         XmlEscape(value) + "</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change>";
  }
  x += "</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>";
  return x;
}

net::HttpRequest BuildRoute53Request(const Route53Settings& s, const std::vector<RecordChange>& changes) {
  std::string id = s.hosted_zone_id;
  if (id.rfind("/hostedzone/", 0) == 0) id = id.substr(12);
  std::string base = s.endpoint;
  while (!base.empty() && base.back() == '/') base.pop_back();
  net::HttpRequest req;
  req.method = "POST";
  req.url = base + "/2013-04-01/hostedzone/" + id + "/rrset";
  req.headers = {"Content-Type: text/xml"};
  req.body = BuildRoute53ChangeBatch(changes);
  req.aws_sigv4 = "aws:amz:" + s.region + ":route53";
  req.user_password = s.access_key_id + ":" + s.secret_access_key;
  req.timeout = std::chrono::seconds(20);
  return req;
}

Status ClassifyRoute53Response(const net::HttpResult& r) {
  if (r.status >= 200 && r.status < 300) return Status::Ok();
  std::string code = XmlText(r.body, "Code");
  std::string message = XmlText(r.body, "Message");
  if (message.empty()) message = r.body.substr(0, 300);
  std::string what = "route53: HTTP " + std::to_string(r.status) + (code.empty() ? "" : " " + code) + ": " + message;
  if (r.status >= 500 || r.status == 429 || code == "Throttling" || code == "PriorRequestNotComplete")
    return Transient(what);
  return Permanent(what);
}

Route53Provider::Route53Provider(Route53Settings settings, loop::Loop& loop, net::Transfers& transfers,
                                 RetryPolicy retry)
    : settings_(std::move(settings)), http_(loop, transfers, retry, "route53 at " + settings_.endpoint) {}

void Route53Provider::Apply(std::vector<RecordChange> changes, std::function<void(Status)> done) {
  // Route 53 refuses to DELETE a record that does not exist (InvalidChangeBatch
  // "not found"); deleting what is gone is success here.
  http_.Send(BuildRoute53Request(settings_, changes),
             [](const net::HttpResult& r) {
               Status st = ClassifyRoute53Response(r);
               if (!st.ok() && st.message().find("but it was not found") != std::string::npos) return Status::Ok();
               return st;
             },
             std::move(done));
}

}  // namespace tayori::dns
