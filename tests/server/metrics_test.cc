#include "server/metrics.h"

#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgetsdb::server {
namespace {

using ::testing::HasSubstr;

// Every line of the exposition is a comment (# HELP / # TYPE) or a sample
// `name{label="value",...} value`, and every sample's family was declared by a # TYPE line
// before it (text format 0.0.4).
void ExpectWellFormed(const std::string& text) {
  const std::regex help(R"(# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .+)");
  const std::regex type(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram))");
  const std::regex sample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*",?)*\})? (-?[0-9.e+-]+|\+Inf|-Inf|NaN))");
  std::istringstream lines(text);
  std::string line, family;
  ASSERT_FALSE(text.empty());
  ASSERT_EQ(text.back(), '\n');
  while (std::getline(lines, line)) {
    std::smatch match;
    if (std::regex_match(line, match, type)) {
      family = match[1];
      continue;
    }
    if (std::regex_match(line, help)) continue;
    ASSERT_TRUE(std::regex_match(line, match, sample)) << line;
    const std::string name = match[1];
    EXPECT_TRUE(name == family || name == family + "_bucket" || name == family + "_sum" ||
                name == family + "_count")
        << name << " after # TYPE " << family;
  }
}

TEST(MetricsTest, ExpositionIsWellFormedAndHasEngineAndServerValues) {
  ServerMetrics metrics;
  metrics.http_requests.Add({"write", "204"}, 3);
  metrics.http_requests.Add({"write", "400"});
  metrics.points_rejected.Add({kRejectParse}, 2);
  metrics.query_duration_seconds.Observe(0.003);
  metrics.query_duration_seconds.Observe(2);
  metrics.open_connections.Add(2);
  metrics.requests_in_flight.Add(1);
  DbStats stats;
  stats.points_written = 1234;
  stats.wal_syncs = 7;
  stats.wal_bytes = 4096;
  stats.flushes = 2;
  stats.compactions = 1;
  DatabaseInfo plant;
  plant.name = "plant \"north\"";
  plant.partitions.push_back(
      {.start = 0, .end = 1, .blocks = 1, .series = 1, .points = 10, .bytes = 100});
  plant.partitions.push_back(
      {.start = 1, .end = 2, .blocks = 1, .series = 1, .points = 10, .bytes = 50});
  plant.head_points = 5;
  const std::string text = RenderMetrics(metrics, stats, {plant}, "0.1.0");
  ExpectWellFormed(text);
  EXPECT_THAT(text, HasSubstr("\nedgetsdb_points_written_total 1234\n"));
  EXPECT_THAT(text, HasSubstr("\nedgetsdb_wal_syncs_total 7\n"));
  EXPECT_THAT(text, HasSubstr("\nedgetsdb_wal_bytes 4096\n"));
  EXPECT_THAT(text, HasSubstr("\nedgetsdb_flushes_total 2\n"));
  EXPECT_THAT(text, HasSubstr("\nedgetsdb_compactions_total 1\n"));
  EXPECT_THAT(text, HasSubstr("\nedgetsdb_points_rejected_total{reason=\"parse\"} 2\n"));
  EXPECT_THAT(text,
              HasSubstr("\nedgetsdb_http_requests_total{endpoint=\"write\",code=\"204\"} 3\n"));
  EXPECT_THAT(text,
              HasSubstr("\nedgetsdb_http_requests_total{endpoint=\"write\",code=\"400\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("\nedgetsdb_database_disk_bytes{database=\"plant \\\"north\\\"\"} 150\n"));
  EXPECT_THAT(text,
              HasSubstr("\nedgetsdb_database_head_points{database=\"plant \\\"north\\\"\"} 5\n"));
  EXPECT_THAT(text, HasSubstr("\nedgetsdb_http_open_connections 2\n"));
  EXPECT_THAT(text, HasSubstr("\nedgetsdb_http_requests_in_flight 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE edgetsdb_query_duration_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("\nedgetsdb_query_duration_seconds_bucket{le=\"0.001\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("\nedgetsdb_query_duration_seconds_bucket{le=\"0.005\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("\nedgetsdb_query_duration_seconds_bucket{le=\"2.5\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("\nedgetsdb_query_duration_seconds_bucket{le=\"+Inf\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("\nedgetsdb_query_duration_seconds_sum 2.003\n"));
  EXPECT_THAT(text, HasSubstr("\nedgetsdb_query_duration_seconds_count 2\n"));
  EXPECT_THAT(text, HasSubstr("edgetsdb_build_info{version=\"0.1.0\"} 1\n"));
}

TEST(MetricsTest, HistogramBucketsAreUpperBoundsInclusive) {
  Histogram histogram({1, 2});
  histogram.Observe(1);    // le="1"
  histogram.Observe(1.5);  // le="2"
  histogram.Observe(3);    // +Inf only
  const Histogram::Snapshot snapshot = histogram.Read();
  EXPECT_EQ(snapshot.cumulative_counts, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(snapshot.count, 3u);
  EXPECT_DOUBLE_EQ(snapshot.sum, 5.5);
}

TEST(MetricsTest, EscapeLabelValue) {
  EXPECT_EQ(EscapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(EscapeLabelValue("plain"), "plain");
}

TEST(MetricsTest, ConcurrentUpdatesAreAllCounted) {
  ServerMetrics metrics;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&metrics] {
      for (int i = 0; i < 1000; ++i) {
        metrics.http_requests.Add({"query", "200"});
        metrics.query_duration_seconds.Observe(0.01);
        metrics.open_connections.Add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(metrics.http_requests.Snapshot()[0].second, 4000u);
  EXPECT_EQ(metrics.query_duration_seconds.Read().count, 4000u);
  EXPECT_EQ(metrics.open_connections.value(), 4000);
}

}  // namespace
}  // namespace edgetsdb::server
