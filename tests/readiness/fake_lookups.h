// An in-memory Lookups for unit tests: DNS answers from a table, probe
// results set by the test; every query is recorded.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "readiness/lookups.h"

namespace tayori::readiness::testing {

class FakeLookups : public Lookups {
 public:
  // Adds records; a name with any record answers kNoData for other types,
  // a name with none answers kNxDomain.
  FakeLookups& Add(const std::string& name, RrType type, std::string value, uint16_t preference = 0) {
    auto& a = answers_[{name, type}];
    a.status = DnsStatus::kOk;
    a.records.push_back(DnsRecord{std::move(value), preference});
    names_[name] = true;
    return *this;
  }
  FakeLookups& Txt(const std::string& name, std::string value) { return Add(name, RrType::kTxt, std::move(value)); }
  FakeLookups& A(const std::string& name, std::string ip) { return Add(name, RrType::kA, std::move(ip)); }
  FakeLookups& Fail(const std::string& name, RrType type) {
    answers_[{name, type}] = DnsAnswer{DnsStatus::kFailed, {}, "timeout"};
    names_[name] = true;
    return *this;
  }
  // A PTR record for `ip`, and the forward record of `host` unless `forward` is "".
  FakeLookups& Ptr(const std::string& ip, const std::string& host, const std::string& forward) {
    Add(ReverseName(ip), RrType::kPtr, host);
    if (!forward.empty()) Add(host, forward.find(':') != std::string::npos ? RrType::kAaaa : RrType::kA, forward);
    return *this;
  }

  DnsAnswer Resolve(const std::string& name, RrType type) override {
    queries.emplace_back(name, type);
    auto it = answers_.find({name, type});
    if (it != answers_.end()) return it->second;
    if (type != RrType::kCname) {
      auto cname = answers_.find({name, RrType::kCname});
      if (cname != answers_.end() && cname->second.status == DnsStatus::kOk)
        return Resolve(cname->second.records.front().value, type);
    }
    DnsAnswer a;
    a.status = names_.count(name) ? DnsStatus::kNoData : DnsStatus::kNxDomain;
    return a;
  }
  ProbeResult ProbeStartTls(const StartTlsTarget& target) override {
    tls_targets.push_back(target);
    return tls_result;
  }
  ProbeResult PostOneClick(const OneClickTarget& target) override {
    post_targets.push_back(target);
    return post_result;
  }

  ProbeResult tls_result{ProbeResult::Outcome::kOk, 0, "", ""};
  ProbeResult post_result{ProbeResult::Outcome::kOk, 200, "", ""};
  std::vector<std::pair<std::string, RrType>> queries;
  std::vector<StartTlsTarget> tls_targets;
  std::vector<OneClickTarget> post_targets;

 private:
  std::map<std::pair<std::string, RrType>, DnsAnswer> answers_;
  std::map<std::string, bool> names_;
};

}  // namespace tayori::readiness::testing
