#include "base/metrics.h"

#include <cmath>
#include <cstdio>

namespace tayori::metrics {

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

std::vector<double> Histogram::LatencyBounds() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

void Histogram::Observe(double seconds) {
  if (!(seconds >= 0)) seconds = 0;  // NaN or a clock step backwards
  size_t i = 0;
  while (i < bounds_.size() && seconds > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<uint64_t>(std::llround(seconds * 1e9)), std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Snap() const {
  Snapshot s;
  s.upper_bounds = bounds_;
  uint64_t running = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  // The count is the buckets' total, so +Inf always equals _count even while
  // other threads observe during the snapshot.
  s.count = running + counts_[bounds_.size()].load(std::memory_order_relaxed);
  s.sum = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
  return s;
}

void Writer::Family(std::string_view name, std::string_view type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  // HELP text escapes backslash and newline.
  for (char c : help) {
    if (c == '\\') out_ += "\\\\";
    else if (c == '\n') out_ += "\\n";
    else out_ += c;
  }
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

std::string Writer::LabelText(Labels labels, std::string_view extra_name, std::string_view extra_value) {
  std::string out;
  for (const auto& [k, v] : labels) {
    out += out.empty() ? "" : ",";
    out += k;
    out += "=\"";
    out += EscapeLabelValue(v);
    out += '"';
  }
  if (!extra_name.empty()) {
    out += out.empty() ? "" : ",";
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  return out;
}

void Writer::Line(std::string_view name, std::string_view labels, double value) {
  out_ += name;
  if (!labels.empty()) {
    out_ += '{';
    out_ += labels;
    out_ += '}';
  }
  char buf[64];
  if (std::isinf(value)) std::snprintf(buf, sizeof buf, " %s\n", value > 0 ? "+Inf" : "-Inf");
  else if (value == std::floor(value) && std::fabs(value) < 1e15) std::snprintf(buf, sizeof buf, " %.0f\n", value);
  else std::snprintf(buf, sizeof buf, " %.9g\n", value);
  out_ += buf;
}

void Writer::Sample(std::string_view name, double value) { Line(name, "", value); }

void Writer::Sample(std::string_view name, Labels labels, double value) { Line(name, LabelText(labels), value); }

void Writer::Histogram(std::string_view name, Labels labels, const Histogram::Snapshot& h) {
  std::string bucket = std::string(name) + "_bucket";
  for (size_t i = 0; i < h.upper_bounds.size(); ++i) {
    char le[32];
    std::snprintf(le, sizeof le, "%g", h.upper_bounds[i]);
    Line(bucket, LabelText(labels, "le", le), static_cast<double>(h.cumulative[i]));
  }
  Line(bucket, LabelText(labels, "le", "+Inf"), static_cast<double>(h.count));
  Line(std::string(name) + "_sum", LabelText(labels), h.sum);
  Line(std::string(name) + "_count", LabelText(labels), static_cast<double>(h.count));
}

}  // namespace tayori::metrics
