// Head: points come back merged (one value per series, field and timestamp: the last written), in
// time order, whatever order they were written in; fields of one point share a timestamp column;
// field types are fixed per measurement; chunks are cut by count, span and partition; the sealed
// form is compact; and what FlushInput hands a block writer decodes back to exactly what queries
// return.
#include "db/head.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "compression/chunk.h"
#include "compression/coding.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/blocks.h"
#include "tests/support/points.h"

namespace edgetsdb {
namespace {

namespace c = compression;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
// A time well inside a 2 h partition, so that tests do not straddle one by accident.
constexpr int64_t kT0 = 1'700'000'000LL * kSecond / (2 * kHour) * (2 * kHour) + 10 * kMinute;

using testing::AddPoint;
using testing::BatchSeriesKey;
using testing::DecodeFlushedField;
using testing::DecodeTimestamps;
using testing::Fields;
using testing::ParseWholeChunk;
using testing::Point;
using testing::PointsOf;
using testing::SameTimedValues;
using testing::SameValue;
using testing::SharesTimestamps;
using testing::Tags;
using testing::TimedValues;

absl::Status Write(Head& head, const std::vector<Point>& points) {
  WriteBatch batch;
  for (const Point& p : points) {
    if (absl::Status s = AddPoint(&batch, p); !s.ok()) return s;
  }
  return head.Apply(batch);
}

SeriesSelector Selector(std::string measurement, std::vector<TagMatcher> matchers = {},
                        std::vector<std::string> fields = {}, int64_t min_time = kMinTime,
                        int64_t max_time = kMaxTime) {
  SeriesSelector selector;
  selector.measurement = std::move(measurement);
  selector.matchers = std::move(matchers);
  selector.fields = std::move(fields);
  selector.min_time = min_time;
  selector.max_time = max_time;
  return selector;
}

std::vector<SeriesData> Query(const Head& head, const SeriesSelector& selector) {
  absl::StatusOr<std::vector<SeriesData>> result = head.Query(selector);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *std::move(result) : std::vector<SeriesData>();
}

std::vector<SeriesData> QueryAll(const Head& head, const std::string& measurement) {
  return Query(head, Selector(measurement));
}

std::vector<double> Floats(const SeriesData& series) {
  return std::get<std::vector<double>>(series.values);
}

// The chunks FlushInput gives, collected.
std::vector<FlushGroup> Flush(const Head& head, int64_t start, int64_t end) {
  std::vector<FlushGroup> groups;
  absl::Status s = head.FlushInput(start, end, [&](FlushGroup&& group) {
    groups.push_back(std::move(group));
    return absl::OkStatus();
  });
  EXPECT_TRUE(s.ok()) << s;
  return groups;
}

// Aligned and sparse fields -------------------------------------------------------------------

TEST(HeadTest, FieldsWrittenTogetherShareOneTimestampColumn) {
  Head head;
  ASSERT_TRUE(Write(head, {{"env", {{"room", "a"}}, {{"temp", 21.5}, {"hum", 40.0}}, kT0},
                           {"env", {{"room", "a"}}, {{"temp", 21.6}, {"hum", 41.0}}, kT0 + 10},
                           {"env", {{"room", "a"}}, {{"temp", 21.7}, {"hum", 42.0}}, kT0 + 20}})
                  .ok());

  const std::vector<SeriesData> series = QueryAll(head, "env");
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ(series[0].field, "hum");
  EXPECT_EQ(series[1].field, "temp");
  EXPECT_THAT(series[0].timestamps, ElementsAre(kT0, kT0 + 10, kT0 + 20));
  EXPECT_EQ(series[0].timestamps, series[1].timestamps);
  EXPECT_THAT(Floats(series[1]), ElementsAre(21.5, 21.6, 21.7));

  head.SealOpenRuns();
  const std::vector<FlushGroup> groups = Flush(head, kMinTime, kMaxTime);
  ASSERT_EQ(groups.size(), 1u);
  ASSERT_EQ(groups[0].timestamp_chunks.size(), 1u);
  EXPECT_THAT(DecodeTimestamps(groups[0].timestamp_chunks[0]),
              ElementsAre(kT0, kT0 + 10, kT0 + 20));
  ASSERT_EQ(groups[0].fields.size(), 2u);
  for (const FlushField& field : groups[0].fields) {
    ASSERT_EQ(field.chunks.size(), 1u);
    EXPECT_TRUE(SharesTimestamps(field)) << field.key;
  }
  EXPECT_TRUE(SameTimedValues(DecodeFlushedField(groups[0], groups[0].fields[1]),
                              {{kT0, 21.5}, {kT0 + 10, 21.6}, {kT0 + 20, 21.7}}));
}

TEST(HeadTest, SparseFieldsCarryTheirOwnTimestamps) {
  Head head;
  ASSERT_TRUE(Write(head, {{"dev", {}, {{"temp", 20.0}}, kT0},
                           {"dev", {}, {{"temp", 21.0}, {"error", int64_t{7}}}, kT0 + 1},
                           {"dev", {}, {{"temp", 22.0}}, kT0 + 2}})
                  .ok());

  const std::vector<SeriesData> series = QueryAll(head, "dev");
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ(series[0].field, "error");
  EXPECT_EQ(series[0].type, FieldType::kInt);
  EXPECT_THAT(series[0].timestamps, ElementsAre(kT0 + 1));
  EXPECT_THAT(std::get<std::vector<int64_t>>(series[0].values), ElementsAre(7));
  EXPECT_THAT(series[1].timestamps, ElementsAre(kT0, kT0 + 1, kT0 + 2));

  const std::vector<FlushGroup> groups = Flush(head, kMinTime, kMaxTime);
  ASSERT_EQ(groups.size(), 1u);
  ASSERT_EQ(groups[0].fields.size(), 2u);
  const FlushField& error = groups[0].fields[0];
  ASSERT_EQ(error.key, "error");
  ASSERT_EQ(error.chunks.size(), 1u);
  EXPECT_FALSE(SharesTimestamps(error));
  EXPECT_TRUE(SameTimedValues(DecodeFlushedField(groups[0], error), {{kT0 + 1, int64_t{7}}}));
  EXPECT_TRUE(SharesTimestamps(groups[0].fields[1]));
}

// The block format decides per field and block: a field missing from one row of the range gives
// up sharing for all its chunks, and a group whose fields all carry their own timestamps has no
// timestamp chunks.
TEST(HeadTest, AFieldSharesTimestampsOnlyIfPresentThroughoutTheFlushedRange) {
  HeadOptions options;
  options.max_chunk_values = 4;
  Head head(options);
  std::vector<Point> points;
  for (int i = 0; i < 10; ++i) {
    Fields fields = {{"always", 1.0 * i}};
    if (i != 7) fields.emplace_back("mostly", int64_t{i});
    points.push_back({"dev", {}, fields, kT0 + i});
    points.push_back({"rare", {}, {{"x", 1.0 * i}}, kT0 + i});
    if (i % 2 == 0) points.push_back({"rare", {}, {{"y", true}}, kT0 + i});
    if (i % 2 == 1) points.push_back({"rare", {}, {{"z", std::string("z")}}, kT0 + i});
  }
  ASSERT_TRUE(Write(head, points).ok());
  ASSERT_TRUE(Write(head, {{"rare", {}, {{"y", false}}, kT0 + 100}}).ok());  // Without x.
  head.SealOpenRuns();

  std::vector<FlushGroup> groups = Flush(head, kT0, kT0 + 10);
  ASSERT_EQ(groups.size(), 2u);
  const FlushGroup& dev = groups[0];  // "dev" < "rare".
  ASSERT_EQ(dev.fields.size(), 2u);
  EXPECT_EQ(dev.timestamp_chunks.size(), 3u);     // 4 + 4 + 2 rows.
  EXPECT_TRUE(SharesTimestamps(dev.fields[0]));   // always
  EXPECT_FALSE(SharesTimestamps(dev.fields[1]));  // mostly
  EXPECT_EQ(DecodeFlushedField(dev, dev.fields[1]).size(), 9u);
  // In rare, every row has x, y or z, but in [kT0, kT0 + 10) only x is in every row.
  EXPECT_TRUE(SharesTimestamps(groups[1].fields[0]));

  groups = Flush(head, kT0, kT0 + 101);
  ASSERT_EQ(groups.size(), 2u);
  for (const FlushField& field : groups[1].fields)
    EXPECT_FALSE(SharesTimestamps(field)) << field.key;
  EXPECT_TRUE(groups[1].timestamp_chunks.empty());
  EXPECT_EQ(DecodeFlushedField(groups[1], groups[1].fields[0]).size(), 10u);
}

// Order and last write wins -------------------------------------------------------------------

TEST(HeadTest, OutOfOrderAndLatePointsComeBackSorted) {
  // Small runs, so that points land in closed runs, the growing run and the open run.
  HeadOptions options;
  options.max_chunk_values = 100;
  options.max_open_rows = 16;
  Head head(options);
  std::vector<int64_t> times;
  for (int i = 0; i < 2000; ++i) times.push_back(kT0 + i * kSecond);
  for (int i = 1; i <= 50; ++i) times.push_back(kT0 - i * 37 * kMinute);  // Late: up to a day.
  std::mt19937_64 rng(7);
  std::shuffle(times.begin(), times.end(), rng);
  for (size_t i = 0; i < times.size(); i += 10) {
    std::vector<Point> batch;
    for (size_t j = i; j < std::min(times.size(), i + 10); ++j) {
      batch.push_back({"m", {}, {{"v", static_cast<double>(times[j] / kSecond)}}, times[j]});
    }
    ASSERT_TRUE(Write(head, batch).ok());
  }
  std::vector<int64_t> expected = times;
  std::sort(expected.begin(), expected.end());

  for (int pass = 0; pass < 2; ++pass) {
    SCOPED_TRACE(pass == 0 ? "as written" : "after SealOpenRuns");
    const std::vector<SeriesData> series = QueryAll(head, "m");
    ASSERT_EQ(series.size(), 1u);
    EXPECT_EQ(series[0].timestamps, expected);
    for (size_t i = 0; i < expected.size(); ++i) {
      ASSERT_EQ(Floats(series[0])[i], static_cast<double>(expected[i] / kSecond));
    }
    head.SealOpenRuns();
  }
  EXPECT_EQ(head.MinTime(), expected.front());
  EXPECT_EQ(head.MaxTime(), expected.back());
  EXPECT_EQ(head.Stats().seal_failures, 0u);
}

TEST(HeadTest, SameTimestampLastWriteWinsFieldByField) {
  // The older point may be in the open run, the growing run or a closed run.
  for (const bool seal_between : {false, true}) {
    for (const uint32_t max_chunk_values : {1u, 1024u}) {
      SCOPED_TRACE(::testing::Message()
                   << "seal_between " << seal_between << ", max values " << max_chunk_values);
      HeadOptions options;
      options.max_chunk_values = max_chunk_values;
      Head head(options);
      ASSERT_TRUE(
          Write(head, {{"m", {}, {{"a", 1.0}, {"b", 2.0}}, kT0}, {"m", {}, {{"a", 9.0}}, kT0 + 1}})
              .ok());
      if (seal_between) head.SealOpenRuns();
      ASSERT_TRUE(Write(head, {{"m", {}, {{"a", 3.0}}, kT0}}).ok());

      const std::vector<SeriesData> series = QueryAll(head, "m");
      ASSERT_EQ(series.size(), 2u);
      EXPECT_THAT(series[0].timestamps, ElementsAre(kT0, kT0 + 1));
      EXPECT_THAT(Floats(series[0]), ElementsAre(3.0, 9.0));  // a: replaced.
      EXPECT_THAT(series[1].timestamps, ElementsAre(kT0));
      EXPECT_THAT(Floats(series[1]), ElementsAre(2.0));  // b: kept.
      head.SealOpenRuns();
      EXPECT_THAT(Floats(QueryAll(head, "m")[0]), ElementsAre(3.0, 9.0));
    }
  }
}

TEST(HeadTest, SameTimestampWithinOneBatchKeepsTheLaterPoint) {
  Head head;
  ASSERT_TRUE(Write(head, {{"m", {}, {{"a", 1.0}, {"s", std::string("x")}}, kT0},
                           {"m", {}, {{"s", std::string("y")}}, kT0}})
                  .ok());
  const std::vector<SeriesData> series = QueryAll(head, "m");
  ASSERT_EQ(series.size(), 2u);
  EXPECT_THAT(Floats(series[0]), ElementsAre(1.0));
  EXPECT_THAT(std::get<std::vector<std::string>>(series[1].values), ElementsAre("y"));
}

// Field types ---------------------------------------------------------------------------------

TEST(HeadTest, FieldTypeConflictRefusesTheWholeBatch) {
  Head head;
  ASSERT_TRUE(Write(head, {{"cpu", {{"host", "a"}}, {{"usage", 1.5}}, kT0}}).ok());
  const HeadStats before = head.Stats();

  const absl::Status s = Write(head, {{"cpu", {{"host", "b"}}, {{"usage", 2.5}}, kT0 + 1},
                                      {"disk", {}, {{"free", int64_t{1}}}, kT0 + 1},
                                      {"cpu", {{"host", "a"}}, {{"usage", int64_t{3}}}, kT0 + 2}});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("field type conflict"));
  EXPECT_THAT(s.message(), HasSubstr("\"usage\""));
  EXPECT_THAT(s.message(), HasSubstr("\"cpu\""));
  EXPECT_THAT(s.message(), HasSubstr("is type integer, already exists as type float"));

  // Nothing of the batch is visible: not the good points before the bad one, not the new
  // measurement, not the new series.
  EXPECT_EQ(head.Stats().points, before.points);
  EXPECT_EQ(head.SeriesCount(), 1u);
  EXPECT_THAT(head.Measurements(), ElementsAre("cpu"));
  EXPECT_EQ(head.MaxTime(), kT0);
  EXPECT_EQ(QueryAll(head, "cpu").size(), 1u);
}

TEST(HeadTest, FieldTypeConflictWithinOneBatchIsRefused) {
  Head head;
  const absl::Status s = Write(
      head, {{"m", {{"d", "1"}}, {{"x", 1.0}}, kT0}, {"m", {{"d", "2"}}, {{"x", true}}, kT0}});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("is type boolean, already exists as type float"));
  EXPECT_THAT(head.Measurements(), SizeIs(0));
  EXPECT_THAT(head.FieldKeys("m"), SizeIs(0));
  EXPECT_EQ(head.Stats().points, 0u);
}

TEST(HeadTest, FieldTypesAreFixedPerMeasurementNotAcrossThem) {
  Head head;
  EXPECT_TRUE(
      Write(head, {{"a", {}, {{"v", 1.0}}, kT0}, {"b", {}, {{"v", int64_t{1}}}, kT0}}).ok());
  // Another series of the same measurement is bound by the measurement's type.
  EXPECT_EQ(Write(head, {{"a", {{"t", "x"}}, {{"v", int64_t{2}}}, kT0}}).code(),
            absl::StatusCode::kInvalidArgument);
  const std::vector<FieldInfo> a = head.FieldKeys("a");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].type, FieldType::kFloat);
  EXPECT_EQ(head.FieldKeys("b")[0].type, FieldType::kInt);
}

// Cutting ---------------------------------------------------------------------------------------

TEST(HeadTest, RunsAndChunksAreCutByCount) {
  HeadOptions options;
  options.max_chunk_values = 100;
  options.max_open_rows = 10;
  Head head(options);
  std::vector<Point> points;
  for (int i = 0; i < 250; ++i) points.push_back({"m", {}, {{"v", i * 0.5}}, kT0 + i * kSecond});
  ASSERT_TRUE(Write(head, points).ok());

  const HeadStats stats = head.Stats();
  EXPECT_EQ(stats.open_rows, 0u);
  EXPECT_EQ(stats.sealed_runs, 3u);  // 100 and 100 closed, 50 still growing.
  EXPECT_EQ(stats.sealed_rows, 250u);

  const std::vector<FlushGroup> groups = Flush(head, kMinTime, kMaxTime);
  ASSERT_EQ(groups.size(), 1u);
  std::vector<uint32_t> counts;
  for (const std::string& chunk : groups[0].timestamp_chunks) {
    counts.push_back(ParseWholeChunk(chunk).summary.count);
  }
  EXPECT_THAT(counts, ElementsAre(100, 100, 50));
  ASSERT_EQ(groups[0].fields.size(), 1u);
  EXPECT_EQ(groups[0].fields[0].chunks.size(), 3u);
  EXPECT_TRUE(SharesTimestamps(groups[0].fields[0]));
}

TEST(HeadTest, RunsAndChunksAreCutBySpan) {
  HeadOptions options;
  options.max_chunk_span_ns = 10 * kMinute;
  options.max_open_rows = 8;
  Head head(options);
  std::vector<Point> points;
  for (int i = 0; i <= 60; ++i) points.push_back({"m", {}, {{"v", 1.0 * i}}, kT0 + i * kMinute});
  ASSERT_TRUE(Write(head, points).ok());
  head.SealOpenRuns();
  EXPECT_EQ(head.Stats().sealed_runs, 6u);  // Minutes 0-10, 11-21, 22-32, 33-43, 44-54, 55-60.

  const std::vector<FlushGroup> groups = Flush(head, kMinTime, kMaxTime);
  ASSERT_EQ(groups.size(), 1u);
  std::vector<std::pair<int64_t, int64_t>> spans;
  for (const std::string& chunk : groups[0].timestamp_chunks) {
    const c::ParsedChunk parsed = ParseWholeChunk(chunk);
    spans.emplace_back((parsed.summary.first_time - kT0) / kMinute,
                       (parsed.summary.last_time - kT0) / kMinute);
  }
  EXPECT_THAT(
      spans, ElementsAre(std::pair<int64_t, int64_t>{0, 10}, std::pair<int64_t, int64_t>{11, 21},
                         std::pair<int64_t, int64_t>{22, 32}, std::pair<int64_t, int64_t>{33, 43},
                         std::pair<int64_t, int64_t>{44, 54}, std::pair<int64_t, int64_t>{55, 60}));
}

TEST(HeadTest, NoChunkStraddlesAPartition) {
  HeadOptions options;
  options.partition_ns = kHour;
  Head head(options);
  const int64_t base = kT0 / kHour * kHour;
  std::vector<Point> points;
  for (int i = 0; i < 18; ++i) {
    points.push_back({"m", {}, {{"v", 1.0 * i}}, base + 30 * kMinute + i * 10 * kMinute});
  }
  ASSERT_TRUE(Write(head, points).ok());
  EXPECT_THAT(head.Partitions(), ElementsAre(HeadPartition{base, base + kHour},
                                             HeadPartition{base + kHour, base + 2 * kHour},
                                             HeadPartition{base + 2 * kHour, base + 3 * kHour},
                                             HeadPartition{base + 3 * kHour, base + 4 * kHour}));

  head.SealOpenRuns();
  for (const HeadPartition& partition : head.Partitions()) {
    const std::vector<FlushGroup> groups = Flush(head, partition.start, partition.end);
    ASSERT_EQ(groups.size(), 1u);
    for (const std::string& chunk : groups[0].timestamp_chunks) {
      for (int64_t t : DecodeTimestamps(chunk)) {
        EXPECT_GE(t, partition.start);
        EXPECT_LT(t, partition.end);
      }
    }
  }
  // The whole range: four chunks, one per partition, though 18 points would fit in one.
  EXPECT_EQ(Flush(head, kMinTime, kMaxTime)[0].timestamp_chunks.size(), 4u);
}

TEST(HeadTest, StringsAreCutBeforeAChunkWouldOverflow) {
  Head head;
  const std::string big(kMaxStringFieldBytes, 'x');
  const int rows = static_cast<int>(c::kMaxStringChunkBytes / big.size()) + 20;
  for (int i = 0; i < rows; ++i) {
    ASSERT_TRUE(Write(head, {{"log", {}, {{"line", big}}, kT0 + i}}).ok());
  }
  head.SealOpenRuns();
  EXPECT_EQ(head.Stats().seal_failures, 0u);
  EXPECT_GE(head.Stats().sealed_runs, 2u);
  const std::vector<SeriesData> series = QueryAll(head, "log");
  ASSERT_EQ(series.size(), 1u);
  EXPECT_EQ(series[0].timestamps.size(), static_cast<size_t>(rows));
  EXPECT_EQ(std::get<std::vector<std::string>>(series[0].values).back(), big);
}

// Selection -----------------------------------------------------------------------------------

class HeadSelectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(Write(head_, {{"cpu", {{"host", "a"}, {"dc", "eu"}}, {{"v", 1.0}}, kT0},
                              {"cpu", {{"host", "b"}, {"dc", "us"}}, {{"v", 2.0}}, kT0},
                              {"cpu", {{"host", "server9"}}, {{"v", 3.0}}, kT0},
                              {"cpu", {}, {{"v", 4.0}, {"w", 0.5}}, kT0},
                              {"mem", {{"host", "a"}}, {{"v", 5.0}}, kT0}})
                    .ok());
  }

  // The v values of the selected cpu series.
  std::vector<double> Select(std::vector<TagMatcher> matchers) {
    std::vector<double> out;
    for (const SeriesData& s : Query(head_, Selector("cpu", std::move(matchers), {"v"}))) {
      out.push_back(Floats(s)[0]);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  Head head_;
};

TEST_F(HeadSelectionTest, ByMeasurement) {
  EXPECT_EQ(QueryAll(head_, "cpu").size(), 5u);  // Four groups; the untagged one has w too.
  EXPECT_EQ(QueryAll(head_, "mem").size(), 1u);
  EXPECT_THAT(QueryAll(head_, "disk"), SizeIs(0));
  EXPECT_EQ(head_.Query({}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(HeadSelectionTest, ByTagEqualAndNotEqual) {
  EXPECT_THAT(Select({{"host", TagMatcher::Op::kEqual, "a"}}), ElementsAre(1.0));
  EXPECT_THAT(Select({{"host", TagMatcher::Op::kNotEqual, "a"}}), ElementsAre(2.0, 3.0, 4.0));
  EXPECT_THAT(Select({{"host", TagMatcher::Op::kEqual, "a"}, {"dc", TagMatcher::Op::kEqual, "us"}}),
              SizeIs(0));
}

TEST_F(HeadSelectionTest, ByRegexMatchingAnywhereInTheValue) {
  EXPECT_THAT(Select({{"host", TagMatcher::Op::kRegexMatch, "^server[0-9]+$"}}), ElementsAre(3.0));
  EXPECT_THAT(Select({{"host", TagMatcher::Op::kRegexMatch, "erv"}}), ElementsAre(3.0));
  EXPECT_THAT(Select({{"host", TagMatcher::Op::kRegexMatch, "a|b"}}), ElementsAre(1.0, 2.0));
  EXPECT_THAT(Select({{"host", TagMatcher::Op::kRegexNoMatch, "^[ab]$"}}), ElementsAre(3.0, 4.0));
  EXPECT_EQ(
      head_.Query(Selector("cpu", {{"host", TagMatcher::Op::kRegexMatch, "("}})).status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST_F(HeadSelectionTest, MissingTagComparesAsEmpty) {
  EXPECT_THAT(Select({{"dc", TagMatcher::Op::kEqual, ""}}), ElementsAre(3.0, 4.0));
  EXPECT_THAT(Select({{"dc", TagMatcher::Op::kNotEqual, ""}}), ElementsAre(1.0, 2.0));
  EXPECT_THAT(Select({{"dc", TagMatcher::Op::kRegexMatch, "^$"}}), ElementsAre(3.0, 4.0));
  EXPECT_THAT(Select({{"nope", TagMatcher::Op::kNotEqual, "x"}}), ElementsAre(1.0, 2.0, 3.0, 4.0));
}

TEST_F(HeadSelectionTest, ByFieldAndInSeriesKeyOrder) {
  const std::vector<SeriesData> w = Query(head_, Selector("cpu", {}, {"w"}));
  ASSERT_EQ(w.size(), 1u);
  EXPECT_THAT(w[0].tags, SizeIs(0));
  EXPECT_THAT(Query(head_, Selector("cpu", {}, {"nope"})), SizeIs(0));

  const std::vector<SeriesData> all = QueryAll(head_, "cpu");
  for (size_t i = 1; i < all.size(); ++i) {
    const std::string a = BatchSeriesKey(all[i - 1].measurement, all[i - 1].tags);
    const std::string b = BatchSeriesKey(all[i].measurement, all[i].tags);
    EXPECT_TRUE(a < b || (a == b && all[i - 1].field < all[i].field)) << i;
  }
  EXPECT_EQ(all[0].tags, Tags{});  // The shortest key.
  EXPECT_EQ(all[2].tags, (Tags{{"host", "server9"}}));
  EXPECT_EQ(all[3].tags, (Tags{{"dc", "eu"}, {"host", "a"}}));
}

TEST(HeadTest, TimeRangeIsInclusiveAtBothEnds) {
  HeadOptions options;
  options.max_open_rows = 4;
  Head head(options);
  std::vector<Point> points;
  for (int i = 0; i < 10; ++i) points.push_back({"m", {}, {{"v", 1.0 * i}}, kT0 + i});
  ASSERT_TRUE(Write(head, points).ok());
  auto times = [&](int64_t lo, int64_t hi) {
    std::vector<SeriesData> s = Query(head, Selector("m", {}, {}, lo, hi));
    return s.empty() ? std::vector<int64_t>() : s[0].timestamps;
  };
  EXPECT_THAT(times(kT0 + 3, kT0 + 5), ElementsAre(kT0 + 3, kT0 + 4, kT0 + 5));
  EXPECT_THAT(times(kT0 + 9, kT0 + 9), ElementsAre(kT0 + 9));
  EXPECT_THAT(times(kT0 + 10, kMaxTime), SizeIs(0));
  EXPECT_THAT(times(kT0 + 5, kT0 + 4), SizeIs(0));
  EXPECT_EQ(times(kMinTime, kMaxTime).size(), 10u);
}

// Listings and bounds -----------------------------------------------------------------------------

TEST(HeadTest, ListsMeasurementsTagsAndFields) {
  Head head;
  EXPECT_THAT(head.Measurements(), SizeIs(0));
  EXPECT_EQ(head.MinTime(), kMaxTime);
  EXPECT_EQ(head.MaxTime(), kMinTime);
  EXPECT_THAT(head.Partitions(), SizeIs(0));

  ASSERT_TRUE(
      Write(head, {{"net", {{"if", "eth0"}, {"host", "a"}}, {{"rx", uint64_t{1}}}, kT0},
                   {"net", {{"if", "eth1"}, {"host", "a"}}, {{"up", true}}, kT0 - 5},
                   {"cpu", {{"core", "0"}}, {{"idle", 0.5}, {"name", std::string("x")}}, kT0}})
          .ok());
  EXPECT_THAT(head.Measurements(), ElementsAre("cpu", "net"));
  EXPECT_THAT(head.TagKeys("net"), ElementsAre("host", "if"));
  EXPECT_THAT(head.TagValues("net", "if"), ElementsAre("eth0", "eth1"));
  EXPECT_THAT(head.TagValues("net", "host"), ElementsAre("a"));
  EXPECT_THAT(head.TagValues("net", "nope"), SizeIs(0));
  EXPECT_THAT(head.TagKeys("nope"), SizeIs(0));
  const std::vector<FieldInfo> fields = head.FieldKeys("net");
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0].key, "rx");
  EXPECT_EQ(fields[0].type, FieldType::kUint);
  EXPECT_EQ(fields[1].key, "up");
  EXPECT_EQ(fields[1].type, FieldType::kBool);
  EXPECT_EQ(head.SeriesCount(), 3u);
  EXPECT_EQ(head.MinTime(), kT0 - 5);
  EXPECT_EQ(head.MaxTime(), kT0);
}

TEST(HeadTest, TimestampsAtTheEndsOfInt64AreKeptAndFlushed) {
  Head head;
  ASSERT_TRUE(Write(head, {{"m", {}, {{"v", 1.0}}, kMinTime},
                           {"m", {}, {{"v", 2.0}}, kMaxTime},
                           {"m", {}, {{"v", 3.0}}, 0}})
                  .ok());
  const std::vector<HeadPartition> partitions = head.Partitions();
  ASSERT_EQ(partitions.size(), 3u);
  EXPECT_EQ(partitions.front().start, kMinTime);
  EXPECT_EQ(partitions.back().end, kMaxTime);
  EXPECT_THAT(QueryAll(head, "m")[0].timestamps, ElementsAre(kMinTime, 0, kMaxTime));
  size_t flushed = 0;
  for (const HeadPartition& p : partitions) {
    for (const FlushGroup& g : Flush(head, p.start, p.end)) {
      for (const std::string& chunk : g.timestamp_chunks) flushed += DecodeTimestamps(chunk).size();
    }
  }
  EXPECT_EQ(flushed, 3u);
}

// Memory --------------------------------------------------------------------------------------

// A 2-decimal random walk, as sensors report.
double Step(std::mt19937_64& rng, double v) {
  return std::round((v + (static_cast<int>(rng() % 21) - 10) / 100.0) * 100) / 100;
}

// Memory counts buffers by capacity, so it grows in steps: never down while writing, and by
// about what the codecs make of the points.
TEST(HeadTest, MemoryGrowsWithData) {
  Head head;
  std::mt19937_64 rng(1);
  double v = 20;
  std::vector<uint64_t> sizes = {head.MemoryBytes()};
  for (int step = 0; step < 10; ++step) {
    std::vector<Point> points;
    for (int i = 0; i < 1000; ++i) {
      v = Step(rng, v);
      points.push_back(
          {"m", {{"s", std::to_string(i % 20)}}, {{"v", v}}, kT0 + (step * 1000 + i) * kSecond});
    }
    ASSERT_TRUE(Write(head, points).ok());
    EXPECT_GE(head.MemoryBytes(), sizes.back()) << step;
    EXPECT_EQ(head.Stats().memory_bytes, head.MemoryBytes());
    sizes.push_back(head.MemoryBytes());
  }
  // 20 series x 64 open rows are about 25 KB; 9,000 more points sealed add at least a byte each.
  EXPECT_GT(sizes[1], sizes[0] + 20'000);
  EXPECT_GT(sizes[10], sizes[1] + 9'000);
  EXPECT_LT(sizes[10], sizes[1] + 40'000);
  head.SealOpenRuns();
  EXPECT_LT(head.MemoryBytes(), sizes[10]);
}

TEST(HeadTest, TenThousandSeriesStayWithinAFewMegabytesWhenSealed) {
  constexpr int kSeries = 10'000;
  constexpr int kPoints = 120;  // 20 minutes at 10 s.
  Head head;
  std::mt19937_64 rng(42);
  std::vector<double> values(kSeries, 20.0);
  for (int i = 0; i < kPoints; ++i) {
    WriteBatch batch;
    for (int s = 0; s < kSeries; ++s) {
      values[s] = Step(rng, values[s]);
      const std::string sensor = absl::StrCat("s", s);
      const TagView tags[] = {{"sensor", sensor}};
      const FieldView fields[] = {{"temp", values[s]}};
      ASSERT_TRUE(batch.Add("env", tags, fields, kT0 + i * 10 * kSecond).ok());
    }
    ASSERT_TRUE(head.Apply(batch).ok());
  }
  const double points = 1.0 * kSeries * kPoints;
  const uint64_t open = head.MemoryBytes();
  head.SealOpenRuns();
  const uint64_t sealed = head.MemoryBytes();
  const HeadStats stats = head.Stats();
  std::printf(
      "10,000 series x 120 points: %.1f MB (%.2f B/point) with open runs, %.1f MB sealed "
      "(%.2f B/point, of which chunks %.2f)\n",
      open / 1e6, open / points, sealed / 1e6, sealed / points, stats.sealed_bytes / points);
  EXPECT_EQ(stats.open_rows, 0u);
  EXPECT_EQ(stats.sealed_rows, static_cast<uint64_t>(kSeries * kPoints));
  EXPECT_LT(open, 24u << 20);
  EXPECT_LT(sealed, 5u << 20);
  EXPECT_LT(sealed, open / 3);
  // Sealing changes nothing a query sees.
  const std::vector<SeriesData> one =
      Query(head, Selector("env", {{"sensor", TagMatcher::Op::kEqual, "s9999"}}));
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].timestamps.size(), static_cast<size_t>(kPoints));
  EXPECT_EQ(Floats(one[0]).back(), values[9999]);
}

// In closed 1,024-row runs, a 2-decimal random walk at regular times costs about a byte per point,
// everything counted; Apply's speed is printed, not checked.
TEST(HeadTest, ClosedRunsCostAboutOneBytePerPoint) {
  Head head;
  std::mt19937_64 rng(3);
  constexpr int kSeries = 64, kPoints = 2048;
  std::vector<double> values(kSeries, 50.0);
  std::chrono::steady_clock::duration applying{};
  for (int i = 0; i < kPoints; ++i) {
    WriteBatch batch;
    for (int s = 0; s < kSeries; ++s) {
      values[s] = Step(rng, values[s]);
      const std::string sensor = absl::StrCat("s", s);
      const TagView tags[] = {{"sensor", sensor}};
      const FieldView fields[] = {{"temp", values[s]}};
      ASSERT_TRUE(batch.Add("env", tags, fields, kT0 + i * kSecond).ok());
    }
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(head.Apply(batch).ok());
    applying += std::chrono::steady_clock::now() - start;
  }
  const double points = 1.0 * kSeries * kPoints;
  const double with_open_runs = head.MemoryBytes() / points;
  head.SealOpenRuns();  // Nothing to seal: every run is full. This releases the open buffers.
  const double closed = head.MemoryBytes() / points;
  std::printf(
      "64 series x 2,048 points at 1 s: %.2f B/point with open buffers, %.2f without; "
      "Apply %.0f ns/point\n",
      with_open_runs, closed, std::chrono::duration<double, std::nano>(applying).count() / points);
  EXPECT_EQ(head.Stats().sealed_runs, 2u * kSeries);
  EXPECT_LT(closed, 1.3);
}

// Flush -------------------------------------------------------------------------------------

// Random writes of every type, sparse and aligned fields, out of order and overwriting, against
// a model: the last value written for each series, field and timestamp.
TEST(HeadTest, FlushInputDecodesBackToTheSamePointsAsQueries) {
  using Key = std::tuple<std::string, std::string, int64_t>;  // Series key, field, time.
  std::map<Key, FieldValue> model;
  HeadOptions options;
  options.max_chunk_values = 50;
  options.max_chunk_span_ns = 20 * kMinute;
  options.partition_ns = kHour;
  options.max_open_rows = 7;
  Head head(options);
  std::mt19937_64 rng(99);
  const std::vector<std::string> fields = {"f", "i", "u", "b", "s"};
  for (int b = 0; b < 300; ++b) {
    std::vector<Point> batch;
    for (int p = 0; p < 10; ++p) {
      Point point;
      point.measurement = rng() % 4 == 0 ? "other" : "dev";
      if (rng() % 3 != 0) point.tags = {{"id", std::to_string(rng() % 5)}};
      point.timestamp = kT0 + static_cast<int64_t>(rng() % 600) * 10 * kSecond;  // 100 min.
      for (const std::string& f : fields) {
        if (rng() % 3 == 0) continue;
        switch (f[0]) {
          case 'f':
            point.fields.emplace_back(f, static_cast<double>(rng() % 10000) / 100);
            break;
          case 'i':
            point.fields.emplace_back(f, static_cast<int64_t>(rng() % 100) - 50);
            break;
          case 'u':
            point.fields.emplace_back(f, uint64_t{rng()});
            break;
          case 'b':
            point.fields.emplace_back(f, rng() % 2 == 0);
            break;
          case 's':
            point.fields.emplace_back(f, std::string(rng() % 4, 'a' + rng() % 3));
            break;
        }
      }
      if (point.fields.empty()) point.fields.emplace_back("f", 0.25);
      batch.push_back(point);
    }
    ASSERT_TRUE(Write(head, batch).ok());
    for (const Point& point : batch) {
      const std::string key = BatchSeriesKey(point.measurement, point.tags);
      for (const auto& [f, v] : point.fields) model[{key, f, point.timestamp}] = v;
    }
  }
  EXPECT_EQ(head.Stats().seal_failures, 0u);

  // The model, by series key and field.
  std::map<std::pair<std::string, std::string>, TimedValues> expected;
  for (const auto& [key, value] : model) {
    expected[{std::get<0>(key), std::get<1>(key)}].emplace_back(std::get<2>(key), value);
  }

  // Queries see exactly the model.
  std::map<std::pair<std::string, std::string>, TimedValues> queried;
  for (const std::string& m : head.Measurements()) {
    for (const SeriesData& s : QueryAll(head, m)) {
      queried[{BatchSeriesKey(s.measurement, s.tags), s.field}] = PointsOf(s);
    }
  }
  ASSERT_EQ(queried.size(), expected.size());
  for (const auto& [key, values] : expected) {
    EXPECT_TRUE(SameTimedValues(queried[key], values)) << key.second;
  }

  // So do the flushed chunks, partition by partition, in series-key order.
  std::map<std::pair<std::string, std::string>, TimedValues> flushed;
  for (const HeadPartition& partition : head.Partitions()) {
    std::string previous_key;
    for (const FlushGroup& group : Flush(head, partition.start, partition.end)) {
      EXPECT_LT(previous_key, group.series_key);
      previous_key = group.series_key;
      for (size_t i = 1; i < group.fields.size(); ++i) {
        EXPECT_LT(group.fields[i - 1].key, group.fields[i].key);
      }
      for (const std::string& chunk : group.timestamp_chunks) {
        const c::ParsedChunk parsed = ParseWholeChunk(chunk);
        EXPECT_GE(parsed.summary.first_time, partition.start);
        EXPECT_LT(parsed.summary.last_time, partition.end);
        EXPECT_LE(parsed.summary.count, 50u);
        EXPECT_LE(parsed.summary.last_time - parsed.summary.first_time, 20 * kMinute);
      }
      for (const FlushField& field : group.fields) {
        TimedValues& out = flushed[{group.series_key, field.key}];
        for (auto& tv : DecodeFlushedField(group, field)) out.push_back(std::move(tv));
      }
    }
  }
  ASSERT_EQ(flushed.size(), expected.size());
  for (const auto& [key, values] : expected) {
    EXPECT_TRUE(SameTimedValues(flushed[key], values)) << key.second;
  }
}

TEST(HeadTest, FlushInputStopsAtTheSinksError) {
  Head head;
  ASSERT_TRUE(Write(head, {{"a", {}, {{"v", 1.0}}, kT0}, {"b", {}, {{"v", 1.0}}, kT0}}).ok());
  int calls = 0;
  const absl::Status s = head.FlushInput(kMinTime, kMaxTime, [&](FlushGroup&&) {
    ++calls;
    return absl::ResourceExhaustedError("disk full");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(calls, 1);
}

// Threads -----------------------------------------------------------------------------------

TEST(HeadTest, QueriesRunWhileAWriterApplies) {
  HeadOptions options;
  options.max_open_rows = 16;
  Head head(options);
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 2000; ++i) {
      EXPECT_TRUE(
          Write(head, {{"m", {{"d", std::to_string(i % 10)}}, {{"v", 1.0 * i}}, kT0 + i}}).ok());
    }
    done = true;
  });
  size_t last_seen = 0;
  while (!done) {
    size_t seen = 0;
    for (const SeriesData& s : QueryAll(head, "m")) {
      seen += s.timestamps.size();
      EXPECT_TRUE(std::is_sorted(s.timestamps.begin(), s.timestamps.end()));
    }
    EXPECT_GE(seen, last_seen);  // Whole batches appear, never disappear.
    last_seen = seen;
  }
  writer.join();
  size_t total = 0;
  for (const SeriesData& s : QueryAll(head, "m")) total += s.timestamps.size();
  EXPECT_EQ(total, 2000u);
}

}  // namespace
}  // namespace edgetsdb
