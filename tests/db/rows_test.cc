// Rows: where sorted rows are cut into chunks (count, span, partition, string bytes), how equal
// timestamps merge (last write wins field by field), and how a group is encoded for a block:
// fields sorted by key, sharing the group's timestamps only when present in every row, and every
// chunk decoding back to the rows it came from.
#include "db/rows.h"

#include <bit>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "compression/chunk.h"
#include "compression/codec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/blocks.h"

namespace edgetsdb::head_internal {
namespace {

namespace c = compression;
using ::edgetsdb::testing::DecodeFlushedField;
using ::edgetsdb::testing::DecodeTimestamps;
using ::edgetsdb::testing::ParseWholeChunk;
using ::edgetsdb::testing::SameTimedValues;
using ::edgetsdb::testing::TimedValues;
using ::testing::ElementsAre;

constexpr int64_t kSecond = 1'000'000'000;

HeadOptions Options(uint32_t max_chunk_values, int64_t max_chunk_span_ns, int64_t partition_ns) {
  HeadOptions options;
  options.max_chunk_values = max_chunk_values;
  options.max_chunk_span_ns = max_chunk_span_ns;
  options.partition_ns = partition_ns;
  return options;
}

constexpr uint32_t kManyValues = 1 << 16;
constexpr int64_t kForever = INT64_MAX;

// Rows with timestamps only (CutPoints looks at nothing else but string columns).
Rows TimestampsOnly(std::vector<int64_t> ts) {
  Rows rows;
  rows.ts = std::move(ts);
  return rows;
}

// Sets field `field` (a column of its own) at row r to a FieldValue.
void Set(Rows& rows, uint32_t field, size_t r, const FieldValue& value) {
  Rows::Column& column = rows.ColumnFor(field, TypeOf(value), field);
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          rows.SetString(column, r, v);
        } else if constexpr (std::is_same_v<T, double>) {
          column.SetBits(r, std::bit_cast<uint64_t>(v));
        } else {
          column.SetBits(r, static_cast<uint64_t>(v));
        }
      },
      value);
}

// The column's (timestamp, value) pairs in rows [begin, end), as a chunk should hold them.
TimedValues ColumnPoints(const Rows& rows, const Rows::Column& column, size_t begin, size_t end) {
  TimedValues out;
  for (size_t r = begin; r < end; ++r) {
    if (!column.Present(r)) continue;
    FieldValue value;
    switch (column.type) {
      case FieldType::kFloat:
        value = std::bit_cast<double>(column.bits[r]);
        break;
      case FieldType::kInt:
        value = static_cast<int64_t>(column.bits[r]);
        break;
      case FieldType::kUint:
        value = column.bits[r];
        break;
      case FieldType::kBool:
        value = column.bits[r] != 0;
        break;
      case FieldType::kString:
        value = column.strings[r];
        break;
    }
    out.emplace_back(rows.ts[r], value);
  }
  return out;
}

// CutPoints -----------------------------------------------------------------------------------

TEST(CutPointsTest, CutsAtMaxChunkValuesCountingFromBegin) {
  std::vector<int64_t> ts;
  for (int i = 0; i < 25; ++i) ts.push_back(i * kSecond);
  const Rows rows = TimestampsOnly(ts);
  EXPECT_THAT(CutPoints(rows, 0, 25, Options(10, kForever, kForever)), ElementsAre(10, 20, 25));
  EXPECT_THAT(CutPoints(rows, 3, 25, Options(10, kForever, kForever)), ElementsAre(13, 23, 25));
  EXPECT_THAT(CutPoints(rows, 0, 20, Options(10, kForever, kForever)), ElementsAre(10, 20));
  EXPECT_THAT(CutPoints(rows, 0, 25, Options(1, kForever, kForever)).size(), 25u);
}

TEST(CutPointsTest, AnEmptyRangeHasNoPieces) {
  const Rows rows = TimestampsOnly({1, 2, 3});
  EXPECT_TRUE(CutPoints(rows, 2, 2, Options(10, kForever, kForever)).empty());
  EXPECT_TRUE(CutPoints(rows, 3, 1, Options(10, kForever, kForever)).empty());
}

TEST(CutPointsTest, CutsBeforeASpanWouldExceedTheMaximum) {
  const Rows rows = TimestampsOnly({0, 4, 5, 11, 12, 20});
  // The span may equal the maximum (0..5), not exceed it.
  EXPECT_THAT(CutPoints(rows, 0, 6, Options(kManyValues, 5, kForever)), ElementsAre(3, 5, 6));
}

TEST(CutPointsTest, SpansNearInt64MaxAreMeasuredExactly) {
  const Rows rows = TimestampsOnly({0, kMaxTime - 1, kMaxTime});
  EXPECT_THAT(CutPoints(rows, 0, 3, Options(kManyValues, kMaxTime, kForever)), ElementsAre(3));
  EXPECT_THAT(CutPoints(rows, 0, 3, Options(kManyValues, kMaxTime - 1, kForever)),
              ElementsAre(2, 3));
}

TEST(CutPointsTest, NoPieceStraddlesAPartitionBoundary) {
  EXPECT_THAT(
      CutPoints(TimestampsOnly({5, 9, 10, 19, 20}), 0, 5, Options(kManyValues, kForever, 10)),
      ElementsAre(2, 4, 5));
  // Partitions are aligned to the epoch on both sides of it.
  EXPECT_THAT(
      CutPoints(TimestampsOnly({-11, -10, -1, 0, 9}), 0, 5, Options(kManyValues, kForever, 10)),
      ElementsAre(1, 3, 5));
}

TEST(CutPointsTest, TheFirstPartitionOfInt64EndsAtTheFirstAlignedBoundary) {
  // Partitions are [k * width, (k + 1) * width); the one holding kMinTime is cut short at
  // kMinTime, but it still ends at the next multiple of the width, where the next one starts.
  const int64_t width = 2 * 3600 * kSecond;
  const int64_t boundary = PartitionStart(kMinTime + width, width);
  ASSERT_GT(boundary, kMinTime);
  ASSERT_EQ(PartitionStart(boundary - 1, width), kMinTime);
  EXPECT_EQ(PartitionEnd(kMinTime, width), boundary);
  const Rows rows = TimestampsOnly({kMinTime, boundary - 1, boundary, boundary + 1});
  EXPECT_THAT(CutPoints(rows, 0, 4, Options(kManyValues, kForever, width)), ElementsAre(2, 4));
}

TEST(CutPointsTest, TheLastPartitionHoldsMaxTime) {
  const int64_t width = 2 * 3600 * kSecond;
  const int64_t last_start = PartitionStart(kMaxTime, width);
  EXPECT_EQ(PartitionEnd(last_start, width), kMaxTime);
  const Rows rows = TimestampsOnly({last_start - 1, last_start, kMaxTime - 1, kMaxTime});
  EXPECT_THAT(CutPoints(rows, 0, 4, Options(kManyValues, kForever, width)), ElementsAre(1, 4));
}

TEST(CutPointsTest, PartitionsOfAPowerOfTwoWidthStartAtMinTimeExactly) {
  const int64_t width = int64_t{1} << 40;
  EXPECT_EQ(PartitionStart(kMinTime, width), kMinTime);
  EXPECT_EQ(PartitionEnd(kMinTime, width), kMinTime + width);
}

TEST(CutPointsTest, CutsBeforeAStringColumnWouldExceedAChunksBytes) {
  // 64 KiB strings: 256 of them fill a chunk's 16 MiB exactly.
  constexpr size_t kValueBytes = 64 * 1024;
  static_assert(c::kMaxStringChunkBytes % kValueBytes == 0);
  constexpr size_t kPerChunk = c::kMaxStringChunkBytes / kValueBytes;
  Rows rows;
  for (size_t r = 0; r < kPerChunk + 44; ++r) {
    rows.ts.push_back(static_cast<int64_t>(r));
    Set(rows, 0, r, std::string(kValueBytes, 'x'));
    Set(rows, 1, r, static_cast<double>(r));  // Numbers do not count.
  }
  EXPECT_THAT(CutPoints(rows, 0, rows.size(), Options(kManyValues, kForever, kForever)),
              ElementsAre(kPerChunk, rows.size()));
  // A second string column counts on its own: half-size strings there cut nothing sooner.
  for (size_t r = 0; r < rows.size(); ++r) Set(rows, 2, r, std::string(kValueBytes / 2, 'y'));
  EXPECT_THAT(CutPoints(rows, 0, rows.size(), Options(kManyValues, kForever, kForever)),
              ElementsAre(kPerChunk, rows.size()));
}

TEST(CutPointsTest, RowsWithoutAStringCountNothing) {
  constexpr size_t kValueBytes = 64 * 1024;
  Rows rows;
  for (size_t r = 0; r < 600; ++r) {
    rows.ts.push_back(static_cast<int64_t>(r));
    if (r % 2 == 0) Set(rows, 0, r, std::string(kValueBytes, 'x'));
  }
  // 300 strings in 600 rows: the 257th string, at row 512, would overflow.
  EXPECT_THAT(CutPoints(rows, 0, rows.size(), Options(kManyValues, kForever, kForever)),
              ElementsAre(512, 600));
}

// SortAndMerge --------------------------------------------------------------------------------

TEST(RowsTest, SortAndMergeKeepsTheLastValueOfEachFieldAtEachTimestamp) {
  Rows rows;
  rows.ts = {30, 10, 30, 20, 10};
  Set(rows, 0, 0, 1.0);  // t=30
  Set(rows, 1, 0, int64_t{100});
  Set(rows, 0, 1, 2.0);           // t=10
  Set(rows, 0, 2, 3.0);           // t=30 again: replaces 1.0, keeps 100
  Set(rows, 1, 3, int64_t{200});  // t=20
  Set(rows, 1, 4, int64_t{300});  // t=10 again: adds a field
  rows.SortAndMerge();
  EXPECT_THAT(rows.ts, ElementsAre(10, 20, 30));
  ASSERT_EQ(rows.columns.size(), 2u);
  EXPECT_TRUE(SameTimedValues(ColumnPoints(rows, rows.columns[0], 0, 3), {{10, 2.0}, {30, 3.0}}));
  EXPECT_TRUE(SameTimedValues(ColumnPoints(rows, rows.columns[1], 0, 3),
                              {{10, int64_t{300}}, {20, int64_t{200}}, {30, int64_t{100}}}));
}

TEST(RowsTest, AppendTakesOnlyTheWantedFields) {
  Rows older;
  older.ts = {1};
  Set(older, 0, 0, 1.0);
  Rows newer;
  newer.ts = {1, 2};
  Set(newer, 0, 0, 5.0);
  Set(newer, 1, 1, std::string("s"));
  const std::vector<bool> wanted = {true, false};
  older.Append(newer, &wanted);
  older.SortAndMerge();
  EXPECT_THAT(older.ts, ElementsAre(1, 2));
  ASSERT_EQ(older.columns.size(), 1u);
  EXPECT_TRUE(SameTimedValues(ColumnPoints(older, older.columns[0], 0, 2), {{1, 5.0}}));
}

// EncodeFlushGroup ----------------------------------------------------------------------------

// Fields by id: keys deliberately not in id order.
const std::vector<FieldInfo> kInfos = {{"temp", FieldType::kFloat},   {"count", FieldType::kInt},
                                       {"total", FieldType::kUint},   {"on", FieldType::kBool},
                                       {"state", FieldType::kString}, {"rare", FieldType::kFloat}};

// 25 rows at 1 s: temp, count and total in every row; on every other row; state every third;
// rare only in the first rows.
Rows SampleGroup() {
  Rows rows;
  for (size_t r = 0; r < 25; ++r) {
    const int64_t t = 1'700'000'000 * kSecond + static_cast<int64_t>(r) * kSecond;
    rows.ts.push_back(t);
    Set(rows, 0, r, 20.0 + static_cast<double>(r) / 4);
    Set(rows, 1, r, static_cast<int64_t>(r) * -1000);
    Set(rows, 2, r, (uint64_t{1} << 63) + r);
    if (r % 2 == 0) Set(rows, 3, r, r % 4 == 0);
    if (r % 3 == 0) Set(rows, 4, r, std::string(r % 6 == 0 ? "ok" : "warn"));
    if (r < 3) Set(rows, 5, r, -1.5);
  }
  return rows;
}

const Rows::Column& ColumnOf(const Rows& rows, const std::string& key) {
  for (const Rows::Column& column : rows.columns) {
    if (kInfos[column.field].key == key) return column;
  }
  ADD_FAILURE() << "no column " << key;
  return rows.columns.front();
}

// Every field of the group decoded, checked against the rows of [begin, end).
void ExpectDecodesTo(const FlushGroup& group, const Rows& rows, size_t begin, size_t end) {
  for (const FlushField& field : group.fields) {
    EXPECT_TRUE(SameTimedValues(DecodeFlushedField(group, field),
                                ColumnPoints(rows, ColumnOf(rows, field.key), begin, end)))
        << field.key;
  }
}

TEST(EncodeFlushGroupTest, FieldsComeSortedByKeyWithTheirTypes) {
  const Rows rows = SampleGroup();
  FlushGroup group;
  ASSERT_TRUE(EncodeFlushGroup(rows, 0, rows.size(), kInfos, HeadOptions(), &group).ok());
  std::vector<std::pair<std::string, FieldType>> fields;
  for (const FlushField& f : group.fields) fields.emplace_back(f.key, f.type);
  EXPECT_THAT(
      fields,
      ElementsAre(std::pair("count", FieldType::kInt), std::pair("on", FieldType::kBool),
                  std::pair("rare", FieldType::kFloat), std::pair("state", FieldType::kString),
                  std::pair("temp", FieldType::kFloat), std::pair("total", FieldType::kUint)));
  ExpectDecodesTo(group, rows, 0, rows.size());
}

TEST(EncodeFlushGroupTest, FieldsInEveryRowShareTheGroupsTimestampsAndOthersCarryTheirOwn) {
  const Rows rows = SampleGroup();
  FlushGroup group;
  ASSERT_TRUE(
      EncodeFlushGroup(rows, 0, rows.size(), kInfos, Options(10, kForever, kForever), &group).ok());
  ASSERT_EQ(group.timestamp_chunks.size(), 3u);
  EXPECT_THAT(DecodeTimestamps(group.timestamp_chunks[0]).size(), 10u);
  EXPECT_THAT(DecodeTimestamps(group.timestamp_chunks[2]).size(), 5u);
  for (const FlushField& field : group.fields) {
    const bool expect_shared = field.key == "temp" || field.key == "count" || field.key == "total";
    for (const std::string& chunk : field.chunks) {
      EXPECT_EQ(ParseWholeChunk(chunk).timestamp_codec == c::Codec::kNone, expect_shared)
          << field.key;
    }
    // A sparse field has no chunk for a piece where it has no value.
    EXPECT_EQ(field.chunks.size(), field.key == "rare" ? 1u : 3u) << field.key;
  }
  ExpectDecodesTo(group, rows, 0, rows.size());
}

TEST(EncodeFlushGroupTest, WithoutAFieldInEveryRowThereAreNoTimestampChunks) {
  Rows rows;
  rows.ts = {1, 2, 3, 4};
  Set(rows, 3, 0, true);
  Set(rows, 4, 1, std::string("a"));
  Set(rows, 3, 2, false);
  Set(rows, 4, 3, std::string("b"));
  FlushGroup group;
  ASSERT_TRUE(EncodeFlushGroup(rows, 0, rows.size(), kInfos, HeadOptions(), &group).ok());
  EXPECT_TRUE(group.timestamp_chunks.empty());
  ASSERT_EQ(group.fields.size(), 2u);
  ExpectDecodesTo(group, rows, 0, rows.size());
}

TEST(EncodeFlushGroupTest, OnlyTheRangeIsEncodedAndSharingIsJudgedWithinIt) {
  const Rows rows = SampleGroup();
  // Rows 4..8: "on" is in rows 4, 6, 8 only; "state" in 6; "rare" in none; the rest in all.
  FlushGroup group;
  ASSERT_TRUE(EncodeFlushGroup(rows, 4, 9, kInfos, HeadOptions(), &group).ok());
  std::vector<std::string> keys;
  for (const FlushField& f : group.fields) keys.push_back(f.key);
  EXPECT_THAT(keys, ElementsAre("count", "on", "state", "temp", "total"));
  ASSERT_EQ(group.timestamp_chunks.size(), 1u);
  EXPECT_THAT(DecodeTimestamps(group.timestamp_chunks[0]),
              ElementsAre(rows.ts[4], rows.ts[5], rows.ts[6], rows.ts[7], rows.ts[8]));
  ExpectDecodesTo(group, rows, 4, 9);
}

TEST(EncodeFlushGroupTest, AFieldPresentInEveryRowOfTheRangeSharesEvenIfSparseOutsideIt) {
  const Rows rows = SampleGroup();
  FlushGroup group;
  ASSERT_TRUE(EncodeFlushGroup(rows, 0, 3, kInfos, HeadOptions(), &group).ok());
  for (const FlushField& field : group.fields) {
    if (field.key != "rare") continue;
    ASSERT_EQ(field.chunks.size(), 1u);
    EXPECT_EQ(ParseWholeChunk(field.chunks[0]).timestamp_codec, c::Codec::kNone);
  }
  ExpectDecodesTo(group, rows, 0, 3);
}

TEST(EncodeFlushGroupTest, PiecesFollowCutPoints) {
  Rows rows;
  for (int64_t t : {0, 1, 2, 10, 11, 25}) {
    rows.ts.push_back(t);
    Set(rows, 0, rows.size() - 1, static_cast<double>(t));
  }
  const HeadOptions options = Options(2, kForever, 10);
  FlushGroup group;
  ASSERT_TRUE(EncodeFlushGroup(rows, 0, rows.size(), kInfos, options, &group).ok());
  std::vector<size_t> sizes;
  for (const std::string& chunk : group.timestamp_chunks)
    sizes.push_back(DecodeTimestamps(chunk).size());
  EXPECT_THAT(sizes, ElementsAre(2, 1, 2, 1));  // CutPoints: 2, 3, 5, 6
  EXPECT_THAT(CutPoints(rows, 0, rows.size(), options), ElementsAre(2, 3, 5, 6));
  ExpectDecodesTo(group, rows, 0, rows.size());
}

}  // namespace
}  // namespace edgetsdb::head_internal
