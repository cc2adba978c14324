#include "readiness_testing.h"

#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "dns/txt.h"
#include "readiness/lookups.h"

namespace tayori::readiness::testing {

void SetRecords(const tayori::testing::Pdns& p, const std::string& zone, const std::string& name,
                const std::string& type, const std::vector<std::string>& contents, int ttl) {
  nlohmann::json records = nlohmann::json::array();
  for (const auto& c : contents) records.push_back({{"content", c}, {"disabled", false}});
  nlohmann::json rrset = {{"name", dns::Fqdn(name)}, {"type", type}, {"ttl", ttl}, {"changetype", "REPLACE"},
                          {"records", records}};
  nlohmann::json body;
  body["rrsets"] = nlohmann::json::array({rrset});
  std::string answer;
  int status = 0;
  for (int attempt = 0; attempt < 10; ++attempt) {
    status = tayori::testing::PdnsApi(p, "PATCH", "/zones/" + dns::Fqdn(zone), body.dump(), &answer);
    if (status != 500) break;
    ::usleep(200000);
  }
  ASSERT_EQ(status, 204) << name << " " << type << ": " << answer;
}

std::string TxtContent(const std::string& value) { return dns::QuoteTxt(value); }

std::string CreatePtrZone(const tayori::testing::Pdns& p, const std::string& ip, const std::string& host) {
  const std::string zone = ReverseName(ip);
  tayori::testing::CreateZone(p, zone);
  if (!host.empty()) SetRecords(p, zone, zone, "PTR", {dns::Fqdn(host)});
  return zone;
}

std::string TestIp(int k) {
  const unsigned n = (static_cast<unsigned>(::getpid()) * 4u + static_cast<unsigned>(k)) % 131072u;
  return "198." + std::to_string(18 + n / 65536) + "." + std::to_string((n / 256) % 256) + "." + std::to_string(n % 256);
}

TestCertificate::TestCertificate() {
  dir = (std::filesystem::temp_directory_path() / ("tayori-readiness-" + std::to_string(::getpid()))).string();
  std::filesystem::create_directories(dir);
  cert = dir + "/cert.pem";
  key = dir + "/key.pem";
  const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                          "-addext subjectAltName=IP:127.0.0.1 -keyout " + key + " -out " + cert + " >/dev/null 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << "openssl could not make a test certificate";
}

TestCertificate::~TestCertificate() { std::filesystem::remove_all(dir); }

}  // namespace tayori::readiness::testing
