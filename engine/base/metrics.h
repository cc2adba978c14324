// Prometheus text exposition (format 0.0.4), written the same way by every
// part of the daemon that shows itself in /metrics: a family's HELP and TYPE
// once, then its samples; label values escaped (backslash, double quote,
// newline) so a relay name or a shop slug can never break the scrape; and
// fixed-bucket histograms that worker threads observe without a lock.
//
// Series discipline (docs/operations.md "Metrics"): label values come from
// bounded sets — outcomes, relays and codes from the configuration, the N
// busiest shops when admin.shop_series asks for them — never one series
// per recipient domain or address.
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tayori::metrics {

using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

// `\` → `\\`, `"` → `\"`, newline → `\n`; other bytes unchanged.
std::string EscapeLabelValue(std::string_view value);

// A histogram with fixed upper bounds (seconds), observed from any thread.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double seconds);

  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<uint64_t> cumulative;  // per bound, observations <= it
    uint64_t count = 0;
    double sum = 0;
  };
  Snapshot Snap() const;

  // Bounds for work measured in milliseconds (signing, a relay
  // transaction, a database write): 0.5 ms .. 10 s.
  static std::vector<double> LatencyBounds();

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bound, then +Inf
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_ns_{0};
};

class Writer {
 public:
  // Starts a family: "# HELP name help" and "# TYPE name type".
  void Family(std::string_view name, std::string_view type, std::string_view help);
  void Sample(std::string_view name, double value);
  void Sample(std::string_view name, Labels labels, double value);
  // name_bucket{...,le="…"}, name_sum, name_count, under the family `name`.
  void Histogram(std::string_view name, Labels labels, const Histogram::Snapshot& h);
  // Text already written by another writer (a sub-service's families).
  void Append(std::string_view text) { out_ += text; }
  const std::string& text() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Line(std::string_view name, std::string_view labels, double value);
  static std::string LabelText(Labels labels, std::string_view extra_name = {}, std::string_view extra_value = {});
  std::string out_;
};

}  // namespace tayori::metrics
