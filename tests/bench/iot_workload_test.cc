#include "bench/iot_workload.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "db/line_protocol.h"
#include "edgetsdb/write_batch.h"
#include "gtest/gtest.h"

namespace edgetsdb::bench {
namespace {

IotWorkloadOptions SmallOptions() {
  IotWorkloadOptions options;
  options.devices = 120;
  options.devices_per_site = 50;
  options.duration_ns = 2 * kNanosPerHour;
  options.late_fraction = 0.05;
  options.max_late_ns = 600 * kNanosPerSecond;
  options.lines_per_body = 997;  // Bodies end in the middle of slots.
  options.seed = 7;
  return options;
}

std::vector<std::string> AllBodies(const IotWorkloadOptions& options) {
  absl::StatusOr<std::unique_ptr<IotWorkload>> workload = IotWorkload::Create(options);
  EXPECT_TRUE(workload.ok()) << workload.status();
  std::vector<std::string> bodies;
  if (!workload.ok()) return bodies;
  for (std::string body; (*workload)->NextBody(&body);) bodies.push_back(body);
  return bodies;
}

std::string Concatenated(const std::vector<std::string>& bodies) {
  std::string all;
  for (const std::string& body : bodies) all += body;
  return all;
}

TEST(IotWorkloadTest, SameSeedGivesTheSameBytes) {
  const std::string first = Concatenated(AllBodies(SmallOptions()));
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(first, Concatenated(AllBodies(SmallOptions())));

  IotWorkloadOptions other_seed = SmallOptions();
  other_seed.seed = 8;
  EXPECT_NE(first, Concatenated(AllBodies(other_seed)));
}

TEST(IotWorkloadTest, BodyBoundariesDoNotChangeTheLines) {
  IotWorkloadOptions one_body = SmallOptions();
  one_body.lines_per_body = 10'000'000;
  const std::vector<std::string> whole = AllBodies(one_body);
  ASSERT_EQ(whole.size(), 1u);
  EXPECT_EQ(whole[0], Concatenated(AllBodies(SmallOptions())));
}

TEST(IotWorkloadTest, EveryLineParsesWithTwelveFieldsAndEveryReadingIsSentOnce) {
  const IotWorkloadOptions options = SmallOptions();
  absl::StatusOr<std::unique_ptr<IotWorkload>> workload = IotWorkload::Create(options);
  ASSERT_TRUE(workload.ok()) << workload.status();
  const int64_t end_ns = options.start_ns + (*workload)->rounds() * options.interval_ns;

  std::map<std::string, std::set<int64_t>> readings_by_device;
  std::set<std::string> sites;
  size_t lines = 0, bodies = 0;
  for (std::string body; (*workload)->NextBody(&body);) {
    ++bodies;
    const size_t body_lines = std::count(body.begin(), body.end(), '\n');
    EXPECT_LE(body_lines, options.lines_per_body);
    WriteBatch batch;
    const ParseResult parsed = ParseLineProtocol(body, Precision::kNanoseconds, 0, &batch);
    ASSERT_EQ(parsed.error_count, 0u) << parsed.errors.front().reason;
    ASSERT_EQ(parsed.points, body_lines);
    lines += body_lines;
    for (WriteBatch::Reader reader(batch); reader.Next();) {
      EXPECT_EQ(reader.measurement(), kIotMeasurement);
      ASSERT_EQ(reader.tags().size(), 4u);
      std::map<std::string, std::string> tags;
      for (const TagView& tag : reader.tags()) tags[std::string(tag.key)] = tag.value;
      ASSERT_EQ(reader.fields().size(), static_cast<size_t>(kIotFieldsPerLine));
      int floats = 0;
      for (const FieldView& field : reader.fields()) {
        if (const double* value = std::get_if<double>(&field.value)) {
          ++floats;
          // One or two decimals: a multiple of 0.01 up to the double's rounding.
          EXPECT_NEAR(*value * 100, std::round(*value * 100), 1e-6) << field.key;
        } else {
          EXPECT_TRUE(std::holds_alternative<int64_t>(field.value)) << field.key;
        }
      }
      EXPECT_EQ(floats, 8);
      EXPECT_GE(reader.timestamp(), options.start_ns);
      EXPECT_LT(reader.timestamp(), end_ns);
      EXPECT_TRUE(readings_by_device[tags["device"]].insert(reader.timestamp()).second)
          << "a reading sent twice";
      sites.insert(tags["site"]);
    }
  }
  EXPECT_EQ(lines, (*workload)->total_lines());
  EXPECT_EQ((*workload)->lines_produced(), lines);
  EXPECT_EQ(bodies, (lines + options.lines_per_body - 1) / options.lines_per_body);
  ASSERT_EQ(readings_by_device.size(), static_cast<size_t>(options.devices));
  for (const auto& [device, timestamps] : readings_by_device) {
    EXPECT_EQ(timestamps.size(), static_cast<size_t>((*workload)->rounds())) << device;
  }
  EXPECT_EQ(sites.size(), 3u);
  EXPECT_EQ((*workload)->sites(), 3);
}

TEST(IotWorkloadTest, LateReadingsAreAboutTheFractionAskedForAndComeOutOfOrder) {
  const IotWorkloadOptions options = SmallOptions();
  absl::StatusOr<std::unique_ptr<IotWorkload>> workload = IotWorkload::Create(options);
  ASSERT_TRUE(workload.ok()) << workload.status();
  size_t out_of_order = 0;
  int64_t newest = INT64_MIN;
  for (std::string body; (*workload)->NextBody(&body);) {
    WriteBatch batch;
    ASSERT_EQ(ParseLineProtocol(body, Precision::kNanoseconds, 0, &batch).error_count, 0u);
    for (WriteBatch::Reader reader(batch); reader.Next();) {
      if (reader.timestamp() < newest) ++out_of_order;
      newest = std::max(newest, reader.timestamp());
    }
  }
  const double total = static_cast<double>((*workload)->total_lines());
  const double late = static_cast<double>((*workload)->late_lines_produced());
  // 86,400 readings at 5%: the count is within a few standard deviations (64) of 4,320.
  EXPECT_NEAR(late / total, options.late_fraction, 0.005);
  // A late reading is behind the newest one sent before it, unless nothing newer was sent yet.
  EXPECT_LE(static_cast<double>(out_of_order), late);
  EXPECT_GE(static_cast<double>(out_of_order), 0.95 * late);
}

TEST(IotWorkloadTest, NoLateFractionKeepsTimeOrderAcrossSlots) {
  IotWorkloadOptions options = SmallOptions();
  options.late_fraction = 0;
  int64_t newest = INT64_MIN;
  for (const std::string& body : AllBodies(options)) {
    WriteBatch batch;
    ASSERT_EQ(ParseLineProtocol(body, Precision::kNanoseconds, 0, &batch).error_count, 0u);
    for (WriteBatch::Reader reader(batch); reader.Next();) {
      EXPECT_GE(reader.timestamp(), newest);
      newest = reader.timestamp();
    }
  }
}

TEST(IotWorkloadTest, InvalidOptionsAreRejected) {
  struct Case {
    const char* what;
    void (*change)(IotWorkloadOptions&);
  };
  const Case cases[] = {
      {"no devices", [](IotWorkloadOptions& o) { o.devices = 0; }},
      {"too many devices", [](IotWorkloadOptions& o) { o.devices = kMaxFleetDevices + 1; }},
      {"interval not dividing an hour",
       [](IotWorkloadOptions& o) { o.interval_ns = 7'000'000'000; }},
      {"sub-millisecond interval", [](IotWorkloadOptions& o) { o.interval_ns = 500'000; }},
      {"jitter of half the interval",
       [](IotWorkloadOptions& o) { o.max_jitter_ns = 5'000'000'000; }},
      {"duration under an interval", [](IotWorkloadOptions& o) { o.duration_ns = 1; }},
      {"late fraction over 1", [](IotWorkloadOptions& o) { o.late_fraction = 1.5; }},
      {"late by less than an interval", [](IotWorkloadOptions& o) { o.max_late_ns = 1; }},
      {"empty bodies", [](IotWorkloadOptions& o) { o.lines_per_body = 0; }},
  };
  EXPECT_TRUE(ValidateIotWorkloadOptions(IotWorkloadOptions()).ok());
  for (const Case& c : cases) {
    IotWorkloadOptions options;
    c.change(options);
    EXPECT_TRUE(absl::IsInvalidArgument(ValidateIotWorkloadOptions(options))) << c.what;
    EXPECT_FALSE(IotWorkload::Create(options).ok()) << c.what;
  }
}

TEST(IotWorkloadTest, QueriesNameTheirWindowsAndExpectedCounts) {
  const std::vector<IotQuery> queries = IotQueries(IotWorkloadOptions());
  ASSERT_EQ(queries.size(), 4u);
  EXPECT_EQ(queries[0].influxql, "SELECT last(*) FROM readings GROUP BY device");
  EXPECT_EQ(queries[0].expected_series, 1000u);
  EXPECT_EQ(queries[1].influxql,
            "SELECT mean(temperature) FROM readings WHERE device='d0042' AND time >= "
            "'2024-01-01T00:00:00Z' AND time < '2024-01-02T00:00:00Z' GROUP BY time(1m)");
  EXPECT_EQ(queries[1].expected_rows, 1440u);
  EXPECT_EQ(queries[2].influxql,
            "SELECT max(temperature) FROM readings WHERE time >= '2024-01-01T12:00:00Z' AND "
            "time < '2024-01-01T13:00:00Z' GROUP BY site");
  EXPECT_EQ(queries[2].expected_series, 20u);
  EXPECT_EQ(queries[2].expected_rows, 20u);
  EXPECT_EQ(queries[3].influxql,
            "SELECT temperature FROM readings WHERE device='d0042' AND time >= "
            "'2024-01-01T12:00:00Z' AND time < '2024-01-01T13:00:00Z'");
  EXPECT_EQ(queries[3].expected_rows, 360u);

  // Half an hour of a small fleet: the hour starts with the data and holds all of it.
  IotWorkloadOptions small;
  small.devices = 10;
  small.duration_ns = kNanosPerHour / 2;
  const std::vector<IotQuery> small_queries = IotQueries(small);
  EXPECT_NE(small_queries[3].influxql.find("device='d0009'"), std::string::npos);
  EXPECT_NE(small_queries[3].influxql.find("'2024-01-01T00:00:00Z'"), std::string::npos);
  EXPECT_EQ(small_queries[3].expected_rows, 180u);
  EXPECT_EQ(small_queries[2].expected_series, 1u);
}

}  // namespace
}  // namespace edgetsdb::bench
