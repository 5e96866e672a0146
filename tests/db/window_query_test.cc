// Window aggregates over blocks and newer (head) points: every aggregate equals what a brute-force
// pass over the merged raw points gives, for every field type, window offset and sign of time;
// a block chunk inside one window and the range, overlapped by no other source, is answered from
// its summary, and every other chunk is decoded.
#include "db/window_query.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "db/block/block_reader.h"
#include "db/block_query.h"
#include "db/rows.h"
#include "db/tag_matcher.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/blocks.h"
#include "tests/support/fault_injection_env.h"
#include "tests/support/points.h"

namespace edgetsdb {
namespace {

using ::edgetsdb::testing::ExpectedAnswer;
using ::edgetsdb::testing::FaultInjectionEnv;
using ::edgetsdb::testing::HeadAnswer;
using ::edgetsdb::testing::Point;
using ::edgetsdb::testing::SeriesPoints;
using ::edgetsdb::testing::Tags;
using ::edgetsdb::testing::WritePointsBlock;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kPartition = 2 * 3600 * kSecond;
constexpr int64_t kStart = 1'700'000'000LL * kSecond / kPartition * kPartition;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr char kDir[] = "/blocks";

const std::vector<Aggregate> kAllAggregates = {
    Aggregate::kCount, Aggregate::kSum,   Aggregate::kMean, Aggregate::kMin,
    Aggregate::kMax,   Aggregate::kFirst, Aggregate::kLast};

WindowSpec Windows(int64_t width_ns, int64_t offset_ns = 0) {
  return {width_ns, offset_ns, kAllAggregates};
}

SeriesSelector Selector(int64_t min_time = kMinTime, int64_t max_time = kMaxTime,
                        std::string measurement = "m") {
  SeriesSelector selector;
  selector.measurement = std::move(measurement);
  selector.min_time = min_time;
  selector.max_time = max_time;
  return selector;
}

// Brute force ---------------------------------------------------------------------------------

int64_t WindowStartOf(int64_t t, const WindowSpec& spec) {
  const __int128 rel = static_cast<__int128>(t) - spec.offset_ns;
  __int128 k = rel / spec.width_ns;
  if (rel % spec.width_ns < 0) --k;
  const __int128 start = k * spec.width_ns + spec.offset_ns;
  return start < kMinTime ? kMinTime : static_cast<int64_t>(start);
}

// Numeric view of a value (strings have none).
double AsDouble(const FieldValue& v) {
  return std::visit(
      [](const auto& x) -> double {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return kNaN;
        } else {
          return static_cast<double>(x);
        }
      },
      v);
}

// Whether a < b in the value's own type (only called for numeric and bool values).
bool Less(const FieldValue& a, const FieldValue& b) {
  return std::visit(
      [&](const auto& x) -> bool {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return false;
        } else {
          return x < std::get<T>(b);
        }
      },
      a);
}

double Compute(const testing::TimedValues& points, FieldType type, Aggregate aggregate) {
  const bool is_string = type == FieldType::kString;
  double sum = 0;
  uint64_t wrapped = 0;  // Integer sums wrap modulo 2^64, as InfluxDB 1.x's do.
  const FieldValue* min = nullptr;
  const FieldValue* max = nullptr;
  for (const auto& [t, v] : points) {
    if (type == FieldType::kFloat) {
      sum += std::get<double>(v);
      if (std::isnan(std::get<double>(v))) continue;
    } else if (!is_string) {
      wrapped += std::visit(
          [](const auto& x) -> uint64_t {
            if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::string>) {
              return 0;
            } else {
              return static_cast<uint64_t>(x);
            }
          },
          v);
    }
    if (!is_string && (min == nullptr || Less(v, *min))) min = &v;
    if (!is_string && (max == nullptr || Less(*max, v))) max = &v;
  }
  if (type == FieldType::kInt) sum = static_cast<double>(static_cast<int64_t>(wrapped));
  if (type == FieldType::kUint || type == FieldType::kBool) sum = static_cast<double>(wrapped);
  switch (aggregate) {
    case Aggregate::kCount:
      return static_cast<double>(points.size());
    case Aggregate::kSum:
      return is_string ? kNaN : sum;
    case Aggregate::kMean:
      return is_string ? kNaN : sum / static_cast<double>(points.size());
    case Aggregate::kMin:
      return min == nullptr ? kNaN : AsDouble(*min);
    case Aggregate::kMax:
      return max == nullptr ? kNaN : AsDouble(*max);
    case Aggregate::kFirst:
      return AsDouble(points.front().second);
    case Aggregate::kLast:
      return AsDouble(points.back().second);
  }
  return kNaN;
}

FieldType TypeOfSeries(const SeriesPoints& s) { return TypeOf(s.points.front().second); }

std::vector<WindowSeries> BruteForce(const std::vector<SeriesPoints>& merged,
                                     const WindowSpec& spec) {
  std::vector<WindowSeries> out;
  for (const SeriesPoints& series : merged) {
    if (series.points.empty()) continue;
    WindowSeries w;
    w.measurement = series.measurement;
    w.tags = series.tags;
    w.field = series.field;
    w.type = TypeOfSeries(series);
    w.results.resize(spec.aggregates.size());
    for (size_t i = 0; i < series.points.size();) {
      const int64_t start = WindowStartOf(series.points[i].first, spec);
      size_t j = i;
      while (j < series.points.size() && WindowStartOf(series.points[j].first, spec) == start) ++j;
      const testing::TimedValues window(series.points.begin() + i, series.points.begin() + j);
      w.window_starts.push_back(start);
      w.first_times.push_back(window.front().first);
      w.last_times.push_back(window.back().first);
      for (size_t a = 0; a < spec.aggregates.size(); ++a) {
        w.results[a].push_back(Compute(window, w.type, spec.aggregates[a]));
      }
      i = j;
    }
    out.push_back(std::move(w));
  }
  return out;
}

bool SameResult(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

void ExpectSameWindows(const std::vector<WindowSeries>& actual,
                       const std::vector<WindowSeries>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t s = 0; s < actual.size(); ++s) {
    const WindowSeries& a = actual[s];
    const WindowSeries& e = expected[s];
    SCOPED_TRACE(absl::StrCat("series ", s, " field ", e.field));
    EXPECT_EQ(a.measurement, e.measurement);
    EXPECT_EQ(a.tags, e.tags);
    EXPECT_EQ(a.field, e.field);
    EXPECT_EQ(a.type, e.type);
    EXPECT_EQ(a.window_starts, e.window_starts);
    EXPECT_EQ(a.first_times, e.first_times);
    EXPECT_EQ(a.last_times, e.last_times);
    ASSERT_EQ(a.results.size(), e.results.size());
    for (size_t r = 0; r < a.results.size(); ++r) {
      ASSERT_EQ(a.results[r].size(), e.results[r].size()) << "aggregate " << r;
      for (size_t w = 0; w < a.results[r].size(); ++w) {
        EXPECT_TRUE(SameResult(a.results[r][w], e.results[r][w]))
            << "aggregate " << r << " window " << w << " (" << e.window_starts[w]
            << "): " << a.results[r][w] << " vs " << e.results[r][w];
      }
    }
  }
}

// Fixture: blocks (oldest first) and newer points --------------------------------------------

class WindowQueryTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(env_.CreateDir(kDir).ok()); }

  // Adds a block of the partition holding `partition_time`, chunks of at most max_chunk_values.
  void AddBlock(std::vector<Point> points, int64_t partition_time, uint32_t max_chunk_values) {
    HeadOptions options;
    options.max_chunk_values = max_chunk_values;
    const int64_t start = PartitionStart(partition_time, kPartition);
    const BlockMeta meta{start, start + kPartition, blocks_.size() + 1};
    blocks_.push_back(WritePointsBlock(&env_, kDir, meta, points, options));
    ASSERT_NE(blocks_.back(), nullptr);
    sources_.push_back(std::move(points));
  }

  absl::StatusOr<std::vector<WindowSeries>> Run(const std::vector<Point>& newer,
                                                const SeriesSelector& selector,
                                                const WindowSpec& spec) {
    std::vector<const BlockReader*> blocks;
    for (const auto& block : blocks_) blocks.push_back(block.get());
    std::vector<std::vector<KeyedSeries>> newer_points;
    if (!newer.empty()) newer_points.push_back(HeadAnswer(newer, selector));
    absl::StatusOr<TagMatchers> matchers = TagMatchers::Compile(selector.matchers);
    EXPECT_TRUE(matchers.ok());
    stats_ = WindowQueryStats();
    return QueryWindowsOver(blocks, std::move(newer_points), selector, *matchers, spec, &stats_);
  }

  std::vector<WindowSeries> Expected(const std::vector<Point>& newer,
                                     const SeriesSelector& selector, const WindowSpec& spec) {
    std::vector<std::vector<Point>> sources = sources_;
    sources.push_back(newer);
    return BruteForce(ExpectedAnswer(sources, selector), spec);
  }

  void ExpectMatchesBruteForce(const std::vector<Point>& newer, const SeriesSelector& selector,
                               const WindowSpec& spec) {
    SCOPED_TRACE(absl::StrCat("width ", spec.width_ns, " offset ", spec.offset_ns, " range ",
                              selector.min_time, "..", selector.max_time));
    absl::StatusOr<std::vector<WindowSeries>> actual = Run(newer, selector, spec);
    ASSERT_TRUE(actual.ok()) << actual.status();
    ExpectSameWindows(*actual, Expected(newer, selector, spec));
  }

  FaultInjectionEnv env_;
  std::vector<std::unique_ptr<BlockReader>> blocks_;
  std::vector<std::vector<Point>> sources_;
  WindowQueryStats stats_;
};

// Summaries and decoding ----------------------------------------------------------------------

// Readings at base + i s for i in [first, last), field a in each and b in every other one.
std::vector<Point> Readings(int64_t base, int first, int last, double bias = 0) {
  std::vector<Point> points;
  for (int i = first; i < last; ++i) {
    Point p{"m", {{"device", "d0"}}, {{"a", bias + i / 4.0}}, base + i * kSecond};
    if (i % 2 == 0) p.fields.emplace_back("b", int64_t{i} * 3 - 50);
    points.push_back(std::move(p));
  }
  return points;
}

TEST_F(WindowQueryTest, OnlyChunksInsideOneWindowAndTheRangeAndOverlappedByNothingUseSummaries) {
  // Chunks of 10 readings fill the 10 s windows exactly: [0, 10), [10, 20), ... [50, 60).
  AddBlock(Readings(kStart, 0, 60), kStart, 10);
  AddBlock(Readings(kStart, 25, 27, 100), kStart, 10);             // Late data inside [20, 30).
  const std::vector<Point> newer = Readings(kStart, 55, 66, 200);  // Overlaps [50, 60).
  // The range starts inside [0, 10).
  const SeriesSelector selector = Selector(kStart + 3 * kSecond, kStart + 100 * kSecond);
  ExpectMatchesBruteForce(newer, selector, Windows(10 * kSecond));
  // Per field: [10, 20), [30, 40), [40, 50) from summaries; [0, 10) (cut by the range),
  // [20, 30) and the late chunk (overlapping), [50, 60) (overlapped by the head) decoded.
  EXPECT_EQ(stats_.chunks_from_summaries, 2u * 3);
  EXPECT_EQ(stats_.chunks_decoded, 2u * 4);
}

TEST_F(WindowQueryTest, ChunksStraddlingWindowsAreDecoded) {
  AddBlock(Readings(kStart, 0, 60), kStart, 10);
  AddBlock(Readings(kStart, 25, 27, 100), kStart, 10);
  // Offset by 5 s, every 10-reading chunk straddles two windows; the late chunk lies in one
  // but overlaps the older block.
  ExpectMatchesBruteForce({}, Selector(), Windows(10 * kSecond, 5 * kSecond));
  EXPECT_EQ(stats_.chunks_from_summaries, 0u);
  EXPECT_EQ(stats_.chunks_decoded, 2u * 7);
}

TEST_F(WindowQueryTest, WholeChunksInWideWindowsAllComeFromSummaries) {
  AddBlock(Readings(kStart, 0, 60), kStart, 10);
  AddBlock(Readings(kStart + kPartition, 0, 60), kStart + kPartition, 10);
  ExpectMatchesBruteForce({}, Selector(), Windows(kPartition));
  EXPECT_EQ(stats_.chunks_from_summaries, 2u * 2 * 6);
  EXPECT_EQ(stats_.chunks_decoded, 0u);
}

TEST_F(WindowQueryTest, ChunksOutsideTheRangeAreNotRead) {
  AddBlock(Readings(kStart, 0, 60), kStart, 10);
  ExpectMatchesBruteForce({}, Selector(kStart + 20 * kSecond, kStart + 39 * kSecond),
                          Windows(10 * kSecond));
  EXPECT_EQ(stats_.chunks_from_summaries, 2u * 2);
  EXPECT_EQ(stats_.chunks_decoded, 0u);
}

TEST_F(WindowQueryTest, NewerPointsAloneAreAggregated) {
  const std::vector<Point> newer = Readings(kStart, 0, 30);
  ExpectMatchesBruteForce(newer, Selector(), Windows(7 * kSecond, 2 * kSecond));
  EXPECT_EQ(stats_.chunks_from_summaries + stats_.chunks_decoded, 0u);
}

// Every type, against brute force ----------------------------------------------------------

FieldValue RandomValue(FieldType type, std::mt19937_64& rng) {
  switch (type) {
    case FieldType::kFloat:
      // Multiples of 1/8: sums are exact in any order, as summaries add them.
      return static_cast<double>(static_cast<int64_t>(rng() % 4001) - 2000) / 8;
    case FieldType::kInt:
      // Near the ends of int64, so that sums wrap.
      return rng() % 2 == 0 ? INT64_MAX - static_cast<int64_t>(rng() % 1000)
                            : INT64_MIN + static_cast<int64_t>(rng() % 1000);
    case FieldType::kUint:
      return rng() % 3 == 0 ? uint64_t{rng() % 100} : UINT64_MAX - rng() % 1000;
    case FieldType::kBool:
      return rng() % 3 == 0;
    case FieldType::kString:
      return absl::StrCat("s", rng() % 50);
  }
  return 0.0;
}

// Points of two devices at irregular times within [base, base + span_s s), the field "v" of the
// type, a second field "w" on some of them.
std::vector<Point> RandomPoints(FieldType type, int64_t base, int span_s, int count,
                                std::mt19937_64& rng) {
  std::vector<Point> points;
  for (int i = 0; i < count; ++i) {
    const Tags tags = {{"device", absl::StrCat("d", rng() % 2)}};
    Point p{"m",
            tags,
            {{"v", RandomValue(type, rng)}},
            base + static_cast<int64_t>(rng() % static_cast<uint64_t>(span_s)) * kSecond};
    if (rng() % 4 == 0) p.fields.emplace_back("w", RandomValue(type, rng));
    points.push_back(std::move(p));
  }
  return points;
}

class WindowTypesTest : public WindowQueryTest, public ::testing::WithParamInterface<FieldType> {};

TEST_P(WindowTypesTest, EveryAggregateMatchesBruteForceOverTheMergedPoints) {
  const FieldType type = GetParam();
  for (const int64_t base : {kStart, -5 * kPartition}) {
    SCOPED_TRACE(absl::StrCat("base ", base));
    blocks_.clear();
    sources_.clear();
    std::mt19937_64 rng(static_cast<uint64_t>(type) * 1000 + (base < 0));
    const int64_t next = base + kPartition;
    AddBlock(RandomPoints(type, base, 600, 400, rng), base, 12);
    AddBlock(RandomPoints(type, base + 200 * kSecond, 100, 40, rng), base, 12);  // Late data.
    AddBlock(RandomPoints(type, next, 300, 200, rng), next, 7);
    const std::vector<Point> newer = RandomPoints(type, next + 250 * kSecond, 200, 100, rng);
    for (const SeriesSelector& selector :
         {Selector(), Selector(base + 7 * kSecond, next + 260 * kSecond),
          Selector(base + 300 * kSecond, base + 300 * kSecond)}) {
      for (const WindowSpec& spec : {Windows(10 * kSecond), Windows(60 * kSecond, 25 * kSecond),
                                     Windows(7 * kSecond, -3 * kSecond),
                                     Windows(3600 * kSecond, -300 * kSecond), Windows(1)}) {
        ExpectMatchesBruteForce(newer, selector, spec);
      }
    }
  }
}

std::string TypeName(const ::testing::TestParamInfo<FieldType>& info) {
  static const char* const kNames[] = {"Float", "Int", "Uint", "Bool", "String"};
  return kNames[static_cast<int>(info.param)];
}

INSTANTIATE_TEST_SUITE_P(AllTypes, WindowTypesTest,
                         ::testing::Values(FieldType::kFloat, FieldType::kInt, FieldType::kUint,
                                           FieldType::kBool, FieldType::kString),
                         TypeName);

// Specific semantics ----------------------------------------------------------------------

TEST_F(WindowQueryTest, IntegerSumsWrapInSummariesAndInDecodedPoints) {
  const std::vector<Point> points = {{"m", {}, {{"v", INT64_MAX}}, kStart},
                                     {"m", {}, {{"v", int64_t{2}}}, kStart + kSecond}};
  AddBlock(points, kStart, 10);
  for (int64_t offset : {int64_t{0}, kStart + kSecond}) {  // From the summary, then decoded.
    absl::StatusOr<std::vector<WindowSeries>> windows =
        Run({}, Selector(), {kPartition, offset, {Aggregate::kSum}});
    ASSERT_TRUE(windows.ok()) << windows.status();
    ASSERT_EQ(windows->size(), 1u);
    double total = 0;
    for (double sum : (*windows)[0].results[0]) total += sum;
    if (offset == 0) {
      EXPECT_EQ(stats_.chunks_from_summaries, 1u);
      EXPECT_EQ(total, static_cast<double>(INT64_MIN + 1));
    } else {
      EXPECT_EQ(stats_.chunks_decoded, 1u);
      EXPECT_EQ(total, static_cast<double>(INT64_MAX) + 2);  // Two windows, no wrap.
    }
  }
}

TEST_F(WindowQueryTest, StringsAreCountedAndEveryOtherAggregateIsNaN) {
  AddBlock({{"m", {}, {{"s", std::string("a")}}, kStart},
            {"m", {}, {{"s", std::string("b")}}, kStart + kSecond}},
           kStart, 10);
  absl::StatusOr<std::vector<WindowSeries>> windows = Run({}, Selector(), Windows(kPartition));
  ASSERT_TRUE(windows.ok()) << windows.status();
  ASSERT_EQ(windows->size(), 1u);
  const WindowSeries& series = (*windows)[0];
  EXPECT_EQ(series.results[0], std::vector<double>{2});
  for (size_t a = 1; a < kAllAggregates.size(); ++a) {
    EXPECT_TRUE(std::isnan(series.results[a][0])) << "aggregate " << a;
  }
  EXPECT_EQ(series.first_times, std::vector<int64_t>{kStart});
  EXPECT_EQ(series.last_times, std::vector<int64_t>{kStart + kSecond});
}

TEST_F(WindowQueryTest, TagMatchersAndFieldsSelectSeries) {
  std::vector<Point> points;
  for (int d = 0; d < 3; ++d) {
    for (int i = 0; i < 20; ++i) {
      points.push_back({"m",
                        {{"device", absl::StrCat("d", d)}},
                        {{"a", 1.0 * i}, {"b", int64_t{i}}},
                        kStart + i * kSecond});
    }
  }
  AddBlock(points, kStart, 10);
  SeriesSelector selector = Selector();
  selector.matchers = {{"device", TagMatcher::Op::kRegexMatch, "^d[12]$"}};
  selector.fields = {"b"};
  absl::StatusOr<std::vector<WindowSeries>> windows = Run({}, selector, Windows(10 * kSecond));
  ASSERT_TRUE(windows.ok()) << windows.status();
  ASSERT_EQ(windows->size(), 2u);
  EXPECT_EQ((*windows)[0].tags, (Tags{{"device", "d1"}}));
  EXPECT_EQ((*windows)[1].tags, (Tags{{"device", "d2"}}));
  for (const WindowSeries& w : *windows) EXPECT_EQ(w.field, "b");
}

TEST_F(WindowQueryTest, ANewerSourceWithAnotherFieldTypeReplacesTheOlderAsQueriesDo) {
  std::vector<Point> floats;
  for (int i = 0; i < 20; ++i) floats.push_back({"m", {}, {{"v", 0.5 * i}}, kStart + i * kSecond});
  AddBlock(floats, kStart, 10);
  const std::vector<Point> ints = {{"m", {}, {{"v", int64_t{7}}}, kStart + 15 * kSecond},
                                   {"m", {}, {{"v", int64_t{9}}}, kStart + 30 * kSecond}};
  ExpectMatchesBruteForce(ints, Selector(), Windows(10 * kSecond));
}

TEST_F(WindowQueryTest, ANewerBlockWithAnotherFieldTypeReplacesTheOlderAsQueriesDo) {
  std::vector<Point> floats;
  for (int i = 0; i < 20; ++i) floats.push_back({"m", {}, {{"v", 0.5 * i}}, kStart + i * kSecond});
  AddBlock(floats, kStart, 10);
  AddBlock({{"m", {}, {{"v", true}}, kStart + 40 * kSecond}}, kStart, 10);
  ExpectMatchesBruteForce({}, Selector(), Windows(10 * kSecond));
}

TEST(WindowSpecTest, WidthMustBePositiveAndSomeAggregateAsked) {
  EXPECT_TRUE(CheckWindowSpec({1, 0, {Aggregate::kCount}}).ok());
  EXPECT_TRUE(CheckWindowSpec({kPartition, -kPartition, {Aggregate::kMean}}).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(CheckWindowSpec({0, 0, {Aggregate::kCount}})));
  EXPECT_TRUE(absl::IsInvalidArgument(CheckWindowSpec({-kSecond, 0, {Aggregate::kCount}})));
  EXPECT_TRUE(absl::IsInvalidArgument(CheckWindowSpec({kSecond, 0, {}})));
}

TEST_F(WindowQueryTest, ABadSpecIsRefusedBeforeAnythingIsRead) {
  AddBlock(Readings(kStart, 0, 10), kStart, 10);
  absl::StatusOr<std::vector<WindowSeries>> windows = Run({}, Selector(), {0, 0, kAllAggregates});
  EXPECT_TRUE(absl::IsInvalidArgument(windows.status())) << windows.status();
  EXPECT_EQ(stats_.chunks_from_summaries + stats_.chunks_decoded, 0u);
}

}  // namespace
}  // namespace edgetsdb
