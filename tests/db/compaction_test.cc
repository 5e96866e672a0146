// Compaction: which blocks are merged when (level-0 duplicates, then day and week windows once
// ended by one partition, largest level first, capped by retention), and what merging gives: for
// equal series and timestamp the later input's value, every group and field of every input, a
// changed field type replaced by the newer one, chunks re-cut to the output's size, and a block
// that verifies.
#include "db/compaction.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "compression/block_compression.h"
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

using ::edgetsdb::compression::BlockCompression;
using ::edgetsdb::testing::ExpectedAnswer;
using ::edgetsdb::testing::FaultInjectionEnv;
using ::edgetsdb::testing::Point;
using ::edgetsdb::testing::SeriesPoints;
using ::edgetsdb::testing::Tags;
using ::edgetsdb::testing::ToSeriesPoints;
using ::edgetsdb::testing::WritePointsBlock;
using ::testing::Each;
using ::testing::Le;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kHour = 3600 * kSecond;
constexpr int64_t kPartition = 2 * kHour;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kWeek = 7 * kDay;
// Windows are aligned to the epoch: a week start is also a day and a partition start.
constexpr int64_t kWeek0 = 1'700'000'000LL * kSecond / kWeek * kWeek;
constexpr char kDir[] = "/blocks";

const CompactionLevels kLevels{kPartition, {kDay, kWeek}};

// PlanCompaction ------------------------------------------------------------------------------

BlockMeta Partition(int64_t start, uint64_t sequence = 1) {
  return {start, start + kPartition, sequence};
}
BlockMeta Day(int64_t start, uint64_t sequence = 1) { return {start, start + kDay, sequence}; }
BlockMeta Week(int64_t start, uint64_t sequence = 1) { return {start, start + kWeek, sequence}; }

// The partitions of one day, as flushes leave them.
std::vector<BlockMeta> PartitionsOfDay(int64_t day) {
  std::vector<BlockMeta> out;
  for (int64_t t = day; t < day + kDay; t += kPartition)
    out.push_back(Partition(t, out.size() + 1));
  return out;
}

struct PlanCase {
  std::string name;
  std::vector<BlockMeta> blocks;
  int64_t now = 0;
  int64_t retention_ns = 0;
  std::optional<CompactionPlan> expected;
};

CompactionPlan Plan(std::vector<size_t> inputs, int64_t start, int64_t end,
                    BlockCompression codec) {
  return {std::move(inputs), start, end, codec};
}

std::vector<size_t> Indices(size_t n) {
  std::vector<size_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = i;
  return out;
}

std::vector<PlanCase> PlanCases() {
  const int64_t p = kWeek0 + 3 * kDay + 4 * kPartition;  // A partition mid-week.
  const int64_t day = kWeek0 + 3 * kDay;
  const BlockCompression lz4 = BlockCompression::kLz4;
  const BlockCompression zstd = BlockCompression::kZstd;
  std::vector<PlanCase> cases = {
      {"NoBlocks", {}, p + kWeek * 10, 0, std::nullopt},
      {"OneBlockOfAPartition", {Partition(p)}, p + kHour, 0, std::nullopt},
      {"TwoBlocksOfAPartitionNotYetDue",
       {Partition(p, 1), Partition(p, 2)},
       p + 2 * kPartition - 1,
       0,
       std::nullopt},
      {"TwoBlocksOfAPartitionOnceItEndedAPartitionAgo",
       {Partition(p, 1), Partition(p, 2)},
       p + 2 * kPartition,
       0,
       Plan({0, 1}, p, p + kPartition, lz4)},
      {"ThreeBlocksOfTheOpenPartitionWait",
       {Partition(p, 1), Partition(p, 2), Partition(p, 3)},
       p + kHour,
       0,
       std::nullopt},
      {"FourBlocksOfTheOpenPartitionAreMergedEarly",
       {Partition(p, 1), Partition(p, 2), Partition(p, 3), Partition(p, 4)},
       p + kHour,
       0,
       Plan({0, 1, 2, 3}, p, p + kPartition, lz4)},
      {"ADayIsNotMergedBeforeItEndedAPartitionAgo", PartitionsOfDay(day),
       day + kDay + kPartition - 1, 0, std::nullopt},
      {"ADayIsMergedOnceItEndedAPartitionAgo", PartitionsOfDay(day), day + kDay + kPartition, 0,
       Plan(Indices(12), day, day + kDay, zstd)},
      {"ALoneDayBlockIsLeft", {Day(day)}, day + 2 * kDay, 0, std::nullopt},
      {"ALonePartitionOfAnEndedDayBecomesTheDaysBlock",
       {Partition(p)},
       day + 2 * kDay,
       0,
       Plan({0}, day, day + kDay, zstd)},
      {"LateDataIsFoldedIntoItsDay",
       {Day(day, 1), Partition(p, 2)},
       day + 2 * kDay,
       0,
       Plan({0, 1}, day, day + kDay, zstd)},
      {"AWeekIsMergedOnceItEndedAPartitionAgo",
       {Day(kWeek0), Day(kWeek0 + kDay), Day(kWeek0 + 6 * kDay)},
       kWeek0 + kWeek + kPartition,
       0,
       Plan({0, 1, 2}, kWeek0, kWeek0 + kWeek, zstd)},
      {"ALoneWeekBlockIsLeft", {Week(kWeek0)}, kWeek0 + 10 * kWeek, 0, std::nullopt},
      {"TheLargestDueLevelGoesFirst",
       {Partition(p, 1), Partition(p, 2), Day(day + kDay, 3)},
       kWeek0 + kWeek + kPartition,
       0,
       Plan({0, 1, 2}, kWeek0, kWeek0 + kWeek, zstd)},
      {"TheOldestDueWindowGoesFirst",
       {Partition(day + kDay), Partition(day)},
       day + 3 * kDay,
       0,
       Plan({1}, day, day + kDay, zstd)},
      {"BlocksWiderThanAWindowStayOutOfIt",
       {Week(kWeek0, 1), Partition(p, 2), Partition(p, 3)},
       p + 2 * kPartition,
       0,
       Plan({1, 2}, p, p + kPartition, lz4)},
      {"RetentionUnderTwoWeeksDisablesWeeks",
       {Day(kWeek0), Day(kWeek0 + kDay)},
       kWeek0 + 10 * kWeek,
       13 * kDay,
       std::nullopt},
      {"RetentionOfTwoDaysStillAllowsDays", PartitionsOfDay(day), day + 2 * kDay, 2 * kDay,
       Plan(Indices(12), day, day + kDay, zstd)},
      {"RetentionUnderTwoDaysDisablesDays", PartitionsOfDay(day), day + 2 * kDay, 2 * kDay - 1,
       std::nullopt},
      {"RetentionStillMergesDuplicatePartitions",
       {Partition(p, 1), Partition(p, 2)},
       p + 2 * kDay,
       kHour,
       Plan({0, 1}, p, p + kPartition, lz4)},
  };
  return cases;
}

class PlanCompactionTest : public ::testing::TestWithParam<PlanCase> {};

TEST_P(PlanCompactionTest, PlansTheExpectedMerge) {
  const PlanCase& c = GetParam();
  const std::optional<CompactionPlan> plan =
      PlanCompaction(c.blocks, kLevels, c.now, c.retention_ns);
  ASSERT_EQ(plan.has_value(), c.expected.has_value());
  if (!plan) return;
  EXPECT_EQ(plan->inputs, c.expected->inputs);
  EXPECT_EQ(plan->start - kWeek0, c.expected->start - kWeek0);
  EXPECT_EQ(plan->end - kWeek0, c.expected->end - kWeek0);
  EXPECT_EQ(plan->codec, c.expected->codec);
}

INSTANTIATE_TEST_SUITE_P(Cases, PlanCompactionTest, ::testing::ValuesIn(PlanCases()),
                         [](const auto& info) { return info.param.name; });

TEST(PlanCompactionLevelsTest, LevelsThatAreNotMultiplesOfTheOneBeforeAreIgnored) {
  const int64_t day = kWeek0 + kDay;
  const CompactionLevels levels{kPartition, {3 * kHour, kDay}};
  const std::optional<CompactionPlan> plan =
      PlanCompaction({Partition(day), Partition(day + 2 * kPartition)}, levels, day + 2 * kDay, 0);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->end - plan->start, kDay);
}

TEST(FlushWindowTest, OldDataGoesToTheWidestWindowCompactionWouldAlreadyMerge) {
  const CompactionLevels levels{kPartition, {kDay, kWeek}};
  const int64_t partition = kWeek0 + kDay + 3 * kPartition;
  using Window = std::pair<int64_t, int64_t>;
  EXPECT_EQ(FlushWindow(partition, levels, partition + kHour, 0),
            Window(partition, partition + kPartition))
      << "recent: its own partition";
  EXPECT_EQ(FlushWindow(partition, levels, kWeek0 + 2 * kDay + kPartition, 0),
            Window(kWeek0 + kDay, kWeek0 + 2 * kDay))
      << "its day ended a partition ago, its week has not";
  EXPECT_EQ(FlushWindow(partition, levels, kWeek0 + 2 * kDay + kPartition - 1, 0),
            Window(partition, partition + kPartition))
      << "not yet a partition after its day";
  EXPECT_EQ(FlushWindow(partition, levels, kWeek0 + kWeek + kPartition, 0),
            Window(kWeek0, kWeek0 + kWeek));
  EXPECT_EQ(FlushWindow(partition, levels, kWeek0 + kWeek + kPartition, 3 * kDay),
            Window(kWeek0 + kDay, kWeek0 + 2 * kDay))
      << "a retention of 3 days allows no week";
}

TEST(PlanCompactionLevelsTest, NoPartitionWidthPlansNothing) {
  EXPECT_FALSE(PlanCompaction({Partition(kWeek0), Partition(kWeek0)}, {0, {}}, kWeek0 + kWeek, 0));
}

TEST(PlanCompactionLevelsTest, TheLastPartitionOfInt64IsNeverDueButDuplicatesStillMerge) {
  const int64_t last = PartitionStart(kMaxTime, kPartition);
  const std::vector<BlockMeta> blocks = {{last, kMaxTime, 1}, {last, kMaxTime, 2}};
  EXPECT_FALSE(PlanCompaction(blocks, kLevels, kMaxTime, 0));
  std::vector<BlockMeta> four = blocks;
  four.push_back({last, kMaxTime, 3});
  four.push_back({last, kMaxTime, 4});
  const std::optional<CompactionPlan> plan = PlanCompaction(four, kLevels, kMaxTime, 0);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->end, kMaxTime);
  EXPECT_EQ(plan->inputs.size(), 4u);
}

// MergeBlocks ---------------------------------------------------------------------------------

class MergeBlocksTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(env_.CreateDir(kDir).ok()); }

  // Adds an input block covering [start, start + width), chunks of at most max_chunk_values.
  void AddInput(std::vector<Point> points, int64_t start, int64_t width = kPartition,
                uint32_t max_chunk_values = 1024) {
    HeadOptions options;
    options.max_chunk_values = max_chunk_values;
    options.partition_ns = width;
    options.max_chunk_span_ns = width;
    const BlockMeta meta{start, start + width, inputs_.size() + 1};
    inputs_.push_back(WritePointsBlock(&env_, kDir, meta, points, options));
    ASSERT_NE(inputs_.back(), nullptr);
    sources_.push_back(std::move(points));
  }

  // Merges every input into [start, end); returns the output, verified.
  std::unique_ptr<BlockReader> Merge(int64_t start, int64_t end, uint32_t max_chunk_values = 1024,
                                     BlockCompression codec = BlockCompression::kZstd) {
    std::vector<const BlockReader*> inputs;
    for (const auto& input : inputs_) inputs.push_back(input.get());
    const BlockMeta out{start, end, 1000};
    absl::StatusOr<std::string> name =
        MergeBlocks(&env_, kDir, inputs, out, codec, max_chunk_values);
    EXPECT_TRUE(name.ok()) << name.status();
    if (!name.ok()) return nullptr;
    EXPECT_EQ(*name, BlockFileName(out));
    absl::StatusOr<std::unique_ptr<BlockReader>> merged =
        BlockReader::Open(&env_, absl::StrCat(kDir, "/", *name));
    EXPECT_TRUE(merged.ok()) << merged.status();
    if (!merged.ok()) return nullptr;
    absl::StatusOr<BlockCheck> check = VerifyBlock(**merged);
    EXPECT_TRUE(check.ok()) << check.status();
    if (check.ok()) {
      EXPECT_TRUE(check->ok()) << check->damaged_chunks
                               << " damaged chunks, first: " << check->damage.front().status;
    }
    EXPECT_EQ((*merged)->frame_codec(), codec);
    return *std::move(merged);
  }

  // Everything a block holds, measurement by measurement.
  static std::vector<SeriesPoints> Contents(const BlockReader& block) {
    std::vector<SeriesPoints> out;
    absl::StatusOr<TagMatchers> none = TagMatchers::Compile({});
    for (std::string_view measurement : block.Measurements()) {
      SeriesSelector selector;
      selector.measurement = std::string(measurement);
      std::vector<KeyedSeries> found;
      const absl::Status s = QueryBlock(block, selector, *none, &found);
      EXPECT_TRUE(s.ok()) << s;
      std::vector<SeriesData> data;
      for (KeyedSeries& k : found) data.push_back(std::move(k.data));
      for (SeriesPoints& p : ToSeriesPoints(data)) out.push_back(std::move(p));
    }
    return out;
  }

  // What the merged block should hold: every measurement of every input, later inputs winning.
  std::vector<SeriesPoints> Expected() const {
    std::vector<std::string> measurements;
    for (const auto& source : sources_) {
      for (const Point& p : source) measurements.push_back(p.measurement);
    }
    std::sort(measurements.begin(), measurements.end());
    measurements.erase(std::unique(measurements.begin(), measurements.end()), measurements.end());
    std::vector<SeriesPoints> out;
    for (const std::string& m : measurements) {
      SeriesSelector selector;
      selector.measurement = m;
      for (SeriesPoints& p : ExpectedAnswer(sources_, selector)) out.push_back(std::move(p));
    }
    return out;
  }

  FaultInjectionEnv env_;
  std::vector<std::unique_ptr<BlockReader>> inputs_;
  std::vector<std::vector<Point>> sources_;
};

// Readings of one device at `step` intervals: fields temp (float) and count (int) in each.
std::vector<Point> Readings(const std::string& device, int64_t start, int n, int64_t step,
                            double bias = 0) {
  std::vector<Point> points;
  for (int i = 0; i < n; ++i) {
    points.push_back({"env",
                      {{"device", device}},
                      {{"temp", bias + i / 4.0}, {"count", int64_t{i} + static_cast<int>(bias)}},
                      start + i * step});
  }
  return points;
}

TEST_F(MergeBlocksTest, LaterInputsWinOnEqualSeriesAndTimestamp) {
  const int64_t p = kWeek0;
  AddInput(Readings("d0", p, 100, kSecond), p);
  AddInput(Readings("d0", p + 50 * kSecond, 100, kSecond, 1000), p);  // Overlaps the last half.
  AddInput(Readings("d0", p + 70 * kSecond, 5, kSecond, 2000), p);
  const std::unique_ptr<BlockReader> merged = Merge(p, p + kPartition);
  ASSERT_NE(merged, nullptr);
  const std::vector<SeriesPoints> contents = Contents(*merged);
  EXPECT_EQ(contents, Expected());
  ASSERT_EQ(contents.size(), 2u);
  EXPECT_EQ(contents[0].points.size(), 150u);
  // At 72 s the third input's value, over both others'.
  EXPECT_EQ(std::get<double>(contents[1].points[72].second), 2000 + 2 / 4.0);
}

TEST_F(MergeBlocksTest, APointReplacesOnlyTheFieldsItCarries) {
  const int64_t p = kWeek0;
  AddInput({{"env", {}, {{"a", 1.0}, {"b", 2.0}}, p}}, p);
  AddInput({{"env", {}, {{"b", 20.0}, {"c", 30.0}}, p}}, p);
  const std::unique_ptr<BlockReader> merged = Merge(p, p + kPartition);
  ASSERT_NE(merged, nullptr);
  EXPECT_EQ(Contents(*merged), Expected());
  EXPECT_EQ(Contents(*merged).size(), 3u);
}

TEST_F(MergeBlocksTest, GroupsPresentInOnlySomeInputsAreAllKept) {
  const int64_t p = kWeek0;
  std::vector<Point> first = Readings("d1", p, 10, kSecond);
  for (Point& pt : Readings("d3", p, 10, kSecond)) first.push_back(std::move(pt));
  AddInput(first, p);
  std::vector<Point> second = Readings("d0", p, 10, kSecond, 5);
  for (Point& pt : Readings("d3", p + 5 * kSecond, 10, kSecond, 7)) second.push_back(pt);
  AddInput(second, p);
  AddInput(Readings("d2", p + kSecond, 3, kSecond), p);
  AddInput({{"other", {{"device", "d9"}}, {{"x", true}}, p}}, p);
  const std::unique_ptr<BlockReader> merged = Merge(p, p + kPartition);
  ASSERT_NE(merged, nullptr);
  EXPECT_EQ(merged->group_count(), 5u);
  EXPECT_EQ(Contents(*merged), Expected());
}

TEST_F(MergeBlocksTest, FieldsPresentInOnlySomeInputsKeepTheirOwnTimestamps) {
  const int64_t p = kWeek0;
  std::vector<Point> first, second;
  for (int i = 0; i < 40; ++i) {
    first.push_back({"env", {}, {{"a", 1.0 * i}, {"b", int64_t{i}}}, p + i * kSecond});
    second.push_back(
        {"env", {}, {{"b", int64_t{-i}}, {"c", std::string("s")}}, p + (40 + i) * kSecond});
  }
  AddInput(first, p);
  AddInput(second, p);
  const std::unique_ptr<BlockReader> merged = Merge(p, p + kPartition);
  ASSERT_NE(merged, nullptr);
  EXPECT_EQ(Contents(*merged), Expected());
  const BlockGroup group = merged->group(0);
  ASSERT_EQ(group.fields.size(), 3u);
  EXPECT_FALSE(group.fields[0].shared_timestamps);  // a: the first half only
  EXPECT_TRUE(group.fields[1].shared_timestamps);   // b: every row
  EXPECT_FALSE(group.fields[2].shared_timestamps);  // c: the second half only
}

TEST_F(MergeBlocksTest, AFieldWhoseTypeChangedKeepsOnlyTheNewerTypesPoints) {
  const int64_t p = kWeek0;
  std::vector<Point> floats, ints, bools;
  for (int i = 0; i < 30; ++i) {
    floats.push_back({"env", {}, {{"f", 0.5 * i}, {"g", 1.0 * i}}, p + i * kSecond});
  }
  for (int i = 10; i < 20; ++i) {
    ints.push_back({"env", {}, {{"f", int64_t{i}}, {"g", -1.0}}, p + i * kSecond});
  }
  bools.push_back({"env", {}, {{"h", true}}, p + 50 * kSecond});
  AddInput(floats, p);
  AddInput(ints, p);
  AddInput(bools, p);
  const std::unique_ptr<BlockReader> merged = Merge(p, p + kPartition);
  ASSERT_NE(merged, nullptr);
  const std::vector<SeriesPoints> contents = Contents(*merged);
  EXPECT_EQ(contents, Expected());
  ASSERT_EQ(contents.size(), 3u);
  EXPECT_EQ(contents[0].field, "f");
  EXPECT_EQ(contents[0].points.size(), 10u);
  EXPECT_TRUE(std::holds_alternative<int64_t>(contents[0].points[0].second));
  EXPECT_EQ(contents[1].points.size(), 30u);  // g kept its type: every point stays.
}

TEST_F(MergeBlocksTest, ATypeChangedBackAndForthKeepsTheNewestOnly) {
  const int64_t p = kWeek0;
  AddInput({{"env", {}, {{"f", 1.0}}, p}}, p);
  AddInput({{"env", {}, {{"f", int64_t{2}}}, p + kSecond}}, p);
  AddInput({{"env", {}, {{"f", 3.0}}, p + 2 * kSecond}}, p);
  const std::unique_ptr<BlockReader> merged = Merge(p, p + kPartition);
  ASSERT_NE(merged, nullptr);
  EXPECT_EQ(Contents(*merged), Expected());
}

TEST_F(MergeBlocksTest, ChunksAreReCutAtMaxChunkValues) {
  const int64_t p = kWeek0;
  AddInput(Readings("d0", p, 1000, kSecond), p);
  const std::unique_ptr<BlockReader> merged = Merge(p, p + kPartition, 100);
  ASSERT_NE(merged, nullptr);
  EXPECT_EQ(Contents(*merged), Expected());
  const BlockGroup group = merged->group(0);
  ASSERT_EQ(group.timestamp_chunks.size(), 10u);
  for (const BlockField& field : group.fields) {
    ASSERT_EQ(field.chunks.size(), 10u) << field.key;
    for (const ChunkRef& chunk : field.chunks) EXPECT_EQ(chunk.count, 100u);
  }
}

TEST_F(MergeBlocksTest, ASlowSeriesGetsLongChunksAcrossTheWindowsPartitions) {
  // A reading every 10 minutes: a 2 h partition holds 12, a day 144.
  for (int64_t t = kWeek0; t < kWeek0 + kDay; t += kPartition) {
    AddInput(Readings("d0", t, 12, 10 * 60 * kSecond), t);
  }
  const std::unique_ptr<BlockReader> merged = Merge(kWeek0, kWeek0 + kDay);
  ASSERT_NE(merged, nullptr);
  EXPECT_EQ(Contents(*merged), Expected());
  const BlockGroup group = merged->group(0);
  ASSERT_EQ(group.timestamp_chunks.size(), 1u);
  EXPECT_EQ(group.timestamp_chunks[0].count, 144u);
  EXPECT_EQ(group.timestamp_chunks[0].last_time - group.timestamp_chunks[0].first_time,
            143 * 10 * 60 * kSecond);
}

TEST_F(MergeBlocksTest, ChunksOfManyInputsNeverExceedTheLimitOrOverlap) {
  const int64_t p = kWeek0;
  for (int input = 0; input < 5; ++input) {
    std::vector<Point> points;
    for (int i = 0; i < 300; ++i) {
      const int64_t t = p + ((i * 37 + input * 11) % 1000) * kSecond;
      Point pt{"env", {{"device", absl::StrCat("d", i % 3)}}, {{"v", 1.0 * i + input}}, t};
      if (i % 4 == input % 4) pt.fields.emplace_back("s", absl::StrCat("in", input));
      points.push_back(std::move(pt));
    }
    AddInput(std::move(points), p, kPartition, 64);
  }
  const std::unique_ptr<BlockReader> merged = Merge(p, p + kPartition, 50);
  ASSERT_NE(merged, nullptr);
  EXPECT_EQ(Contents(*merged), Expected());
  for (uint32_t id = 0; id < merged->group_count(); ++id) {
    const BlockGroup group = merged->group(id);
    for (const BlockField& field : group.fields) {
      std::vector<uint32_t> counts;
      for (const ChunkRef& chunk : field.chunks) counts.push_back(chunk.count);
      EXPECT_THAT(counts, Each(Le(50u))) << field.key;
    }
  }
}

TEST_F(MergeBlocksTest, EveryFieldTypeSurvivesTheMerge) {
  const int64_t p = kWeek0;
  std::vector<Point> points;
  for (int i = 0; i < 50; ++i) {
    points.push_back({"env",
                      {},
                      {{"f", i * 0.1},
                       {"i", int64_t{INT64_MIN} + i},
                       {"u", UINT64_MAX - i},
                       {"b", i % 3 == 0},
                       {"s", std::string(static_cast<size_t>(i), 'x')}},
                      p + i * kSecond});
  }
  AddInput(points, p);
  const std::unique_ptr<BlockReader> merged =
      Merge(p, p + kPartition, 1024, BlockCompression::kLz4);
  ASSERT_NE(merged, nullptr);
  EXPECT_EQ(Contents(*merged), Expected());
}

TEST_F(MergeBlocksTest, InputsWithoutGroupsGiveAnEmptyValidBlock) {
  AddInput({}, kWeek0);
  const std::unique_ptr<BlockReader> merged = Merge(kWeek0, kWeek0 + kDay);
  ASSERT_NE(merged, nullptr);
  EXPECT_EQ(merged->group_count(), 0u);
}

TEST_F(MergeBlocksTest, AnExistingOutputIsRefusedAndTheInputsStay) {
  AddInput(Readings("d0", kWeek0, 10, kSecond), kWeek0);
  ASSERT_NE(Merge(kWeek0, kWeek0 + kDay), nullptr);
  std::vector<const BlockReader*> inputs = {inputs_[0].get()};
  absl::StatusOr<std::string> again = MergeBlocks(
      &env_, kDir, inputs, {kWeek0, kWeek0 + kDay, 1000}, BlockCompression::kZstd, 1024);
  EXPECT_TRUE(absl::IsAlreadyExists(again.status())) << again.status();
  EXPECT_TRUE(env_.FileExists(inputs_[0]->path()));
}

}  // namespace
}  // namespace edgetsdb
