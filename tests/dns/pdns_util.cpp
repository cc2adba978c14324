#include <unistd.h>
#include "pdns_util.h"

#include <cstdio>

#include <gtest/gtest.h>

#include "loop/loop.h"
#include "net/transfers.h"
#include "testing/test_env.h"

namespace tayori::testing {

Pdns RequirePdns() {
  Pdns p;
  p.dns_port = std::atoi(RequireEnv("TAYORI_TEST_PDNS_DNS_PORT").c_str());
  p.api_port = std::atoi(RequireEnv("TAYORI_TEST_PDNS_API_PORT").c_str());
  p.api_key = RequireEnv("TAYORI_TEST_PDNS_API_KEY");
  return p;
}

int PdnsApi(const Pdns& p, const std::string& method, const std::string& path, const std::string& body,
            std::string* out) {
  loop::Loop loop;
  net::HttpResult result;
  {
    net::Transfers transfers(loop, net::PoolOptions{1, 0});
    net::HttpRequest r;
    r.method = method;
    r.url = p.api_url() + "/api/v1/servers/localhost" + path;
    r.headers = {"X-API-Key: " + p.api_key, "Content-Type: application/json"};
    r.body = body;
    r.timeout = std::chrono::seconds(10);
    transfers.Http(r, [&](net::HttpResult res) {
      result = std::move(res);
      loop.Stop();
    });
    loop.Run();
  }
  if (out) *out = result.body;
  return result.ok ? static_cast<int>(result.status) : -1;
}

void CreateZone(const Pdns& p, const std::string& zone) {
  DeleteZone(p, zone);
  std::string body;
  int status = PdnsApi(p, "POST", "/zones",
                       "{\"name\":\"" + zone + ".\",\"kind\":\"Native\",\"nameservers\":[\"ns1." + zone + ".\"]}", &body);
  ASSERT_EQ(status, 201) << "creating zone " << zone << ": " << body;
}

void DeleteZone(const Pdns& p, const std::string& zone) { PdnsApi(p, "DELETE", "/zones/" + zone + ".", ""); }

void AddCname(const Pdns& p, const std::string& zone, const std::string& name, const std::string& target) {
  std::string body;
  int status = 0;
  // The shared test PowerDNS keeps its zones in SQLite: parallel tests can
  // briefly lock it and the API then answers 500. Retry like a client would.
  for (int attempt = 0; attempt < 10; ++attempt) {
    status = PdnsApi(p, "PATCH", "/zones/" + zone + ".",
                     "{\"rrsets\":[{\"name\":\"" + name + ".\",\"type\":\"CNAME\",\"ttl\":60,\"changetype\":"
                     "\"REPLACE\",\"records\":[{\"content\":\"" + target + ".\",\"disabled\":false}]}]}",
                     &body);
    if (status != 500) break;
    ::usleep(200000);
  }
  ASSERT_EQ(status, 204) << body;
}

std::string Dig(const Pdns& p, const std::string& type, const std::string& name) {
  std::string cmd = "dig @127.0.0.1 -p " + std::to_string(p.dns_port) + " +short +time=2 +tries=1 " + type + " " + name;
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) return "";
  std::string out;
  char buf[512];
  while (size_t n = std::fread(buf, 1, sizeof buf, f)) out.append(buf, n);
  ::pclose(f);
  return out;
}

}  // namespace tayori::testing
