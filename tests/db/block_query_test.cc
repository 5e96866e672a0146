// Block queries: canonical series keys round-trip and print as InfluxDB prints them; merging
// sources keeps key and field order and lets the newer source win at equal timestamps (and
// replace a series whose field type changed); QueryBlock answers exactly what the points written
// to the block say, over shared and own timestamps, trimmed to the range and filtered by field
// and tags.
#include "db/block_query.h"

#include <bit>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "compression/block_compression.h"
#include "db/block/block_reader.h"
#include "db/tag_matcher.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/blocks.h"
#include "tests/support/fault_injection_env.h"
#include "tests/support/points.h"

namespace edgetsdb {
namespace {

using ::edgetsdb::testing::BatchSeriesKey;
using ::edgetsdb::testing::ExpectedAnswer;
using ::edgetsdb::testing::FaultInjectionEnv;
using ::edgetsdb::testing::Point;
using ::edgetsdb::testing::PointsOf;
using ::edgetsdb::testing::SeriesPoints;
using ::edgetsdb::testing::Tags;
using ::edgetsdb::testing::TimedValues;
using ::edgetsdb::testing::ToSeriesPoints;
using ::edgetsdb::testing::WritePointsBlock;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Op = TagMatcher::Op;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kPartition = 2 * 3600 * kSecond;
constexpr int64_t kStart = 1'700'000'000LL * kSecond / kPartition * kPartition;
constexpr BlockMeta kMeta{kStart, kStart + kPartition, 1};
constexpr char kDir[] = "/blocks";

// Series keys --------------------------------------------------------------------------------

TEST(SeriesKeyTest, CanonicalKeysAreTheWriteBatchsKeys) {
  const std::vector<std::pair<std::string, Tags>> cases = {
      {"env", {}},
      {"env", {{"device", "d1"}, {"site", "plant 1"}}},
      {"m,with=odd chars", {{"k=1", "v,1"}, {"z", std::string(300, 'v')}}},
  };
  for (const auto& [measurement, tags] : cases) {
    EXPECT_EQ(CanonicalSeriesKey(measurement, tags), BatchSeriesKey(measurement, tags));
  }
}

TEST(SeriesKeyTest, ParseRoundTripsCanonicalKeys) {
  const Tags tags = {{"", "empty key"}, {"device", std::string("\0\xff", 2)}, {"site", "a b"}};
  const std::string key = CanonicalSeriesKey("env", tags);
  std::string_view measurement;
  std::vector<TagView> parsed;
  ASSERT_TRUE(ParseCanonicalSeriesKey(key, &measurement, &parsed));
  EXPECT_EQ(measurement, "env");
  ASSERT_EQ(parsed.size(), tags.size());
  for (size_t i = 0; i < tags.size(); ++i) {
    EXPECT_EQ(parsed[i].key, tags[i].first);
    EXPECT_EQ(parsed[i].value, tags[i].second);
  }
  const std::string untagged = CanonicalSeriesKey("m", {});  // Outlives the views.
  ASSERT_TRUE(ParseCanonicalSeriesKey(untagged, &measurement, &parsed));
  EXPECT_EQ(measurement, "m");
  EXPECT_TRUE(parsed.empty());
}

TEST(SeriesKeyTest, ParseRefusesTruncatedAndTrailingBytes) {
  const std::string key = CanonicalSeriesKey("env", {{"device", "d1"}, {"site", "s"}});
  std::string_view measurement;
  std::vector<TagView> tags;
  for (size_t size = 0; size < key.size(); ++size) {
    EXPECT_FALSE(ParseCanonicalSeriesKey(key.substr(0, size), &measurement, &tags)) << size;
  }
  EXPECT_FALSE(ParseCanonicalSeriesKey(key + "x", &measurement, &tags));
  // A tag count past what the key holds.
  std::string lying = CanonicalSeriesKey("env", {});
  lying.back() = 5;
  EXPECT_FALSE(ParseCanonicalSeriesKey(lying, &measurement, &tags));
}

TEST(SeriesKeyTest, FormatEscapesAsLineProtocolDoes) {
  EXPECT_EQ(FormatSeriesKey("env", {}), "env");
  EXPECT_EQ(FormatSeriesKey("env", {{"device", "d1"}, {"site", "s"}}), "env,device=d1,site=s");
  // Measurements escape commas and spaces only; tag keys and values escape '=' too.
  EXPECT_EQ(FormatSeriesKey("cpu load,x=1", {}), "cpu\\ load\\,x=1");
  EXPECT_EQ(FormatSeriesKey("m", {{"host name", "a,b=c d"}}), "m,host\\ name=a\\,b\\=c\\ d");
  EXPECT_EQ(FormatSeriesKey("m", {{"k=", "v"}}), "m,k\\==v");
  // Other bytes, backslashes included, pass through.
  EXPECT_EQ(FormatSeriesKey("m\\", {{"k", "\"é\""}}), "m\\,k=\"é\"");
}

// Merging ------------------------------------------------------------------------------------

SeriesData Floats(std::vector<int64_t> ts, std::vector<double> values) {
  SeriesData s;
  s.measurement = "m";
  s.field = "f";
  s.type = FieldType::kFloat;
  s.timestamps = std::move(ts);
  s.values = std::move(values);
  return s;
}

TimedValues Merged(SeriesData older, SeriesData newer) {
  MergeSeriesInto(&older, std::move(newer));
  return PointsOf(older);
}

TEST(MergeSeriesTest, DisjointRangesConcatenateInTimeOrder) {
  EXPECT_EQ(Merged(Floats({1, 2}, {1, 2}), Floats({3, 4}, {3, 4})),
            (TimedValues{{1, 1.0}, {2, 2.0}, {3, 3.0}, {4, 4.0}}));
  EXPECT_EQ(Merged(Floats({5, 6}, {5, 6}), Floats({1, 2}, {1, 2})),
            (TimedValues{{1, 1.0}, {2, 2.0}, {5, 5.0}, {6, 6.0}}));
}

TEST(MergeSeriesTest, InterleavedTimestampsMerge) {
  EXPECT_EQ(Merged(Floats({1, 3, 5}, {1, 3, 5}), Floats({2, 4, 6}, {2, 4, 6})),
            (TimedValues{{1, 1.0}, {2, 2.0}, {3, 3.0}, {4, 4.0}, {5, 5.0}, {6, 6.0}}));
}

TEST(MergeSeriesTest, AtEqualTimestampsTheNewerValueWins) {
  EXPECT_EQ(Merged(Floats({1, 2, 3}, {1, 2, 3}), Floats({2, 3, 4}, {20, 30, 40})),
            (TimedValues{{1, 1.0}, {2, 20.0}, {3, 30.0}, {4, 40.0}}));
  EXPECT_EQ(Merged(Floats({1}, {1}), Floats({1}, {-1})), (TimedValues{{1, -1.0}}));
}

TEST(MergeSeriesTest, EmptySidesLeaveTheOther) {
  EXPECT_EQ(Merged(Floats({1}, {1}), Floats({}, {})), (TimedValues{{1, 1.0}}));
  EXPECT_EQ(Merged(Floats({}, {}), Floats({1}, {1})), (TimedValues{{1, 1.0}}));
}

TEST(MergeSeriesTest, ANewerTypeReplacesTheOlderSeries) {
  SeriesData ints;
  ints.measurement = "m";
  ints.field = "f";
  ints.type = FieldType::kInt;
  ints.timestamps = {2, 9};
  ints.values = std::vector<int64_t>{7, 8};
  SeriesData older = Floats({1, 2, 3}, {1, 2, 3});
  MergeSeriesInto(&older, std::move(ints));
  EXPECT_EQ(older.type, FieldType::kInt);
  EXPECT_EQ(PointsOf(older), (TimedValues{{2, int64_t{7}}, {9, int64_t{8}}}));
}

TEST(MergeSeriesTest, StringsMergeByValue) {
  SeriesData older;
  older.type = FieldType::kString;
  older.timestamps = {1, 2};
  older.values = std::vector<std::string>{"a", std::string(100, 'b')};
  SeriesData newer = older;
  newer.timestamps = {2, 3};
  newer.values = std::vector<std::string>{std::string(100, 'c'), "d"};
  EXPECT_EQ(
      Merged(older, newer),
      (TimedValues{{1, std::string("a")}, {2, std::string(100, 'c')}, {3, std::string("d")}}));
}

KeyedSeries Keyed(std::string measurement, std::string field, SeriesData data) {
  data.measurement = measurement;
  data.field = field;
  return {CanonicalSeriesKey(measurement, {}), std::move(data)};
}

std::vector<std::pair<std::string, std::string>> Order(const std::vector<SeriesData>& merged) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const SeriesData& s : merged) out.emplace_back(s.measurement, s.field);
  return out;
}

TEST(MergeSourcesTest, ResultsAreInCanonicalKeyThenFieldOrder) {
  std::vector<std::vector<KeyedSeries>> sources(2);
  sources[0].push_back(Keyed("a", "x", Floats({1}, {1})));
  sources[0].push_back(Keyed("b", "x", Floats({1}, {1})));
  sources[1].push_back(Keyed("a", "w", Floats({1}, {1})));
  sources[1].push_back(Keyed("c", "x", Floats({1}, {1})));
  // Bytewise, unsigned: "é" sorts after ASCII.
  sources[1].push_back(Keyed("\xc3\xa9", "x", Floats({1}, {1})));
  sources[1].push_back(Keyed("zz", "x", Floats({1}, {1})));
  EXPECT_THAT(Order(MergeSources(std::move(sources))),
              ElementsAre(std::pair("a", "w"), std::pair("a", "x"), std::pair("b", "x"),
                          std::pair("c", "x"), std::pair("zz", "x"), std::pair("\xc3\xa9", "x")));
}

TEST(MergeSourcesTest, NewerSourcesWinAndChangedTypesReplace) {
  std::vector<std::vector<KeyedSeries>> sources(3);
  sources[0].push_back(Keyed("m", "f", Floats({1, 2}, {1, 2})));
  sources[0].push_back(Keyed("m", "g", Floats({1}, {1})));
  sources[1].push_back(Keyed("m", "f", Floats({2, 3}, {20, 30})));
  SeriesData bools;
  bools.type = FieldType::kBool;
  bools.timestamps = {5};
  bools.values = std::vector<uint8_t>{1};
  sources[2].push_back(Keyed("m", "g", bools));
  const std::vector<SeriesData> merged = MergeSources(std::move(sources));
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(PointsOf(merged[0]), (TimedValues{{1, 1.0}, {2, 20.0}, {3, 30.0}}));
  EXPECT_EQ(merged[1].type, FieldType::kBool);
  EXPECT_EQ(PointsOf(merged[1]), (TimedValues{{5, true}}));
}

TEST(MergeSourcesTest, ASingleSourcePassesThrough) {
  std::vector<std::vector<KeyedSeries>> sources(1);
  sources[0].push_back(Keyed("m", "f", Floats({1, 2}, {1, 2})));
  const std::vector<SeriesData> merged = MergeSources(std::move(sources));
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(PointsOf(merged[0]), (TimedValues{{1, 1.0}, {2, 2.0}}));
}

// QueryBlock ---------------------------------------------------------------------------------

// Four devices at two sites, a reading every 10 s for 200 readings: temp, hum and total in every
// reading (shared timestamps), door every third and note every fifth (own timestamps); and a
// second measurement.
std::vector<Point> SamplePoints() {
  std::vector<Point> points;
  for (int d = 0; d < 4; ++d) {
    const Tags tags = {{"device", absl::StrCat("d", d)}, {"site", absl::StrCat("s", d % 2)}};
    for (int i = 0; i < 200; ++i) {
      Point p{"env", tags, {}, kStart + 5 * kSecond + i * 10 * kSecond};
      p.fields = {{"temp", 20.0 + d + i / 8.0},
                  {"hum", int64_t{40 + (i * 7 + d) % 30}},
                  {"total", uint64_t{1} << 60 | static_cast<uint64_t>(i)}};
      if (i % 3 == 0) p.fields.emplace_back("door", i % 2 == 0);
      if (i % 5 == 0) p.fields.emplace_back("note", absl::StrCat("n", i / 5));
      points.push_back(std::move(p));
    }
  }
  for (int i = 0; i < 20; ++i) {
    points.push_back({"power", {{"device", "d0"}}, {{"watts", 100.0 + i}}, kStart + i * kSecond});
  }
  return points;
}

// The tag's value, "" when missing (as matchers see it).
std::string TagValue(const Tags& tags, std::string_view key) {
  for (const auto& [k, v] : tags) {
    if (k == key) return v;
  }
  return "";
}

class QueryBlockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(env_.CreateDir(kDir).ok());
    HeadOptions options;
    options.max_chunk_values = 32;  // Several chunks per field, trimmed inside at range ends.
    block_ = WritePointsBlock(&env_, kDir, kMeta, points_, options);
    ASSERT_NE(block_, nullptr);
  }

  static SeriesSelector Selector(std::string measurement, int64_t min_time = kMinTime,
                                 int64_t max_time = kMaxTime,
                                 std::vector<std::string> fields = {}) {
    SeriesSelector selector;
    selector.measurement = std::move(measurement);
    selector.min_time = min_time;
    selector.max_time = max_time;
    selector.fields = std::move(fields);
    return selector;
  }

  std::vector<KeyedSeries> Query(const SeriesSelector& selector) {
    absl::StatusOr<TagMatchers> matchers = TagMatchers::Compile(selector.matchers);
    EXPECT_TRUE(matchers.ok()) << matchers.status();
    std::vector<KeyedSeries> out;
    const absl::Status s = QueryBlock(*block_, selector, *matchers, &out);
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }

  // The answer as SeriesPoints, checking each key against its series.
  std::vector<SeriesPoints> Answer(const SeriesSelector& selector) {
    std::vector<SeriesData> data;
    for (KeyedSeries& s : Query(selector)) {
      EXPECT_EQ(s.series_key, BatchSeriesKey(s.data.measurement, s.data.tags));
      data.push_back(std::move(s.data));
    }
    return ToSeriesPoints(data);
  }

  // What the selector (without matchers) should give over the points that pass keep.
  template <typename Keep>
  std::vector<SeriesPoints> Expected(SeriesSelector selector, Keep keep) {
    selector.matchers.clear();
    std::vector<Point> kept;
    for (const Point& p : points_) {
      if (keep(p.tags)) kept.push_back(p);
    }
    return ExpectedAnswer({kept}, selector);
  }
  std::vector<SeriesPoints> Expected(const SeriesSelector& selector) {
    return Expected(selector, [](const Tags&) { return true; });
  }

  FaultInjectionEnv env_;
  std::vector<Point> points_ = SamplePoints();
  std::unique_ptr<BlockReader> block_;
};

TEST_F(QueryBlockTest, TheBlockHoldsSharedAndOwnTimestampFieldsInSeveralChunks) {
  const BlockGroup group =
      block_->group(*block_->FindGroup(BatchSeriesKey("env", {{"device", "d1"}, {"site", "s1"}})));
  ASSERT_EQ(group.fields.size(), 5u);
  for (const BlockField& field : group.fields) {
    EXPECT_EQ(field.shared_timestamps, field.key != "door" && field.key != "note") << field.key;
    EXPECT_GE(field.chunks.size(), 2u) << field.key;
  }
}

TEST_F(QueryBlockTest, AWholeMeasurementComesBackAsWritten) {
  EXPECT_EQ(Answer(Selector("env")), Expected(Selector("env")));
  EXPECT_EQ(Answer(Selector("power")), Expected(Selector("power")));
  EXPECT_EQ(Answer(Selector("env")).size(), 4u * 5);
}

TEST_F(QueryBlockTest, TheTimeRangeTrimsInsideChunksInclusively) {
  // Readings fall at kStart + 5 s + 10 s * i; the range's ends are a reading and a gap.
  for (const auto& [min_time, max_time] :
       std::vector<std::pair<int64_t, int64_t>>{{kStart + 105 * kSecond, kStart + 1234 * kSecond},
                                                {kStart + 106 * kSecond, kStart + 1235 * kSecond},
                                                {kStart + 335 * kSecond, kStart + 335 * kSecond},
                                                {kMinTime, kStart + 5 * kSecond},
                                                {kStart + 1995 * kSecond, kMaxTime}}) {
    const SeriesSelector selector = Selector("env", min_time, max_time);
    EXPECT_EQ(Answer(selector), Expected(selector))
        << min_time - kStart << ".." << max_time - kStart;
  }
}

TEST_F(QueryBlockTest, RangesOutsideTheBlockOrBetweenReadingsSelectNothing) {
  EXPECT_TRUE(Query(Selector("env", kMinTime, kStart - 1)).empty());
  EXPECT_TRUE(Query(Selector("env", kMeta.end, kMaxTime)).empty());  // The end is exclusive.
  EXPECT_TRUE(Query(Selector("env", kStart + 6 * kSecond, kStart + 14 * kSecond)).empty());
  EXPECT_TRUE(Query(Selector("nope")).empty());
}

TEST_F(QueryBlockTest, OnlyTheSelectedFieldsComeBack) {
  const SeriesSelector selector = Selector("env", kMinTime, kMaxTime, {"note", "temp", "absent"});
  const std::vector<SeriesPoints> answer = Answer(selector);
  EXPECT_EQ(answer, Expected(selector));
  ASSERT_EQ(answer.size(), 8u);
  EXPECT_EQ(answer[0].field, "note");
  EXPECT_EQ(answer[1].field, "temp");
}

TEST_F(QueryBlockTest, TagMatchersSelectGroups) {
  SeriesSelector selector = Selector("env");
  selector.matchers = {{"site", Op::kEqual, "s1"}};
  EXPECT_EQ(Answer(selector),
            Expected(selector, [](const Tags& t) { return TagValue(t, "site") == "s1"; }));

  selector.matchers = {{"device", Op::kRegexMatch, "[02]"}, {"site", Op::kNotEqual, "s1"}};
  EXPECT_EQ(Answer(selector), Expected(selector, [](const Tags& t) {
              const std::string device = TagValue(t, "device");
              return (device == "d0" || device == "d2") && TagValue(t, "site") != "s1";
            }));

  selector.matchers = {{"rack", Op::kEqual, ""}};  // No device has a rack.
  EXPECT_EQ(Answer(selector), Expected(selector));
  selector.matchers = {{"rack", Op::kRegexMatch, "."}};
  EXPECT_TRUE(Answer(selector).empty());
}

// Groups larger than a frame, written with Zstandard: a group's timestamp and field chunks lie in
// different frames and are read interleaved, which the scan's held frames serve.
TEST_F(QueryBlockTest, GroupsStraddlingFramesComeBackAsWritten) {
  std::vector<Point> points;
  uint64_t noise = 12345;
  for (int d = 0; d < 3; ++d) {
    const Tags tags = {{"device", absl::StrCat("d", d)}};
    for (int i = 0; i < 700; ++i) {
      Point p{"env", tags, {}, kStart + 5 * kSecond + i * 10 * kSecond};
      for (int f = 0; f < 12; ++f) {
        noise = noise * 6364136223846793005u + 1442695040888963407u;  // Incompressible values.
        p.fields.emplace_back(absl::StrCat("f", f), std::bit_cast<double>(noise >> 2));
      }
      points.push_back(std::move(p));
    }
  }
  HeadOptions options;
  options.max_chunk_values = 128;
  block_ = WritePointsBlock(&env_, kDir, BlockMeta{kStart, kStart + kPartition, 2}, points, options,
                            compression::BlockCompression::kZstd);
  ASSERT_NE(block_, nullptr);
  ASSERT_GT(block_->frame_count(), 3u);
  points_ = points;
  for (const SeriesSelector& selector :
       {Selector("env"), Selector("env", kStart + 1005 * kSecond, kStart + 4003 * kSecond)}) {
    EXPECT_EQ(Answer(selector), Expected(selector));
  }
}

TEST_F(QueryBlockTest, ADamagedChunkIsDataLossNamingTheBlock) {
  FaultInjectionEnv env;
  ASSERT_TRUE(env.CreateDir(kDir).ok());
  std::unique_ptr<BlockReader> block = WritePointsBlock(&env, kDir, kMeta, points_, HeadOptions(),
                                                        compression::BlockCompression::kNone);
  ASSERT_NE(block, nullptr);
  absl::StatusOr<std::string> bytes = env.ReadFileToString(block->path());
  ASSERT_TRUE(bytes.ok());
  // A byte inside the first frame, which holds the first group's chunks.
  (*bytes)[block->frame_offset(0) + 40] ^= 0x10;
  ASSERT_TRUE(env.SetFileContents(block->path(), *bytes).ok());
  absl::StatusOr<std::unique_ptr<BlockReader>> damaged = BlockReader::Open(&env, block->path());
  ASSERT_TRUE(damaged.ok()) << damaged.status();
  absl::StatusOr<TagMatchers> matchers = TagMatchers::Compile({});
  std::vector<KeyedSeries> out;
  const absl::Status s = QueryBlock(**damaged, Selector("env"), *matchers, &out);
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr(block->path()));
}

}  // namespace
}  // namespace edgetsdb
