// The Prometheus text every /metrics family is written with: escaped label
// values, histogram buckets that are cumulative and end in +Inf = _count.
#include "base/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace tayori::metrics {
namespace {

TEST(MetricsTest, LabelValuesAreEscapedSoNoValueBreaksTheScrape) {
  EXPECT_EQ(EscapeLabelValue("plain-relay_1"), "plain-relay_1");
  EXPECT_EQ(EscapeLabelValue("a\"b"), "a\\\"b");
  EXPECT_EQ(EscapeLabelValue("back\\slash"), "back\\\\slash");
  EXPECT_EQ(EscapeLabelValue("two\nlines"), "two\\nlines");
  EXPECT_EQ(EscapeLabelValue("便り"), "便り");
  Writer w;
  w.Family("tayori_x_total", "counter", "A counter\nwith a \\ in its help.");
  w.Sample("tayori_x_total", {{"relay", "evil\"} 1\ninjected 2"}, {"code", "250"}}, 3);
  EXPECT_EQ(w.text(),
            "# HELP tayori_x_total A counter\\nwith a \\\\ in its help.\n"
            "# TYPE tayori_x_total counter\n"
            "tayori_x_total{relay=\"evil\\\"} 1\\ninjected 2\",code=\"250\"} 3\n");
}

TEST(MetricsTest, SamplesPrintIntegersWholeAndFractionsExactEnough) {
  Writer w;
  w.Sample("a", 12345678901);
  w.Sample("b", 0.25);
  w.Sample("c", 0);
  EXPECT_EQ(w.text(), "a 12345678901\nb 0.25\nc 0\n");
}

TEST(MetricsTest, HistogramBucketsAreCumulativeAndEndInInfEqualToCount) {
  Histogram h({0.001, 0.01, 0.1});
  for (double v : {0.0005, 0.001, 0.002, 0.05, 0.5, 7.0}) h.Observe(v);
  h.Observe(-1);  // a clock step backwards counts as 0
  Histogram::Snapshot s = h.Snap();
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{3, 4, 5}));
  EXPECT_EQ(s.count, 7u);
  EXPECT_NEAR(s.sum, 0.0005 + 0.001 + 0.002 + 0.05 + 0.5 + 7.0, 1e-9);
  Writer w;
  w.Histogram("t_seconds", {{"relay", "r1"}}, s);
  EXPECT_EQ(w.text(),
            "t_seconds_bucket{relay=\"r1\",le=\"0.001\"} 3\n"
            "t_seconds_bucket{relay=\"r1\",le=\"0.01\"} 4\n"
            "t_seconds_bucket{relay=\"r1\",le=\"0.1\"} 5\n"
            "t_seconds_bucket{relay=\"r1\",le=\"+Inf\"} 7\n"
            "t_seconds_sum{relay=\"r1\"} 7.5535\n"
            "t_seconds_count{relay=\"r1\"} 7\n");
  Writer bare;
  bare.Histogram("u_seconds", {}, Histogram({1}).Snap());
  EXPECT_EQ(bare.text(), "u_seconds_bucket{le=\"1\"} 0\nu_seconds_bucket{le=\"+Inf\"} 0\nu_seconds_sum 0\nu_seconds_count 0\n");
}

TEST(MetricsTest, HistogramCountsEveryObservationFromManyThreads) {
  Histogram h(Histogram::LatencyBounds());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&h, t] {
      for (int i = 0; i < 10000; ++i) h.Observe(0.0001 * (i % 100) * (t + 1));
    });
  for (auto& t : threads) t.join();
  Histogram::Snapshot s = h.Snap();
  EXPECT_EQ(s.count, 40000u);
  for (size_t i = 1; i < s.cumulative.size(); ++i) EXPECT_LE(s.cumulative[i - 1], s.cumulative[i]);
  EXPECT_EQ(s.cumulative.back(), 40000u);  // nothing above 10 s
}

}  // namespace
}  // namespace tayori::metrics
