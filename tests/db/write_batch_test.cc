// WriteBatch: the points it is given come back from its rep exactly, in the compact form
// docs/format/write_batch.md specifies, and no bytes given to SetRep can make it crash, hang or
// allocate without bound: they decode to valid points or are refused as DataLoss.
#include "edgetsdb/write_batch.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "compression/coding.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/points.h"

namespace edgetsdb {
namespace {

namespace c = compression;
using ::testing::HasSubstr;
using namespace std::string_literals;

using testing::AddPoint;
using testing::Own;
using testing::Point;
using testing::ReadAll;
using testing::SameValue;

WriteBatch BatchOf(const std::vector<Point>& points) {
  WriteBatch batch;
  for (const Point& p : points)
    EXPECT_TRUE(AddPoint(&batch, p).ok()) << ::testing::PrintToString(p);
  return batch;
}

// A batch that exercises every part of the format: several series (with and without tags,
// introduced and referred back to), every field type, repeated field keys, and timestamps that
// jump in both directions.
std::vector<Point> RichPoints() {
  return {
      {"cpu", {{"host", "a"}, {"region", "eu"}}, {{"usage", 21.53}, {"cores", int64_t{8}}}, 100},
      {"cpu", {{"host", "b"}, {"region", "eu"}}, {{"usage", -0.0}, {"ok", true}}, 90},
      {"cpu", {{"host", "a"}, {"region", "eu"}}, {{"usage", 1e308}, {"cores", int64_t{-3}}}, 110},
      {"mem", {}, {{"free", uint64_t{1} << 40}, {"note", std::string("low \"swap\"")}}, -5},
      {"mem",
       {},
       {{"free", uint64_t{0}}, {"ok", false}, {"note", std::string()}},
       std::numeric_limits<int64_t>::max()},
      {"cpu", {{"host", "b"}, {"region", "eu"}}, {{"usage", 5e-324}}, 0},
  };
}

TEST(WriteBatchTest, EmptyBatchIsVersionAndZeroCount) {
  WriteBatch batch;
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(batch.point_count(), 0u);
  EXPECT_EQ(batch.value_count(), 0u);
  EXPECT_EQ(batch.rep(), std::string_view("\x01\x00", 2));
  EXPECT_TRUE(ReadAll(batch).empty());
}

// The exact bytes of a small batch, field by field, as the format document spells them.
TEST(WriteBatchTest, RepIsTheDocumentedFormat) {
  WriteBatch batch;
  const TagView tags[] = {{"t", "a"}};
  const FieldView first[] = {{"f", 1.5}};
  const FieldView second[] = {{"f", 2.5}, {"g", true}};
  ASSERT_TRUE(batch.Add("m", tags, first, 10).ok());
  ASSERT_TRUE(batch.Add("m", tags, second, 15).ok());
  const std::string expected =
      "\x01\x02"s  // version 1, two points
      "\x00\x07\x01m\x01\x01t\x01"
      "a"     // new series key: "m", one tag t=a
      "\x14"  // timestamp zigzag(10 - 0) = 20
      "\x01"  // one field
      "\x00\x01"
      "f"
      "\x01\x1e"      // new key "f", decimal 10^-1, zigzag(15) = 30
      "\x01"          // series index 0
      "\x0a"          // zigzag(15 - 10) = 10
      "\x02"          // two fields
      "\x01\x01\x32"  // key index 0 ("f"), decimal 10^-1, zigzag(25) = 50
      "\x00\x01"
      "g"
      "\x24";  // new key "g", true
  EXPECT_EQ(batch.rep(), expected);
  EXPECT_EQ(batch.point_count(), 2u);
  EXPECT_EQ(batch.value_count(), 3u);
}

TEST(WriteBatchTest, EveryFieldTypeRoundTrips) {
  const std::vector<Point> points = RichPoints();
  const WriteBatch batch = BatchOf(points);
  EXPECT_EQ(ReadAll(batch), points);
  EXPECT_EQ(batch.point_count(), points.size());
  EXPECT_EQ(batch.value_count(), 12u);
}

TEST(WriteBatchTest, FloatsRoundTripBitForBit) {
  const double kFloats[] = {0.0,
                            -0.0,
                            1.0,
                            -1.0,
                            0.1,
                            21.5,
                            -3.25,
                            21.53,
                            1013.25,
                            0.000001,
                            1e-7,
                            123456.789,
                            3.141592653589793,
                            1.0 / 3.0,
                            1e308,
                            -1e308,
                            std::numeric_limits<double>::max(),
                            std::numeric_limits<double>::lowest(),
                            std::numeric_limits<double>::min(),
                            std::numeric_limits<double>::denorm_min(),
                            1e-310,
                            -1e-310,
                            0x1p53,
                            0x1p53 - 1,
                            0x1p53 + 2,
                            -0x1p53,
                            0x1p52 + 0.5,
                            4503599627370495.5,
                            900719925474099.1,
                            1e15,
                            1e22,
                            1e23};
  for (double v : kFloats) {
    WriteBatch batch;
    const FieldView fields[] = {{"v", v}};
    ASSERT_TRUE(batch.Add("m", {}, fields, 0).ok()) << v;
    const std::vector<Point> read = ReadAll(batch);
    ASSERT_EQ(read.size(), 1u);
    EXPECT_EQ(c::DoubleBits(std::get<double>(read[0].fields[0].second)), c::DoubleBits(v)) << v;
  }
}

// Bytes a float value takes in the rep: its tag and what follows.
size_t EncodedFloatSize(double v) {
  WriteBatch with_float;
  WriteBatch with_bool;  // A bool is its tag alone.
  const FieldView f[] = {{"v", v}};
  const FieldView b[] = {{"v", true}};
  EXPECT_TRUE(with_float.Add("m", {}, f, 0).ok());
  EXPECT_TRUE(with_bool.Add("m", {}, b, 0).ok());
  return with_float.rep().size() - with_bool.rep().size() + 1;
}

TEST(WriteBatchTest, ShortDecimalsTakeTheCompactForm) {
  const struct {
    double value;
    size_t bytes;  // Tag and value.
  } kCases[] = {
      {0.0, 2},         // Exponent 0, m = 0.
      {1.0, 2},         // Exponent 0, m = 1.
      {-40.0, 2},       // m = -40: zigzag 79.
      {0.1, 2},         // Exponent 1, m = 1.
      {21.5, 3},        // Exponent 1, m = 215: zigzag 430, two varint bytes.
      {-3.25, 3},       // Exponent 2, m = -325.
      {21.53, 3},       // Exponent 2, m = 2153.
      {1013.25, 4},     // Exponent 2, m = 101325.
      {0.000001, 2},    // Exponent 6, m = 1.
      {123456.789, 5},  // Exponent 3, m = 123456789.
      {-0.0, 9},        // 0 / 10^e is +0.0: raw.
      {1e308, 9},       // Mantissa beyond 2^53: raw.
      {5e-324, 9},      // Subnormal: raw.
      {1e-7, 9},        // Needs exponent 7; the writer stops at 6.
      {1.0 / 3.0, 9},   // No short decimal form.
  };
  for (const auto& c : kCases) {
    EXPECT_EQ(EncodedFloatSize(c.value), c.bytes) << c.value;
  }
}

TEST(WriteBatchTest, TagsAreStoredSortedAndTheSeriesKeyIsCanonical) {
  WriteBatch batch;
  const TagView unsorted[] = {{"region", "eu"}, {"host", "a"}, {"\xff", "high"}, {"zone", "1"}};
  const TagView sorted[] = {{"host", "a"}, {"region", "eu"}, {"zone", "1"}, {"\xff", "high"}};
  const FieldView fields[] = {{"v", 1.0}};
  ASSERT_TRUE(batch.Add("cpu", unsorted, fields, 1).ok());
  ASSERT_TRUE(batch.Add("cpu", sorted, fields, 2).ok());

  WriteBatch::Reader r(batch);
  ASSERT_TRUE(r.Next());
  const std::string first_key(r.series_key());
  ASSERT_EQ(r.tags().size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(r.tags()[i].key, sorted[i].key);  // Bytewise: 0xff after 'z'.
    EXPECT_EQ(r.tags()[i].value, sorted[i].value);
  }
  ASSERT_TRUE(r.Next());
  EXPECT_EQ(r.series_key(), first_key);
  EXPECT_FALSE(r.Next());
  EXPECT_TRUE(r.status().ok());

  // measurement | tag count | (key | value)*, each length-prefixed.
  EXPECT_EQ(first_key,
            "\x03"
            "cpu"
            "\x04"  // measurement, four tags
            "\x04"
            "host"
            "\x01"
            "a"  // host=a
            "\x06"
            "region"
            "\x02"
            "eu"  // region=eu
            "\x04"
            "zone"
            "\x01"
            "1"  // zone=1
            "\x01\xff"
            "\x04"
            "high"s);  // \xff=high
}

// Length prefixes keep keys apart that a separator-based encoding would confuse.
TEST(WriteBatchTest, SeriesKeysAreUnambiguous) {
  const struct {
    std::string measurement;
    std::vector<std::pair<std::string, std::string>> tags;
  } kSeries[] = {
      {"a,b=c", {}},
      {"a", {{"b", "c"}}},
      {"a", {{"b", "c,d=e"}}},
      {"a", {{"b", "c"}, {"d", "e"}}},
      {"a b", {}},
      {std::string("a\0", 2), {}},
      {"a", {{std::string("b\0", 2), "c"}}},
  };
  std::vector<Point> points;
  for (const auto& s : kSeries) points.push_back({s.measurement, s.tags, {{"v", 1.0}}, 0});
  const WriteBatch batch = BatchOf(points);
  std::vector<std::string> keys;
  for (WriteBatch::Reader r(batch); r.Next();) keys.emplace_back(r.series_key());
  ASSERT_EQ(keys.size(), std::size(kSeries));
  for (size_t i = 0; i < keys.size(); ++i) {
    for (size_t j = i + 1; j < keys.size(); ++j) EXPECT_NE(keys[i], keys[j]) << i << " " << j;
  }
  EXPECT_EQ(ReadAll(batch), points);
}

TEST(WriteBatchTest, RepeatedKeysAreWrittenOnceAndReferredBack) {
  WriteBatch batch;
  const TagView tags[] = {{"device", "d0042"}, {"site", "plant1"}};
  constexpr int kPoints = 1000;
  for (int i = 0; i < kPoints; ++i) {
    const FieldView fields[] = {{"temperature", 21.5}};
    ASSERT_TRUE(batch.Add("sensors", tags, fields, int64_t{i} * 1'000'000'000).ok());
  }
  EXPECT_EQ(ReadAll(batch).size(), static_cast<size_t>(kPoints));
  WriteBatch one;
  const FieldView fields[] = {{"temperature", 21.5}};
  ASSERT_TRUE(one.Add("sensors", tags, fields, 0).ok());
  // Each point after the first: series index (1) + timestamp delta zigzag(1e9) (5) + field count
  // (1) + key index (1) + 21.5 (3). The header grows from 2 to 3 bytes past 127 points.
  EXPECT_EQ(batch.rep().size(), one.rep().size() + 1 + (kPoints - 1) * 11);
}

TEST(WriteBatchTest, RepeatedFieldKeyKeepsTheLastValue) {
  WriteBatch batch;
  const FieldView fields[] = {{"a", 1.0}, {"b", int64_t{2}}, {"a", 3.0}};
  ASSERT_TRUE(batch.Add("m", {}, fields, 0).ok());
  const std::vector<Point> expected = {{"m", {}, {{"b", int64_t{2}}, {"a", 3.0}}, 0}};
  EXPECT_EQ(ReadAll(batch), expected);
  EXPECT_EQ(batch.value_count(), 2u);
}

// Beyond a handful of fields, duplicates are found by sorting: same outcome.
TEST(WriteBatchTest, RepeatedFieldKeysAmongManyFields) {
  std::vector<std::string> keys;
  for (int i = 0; i < 40; ++i) keys.push_back(absl::StrCat("f", i % 25));
  std::vector<FieldView> fields;
  for (int i = 0; i < 40; ++i) fields.push_back({keys[i], int64_t{i}});
  WriteBatch batch;
  ASSERT_TRUE(batch.Add("m", {}, fields, 0).ok());
  Point expected{"m", {}, {}, 0};
  for (int i = 0; i < 40; ++i) {
    if (i < 15) continue;  // f0..f14 repeat at 25..39.
    expected.fields.emplace_back(keys[i], int64_t{i});
  }
  EXPECT_EQ(ReadAll(batch), std::vector<Point>{expected});
}

TEST(WriteBatchTest, TimestampsSpanTheWholeInt64Range) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  std::vector<Point> points;
  for (int64_t t : {kMin, kMax, int64_t{0}, int64_t{-1}, kMax, kMin, kMin + 1, int64_t{1}}) {
    points.push_back({"m", {}, {{"v", true}}, t});
  }
  EXPECT_EQ(ReadAll(BatchOf(points)), points);
}

TEST(WriteBatchTest, RefusedPointsLeaveTheBatchUnchanged) {
  const std::string long_name(kMaxNameBytes + 1, 'n');
  const std::string long_value(kMaxTagValueBytes + 1, 'v');
  const std::string long_string(kMaxStringFieldBytes + 1, 's');
  std::vector<TagView> many_tags;
  std::vector<std::string> tag_names;
  for (size_t i = 0; i <= kMaxTagsPerPoint; ++i) tag_names.push_back(absl::StrCat("t", i));
  for (const std::string& t : tag_names) many_tags.push_back({t, "x"});
  std::vector<FieldView> many_fields;
  std::vector<std::string> field_names;
  for (size_t i = 0; i <= kMaxFieldsPerPoint; ++i) field_names.push_back(absl::StrCat("f", i));
  for (const std::string& f : field_names) many_fields.push_back({f, 1.0});

  const std::vector<FieldView> one_field = {{"v", 1.0}};
  const struct {
    const char* name;
    std::string measurement;
    std::vector<TagView> tags;
    std::vector<FieldView> fields;
    const char* message;
  } kCases[] = {
      {"empty measurement", "", {}, one_field, "missing measurement"},
      {"measurement too long", long_name, {}, one_field, "measurement too long"},
      {"empty tag key", "m", {{"", "x"}}, one_field, "missing tag key"},
      {"empty tag value", "m", {{"k", ""}}, one_field, "missing tag value"},
      {"tag key too long", "m", {{long_name, "x"}}, one_field, "tag key too long"},
      {"tag value too long", "m", {{"k", long_value}}, one_field, "tag value too long"},
      {"duplicate tag", "m", {{"k", "x"}, {"j", "y"}, {"k", "z"}}, one_field, "duplicate tags"},
      {"too many tags", "m", many_tags, one_field, "too many tags"},
      {"no field", "m", {}, {}, "missing fields"},
      {"too many fields", "m", {}, many_fields, "too many fields"},
      {"empty field key", "m", {}, {{"", 1.0}}, "missing field key"},
      {"field key too long", "m", {}, {{long_name, 1.0}}, "field key too long"},
      {"NaN", "m", {}, {{"v", std::nan("")}}, "invalid float"},
      {"infinity", "m", {}, {{"v", -HUGE_VAL}}, "invalid float"},
      {"string too long", "m", {}, {{"v", std::string_view(long_string)}}, "string field too long"},
  };
  WriteBatch batch = BatchOf(RichPoints());
  const std::string before(batch.rep());
  for (const auto& c : kCases) {
    const absl::Status status = batch.Add(c.measurement, c.tags, c.fields, 0);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.message)) << c.name;
    EXPECT_EQ(batch.rep(), before) << c.name;
  }
  EXPECT_EQ(batch.point_count(), RichPoints().size());
  EXPECT_EQ(ReadAll(batch), RichPoints());
}

TEST(WriteBatchTest, LimitsThemselvesAreAccepted) {
  const std::string name(kMaxNameBytes, 'n');
  const std::string value(kMaxTagValueBytes, 'v');
  const std::string text(kMaxStringFieldBytes, 's');
  const Point p{name, {{name, value}}, {{name, text}}, 0};
  EXPECT_EQ(ReadAll(BatchOf({p})), std::vector<Point>{p});
}

TEST(WriteBatchTest, ClearEmptiesAndForgetsKeys) {
  WriteBatch batch = BatchOf(RichPoints());
  batch.Clear();
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(batch.value_count(), 0u);
  EXPECT_EQ(batch.rep(), std::string_view("\x01\x00", 2));
  // Keys are written anew, and timestamps count from 0 again.
  const std::vector<Point> points = {RichPoints()[0]};
  EXPECT_EQ(batch.rep(), WriteBatch().rep());
  for (const Point& p : points) ASSERT_TRUE(AddPoint(&batch, p).ok());
  EXPECT_EQ(batch.rep(), BatchOf(points).rep());
}

TEST(WriteBatchTest, SetRepAdoptsABatchAndLaterAddsReferToItsKeys) {
  const std::vector<Point> points = RichPoints();
  const WriteBatch original = BatchOf(points);
  WriteBatch adopted;
  ASSERT_TRUE(adopted.SetRep(original.rep()).ok());
  EXPECT_EQ(adopted.rep(), original.rep());
  EXPECT_EQ(adopted.point_count(), original.point_count());
  EXPECT_EQ(adopted.value_count(), original.value_count());

  // Adding the same point to both gives the same bytes: the adopted batch knows the keys and the
  // last timestamp.
  WriteBatch direct = original;
  ASSERT_TRUE(AddPoint(&direct, points[0]).ok());
  ASSERT_TRUE(AddPoint(&adopted, points[0]).ok());
  EXPECT_EQ(adopted.rep(), direct.rep());
}

TEST(WriteBatchTest, CopiesAreIndependentAndMovedFromBatchesAreEmpty) {
  WriteBatch original = BatchOf(RichPoints());
  WriteBatch copy = original;
  ASSERT_TRUE(AddPoint(&copy, RichPoints()[0]).ok());
  EXPECT_EQ(ReadAll(original), RichPoints());
  EXPECT_EQ(copy.point_count(), original.point_count() + 1);

  WriteBatch moved(std::move(original));
  EXPECT_EQ(ReadAll(moved), RichPoints());
  EXPECT_TRUE(original.empty());  // NOLINT(bugprone-use-after-move): the contract under test.
  EXPECT_EQ(original.rep(), WriteBatch().rep());
  ASSERT_TRUE(AddPoint(&original, RichPoints()[1]).ok());
  EXPECT_EQ(ReadAll(original), std::vector<Point>{RichPoints()[1]});

  copy = std::move(moved);
  EXPECT_EQ(ReadAll(copy), RichPoints());
  EXPECT_TRUE(moved.empty());  // NOLINT(bugprone-use-after-move)
}

// The header's count varint grows at 128 and 16,384 points; back references count from the
// body, so they survive the move.
TEST(WriteBatchTest, BackReferencesSurviveTheHeaderGrowing) {
  std::vector<Point> points;
  for (int i = 0; i < 17'000; ++i) {
    points.push_back({"m", {{"d", std::to_string(i % 300)}}, {{"v", int64_t{i}}}, i});
  }
  const WriteBatch batch = BatchOf(points);
  EXPECT_EQ(ReadAll(batch), points);
  WriteBatch adopted;
  ASSERT_TRUE(adopted.SetRep(batch.rep()).ok());
  EXPECT_EQ(ReadAll(adopted), points);
}

// --- Damage -------------------------------------------------------------------------------------

// The rules a reader promises about every point it returns (docs/format/write_batch.md).
void ExpectValidPoints(const WriteBatch& batch) {
  size_t points = 0;
  WriteBatch::Reader r(batch);
  while (r.Next()) {
    ++points;
    ASSERT_FALSE(r.measurement().empty());
    for (size_t i = 1; i < r.tags().size(); ++i) ASSERT_LT(r.tags()[i - 1].key, r.tags()[i].key);
    ASSERT_FALSE(r.fields().empty());
    for (size_t i = 0; i < r.fields().size(); ++i) {
      for (size_t j = i + 1; j < r.fields().size(); ++j) {
        ASSERT_NE(r.fields()[i].key, r.fields()[j].key);
      }
      if (const double* v = std::get_if<double>(&r.fields()[i].value)) {
        ASSERT_TRUE(std::isfinite(*v));
      }
    }
  }
  ASSERT_TRUE(r.status().ok()) << r.status();
  EXPECT_EQ(points, batch.point_count());
}

enum class Outcome { kDataLoss, kDataLossOrValid };

struct DamageCase {
  const char* name;
  Outcome outcome;
  std::vector<std::string> (*damage)(const std::string& rep);
};

std::string WithCount(const std::string& rep, uint64_t count) {
  c::ByteReader in(rep);
  uint8_t version = 0;
  uint64_t old_count = 0;
  in.ReadByte(&version);
  in.ReadVarint64(&old_count);
  std::string out(1, static_cast<char>(version));
  c::PutVarint64(&out, count);
  out.append(in.Rest());
  return out;
}

const DamageCase kDamageCases[] = {
    {"truncated at every length", Outcome::kDataLoss,
     [](const std::string& rep) {
       std::vector<std::string> out;
       for (size_t len = 0; len < rep.size(); ++len) out.push_back(rep.substr(0, len));
       return out;
     }},
    {"bytes appended", Outcome::kDataLoss,
     [](const std::string& rep) {
       return std::vector<std::string>{rep + '\0', rep + '\x01', rep + rep};
     }},
    {"unknown version", Outcome::kDataLoss,
     [](const std::string& rep) {
       std::vector<std::string> out;
       for (char v : {'\0', '\x02', '\xff'}) out.push_back(std::string(1, v) + rep.substr(1));
       return out;
     }},
    {"bogus point count", Outcome::kDataLoss,
     [](const std::string& rep) {
       const uint64_t n = BatchOf(RichPoints()).point_count();
       std::vector<std::string> out;
       for (uint64_t count : {uint64_t{0}, n - 1, n + 1, n * 2, uint64_t{1} << 32,
                              uint64_t{1} << 63, std::numeric_limits<uint64_t>::max()}) {
         out.push_back(WithCount(rep, count));
       }
       // An overlong varint: eleven bytes.
       out.push_back(rep.substr(0, 1) + std::string(10, '\x80') + '\x01' + rep.substr(2));
       return out;
     }},
    {"each bit flipped", Outcome::kDataLossOrValid,
     [](const std::string& rep) {
       std::vector<std::string> out;
       for (size_t bit = 0; bit < 8 * rep.size(); ++bit) {
         std::string flipped = rep;
         flipped[bit / 8] ^= static_cast<char>(1 << (bit % 8));
         out.push_back(std::move(flipped));
       }
       return out;
     }},
    {"each byte zeroed or saturated", Outcome::kDataLossOrValid,
     [](const std::string& rep) {
       std::vector<std::string> out;
       for (size_t i = 0; i < rep.size(); ++i) {
         for (char fill : {'\0', '\x7f', '\xff'}) {
           std::string damaged = rep;
           damaged[i] = fill;
           out.push_back(std::move(damaged));
         }
       }
       return out;
     }},
    {"each byte removed", Outcome::kDataLossOrValid,
     [](const std::string& rep) {
       std::vector<std::string> out;
       for (size_t i = 0; i < rep.size(); ++i) out.push_back(rep.substr(0, i) + rep.substr(i + 1));
       return out;
     }},
};

TEST(WriteBatchTest, DamagedRepsAreRefusedOrReadCleanly) {
  const WriteBatch good = BatchOf(RichPoints());
  const std::string rep(good.rep());
  for (const DamageCase& c : kDamageCases) {
    size_t refused = 0;
    const std::vector<std::string> variants = c.damage(rep);
    for (const std::string& damaged : variants) {
      WriteBatch batch = BatchOf({RichPoints()[0]});
      const std::string before(batch.rep());
      const absl::Status status = batch.SetRep(damaged);
      if (status.ok()) {
        EXPECT_EQ(c.outcome, Outcome::kDataLossOrValid) << c.name << ": " << damaged.size();
        EXPECT_EQ(batch.rep(), damaged);
        ExpectValidPoints(batch);
      } else {
        ++refused;
        EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << c.name << ": " << status;
        EXPECT_EQ(batch.rep(), before) << c.name;
      }
    }
    // Every case refuses something: damage that only ever yields valid batches would test nothing.
    EXPECT_GT(refused, 0u) << c.name;
  }
}

// Hand-made reps, each breaking one rule of the validity section.
std::string Rep(uint64_t points, std::string_view body) {
  std::string rep(1, '\x01');
  c::PutVarint64(&rep, points);
  rep.append(body);
  return rep;
}

std::string Str(std::string_view s) {
  std::string out;
  c::PutVarint64(&out, s.size());
  out.append(s);
  return out;
}

// A point with a new series key, timestamp 0, and the given field bytes.
std::string PointWithKey(std::string_view key, uint64_t field_count, std::string_view fields) {
  std::string out(1, '\0');
  out += Str(key);
  out.push_back('\0');
  c::PutVarint64(&out, field_count);
  out.append(fields);
  return out;
}

const std::string kKeyM = Str("m") + '\0';                    // "m", no tags.
const std::string kFieldV = std::string(1, '\0') + Str("v");  // New field key "v".

TEST(WriteBatchTest, InvalidRepsAreDataLossWithTheirReason) {
  std::string raw_nan(1, '\x20');
  c::PutFixed64(&raw_nan, c::DoubleBits(std::nan("")));
  std::string raw_inf(1, '\x20');
  c::PutFixed64(&raw_inf, c::DoubleBits(HUGE_VAL));
  std::string big_mantissa(1, '\x02');
  c::PutVarint64(&big_mantissa, c::ZigZagEncode(int64_t{1} << 53));
  std::string long_string(1, '\x25');
  long_string += Str(std::string(kMaxStringFieldBytes + 1, 's'));

  const struct {
    const char* name;
    std::string rep;
    const char* reason;
  } kCases[] = {
      {"empty", "", "empty"},
      {"version 2", "\x02\x00", "unknown version"},
      {"no count", "\x01", "truncated header"},
      {"count beyond the points", Rep(2, PointWithKey(kKeyM, 1, kFieldV + '\x24')),
       "truncated point"},
      {"bytes after the last point", Rep(1, PointWithKey(kKeyM, 1, kFieldV + '\x24') + '\0'),
       "bytes after the last point"},
      {"series reference out of range", Rep(1, std::string("\x01\x00\x01", 3) + kFieldV + '\x24'),
       "series reference out of range"},
      {"empty measurement", Rep(1, PointWithKey(Str("") + '\0', 1, kFieldV + '\x24')),
       "bad measurement length"},
      {"tags out of order",
       Rep(1, PointWithKey(Str("m") + '\x02' + Str("b") + Str("1") + Str("a") + Str("1"), 1,
                           kFieldV + '\x24')),
       "tags not sorted or repeated"},
      {"tag repeated",
       Rep(1, PointWithKey(Str("m") + '\x02' + Str("a") + Str("1") + Str("a") + Str("2"), 1,
                           kFieldV + '\x24')),
       "tags not sorted or repeated"},
      {"empty tag value",
       Rep(1, PointWithKey(Str("m") + '\x01' + Str("a") + Str(""), 1, kFieldV + '\x24')),
       "bad tag value length"},
      {"bytes after the tags", Rep(1, PointWithKey(kKeyM + 'x', 1, kFieldV + '\x24')),
       "bytes after the tags"},
      {"tag count beyond the key", Rep(1, PointWithKey(Str("m") + '\x05', 1, kFieldV + '\x24')),
       "truncated series key"},
      {"no fields", Rep(1, PointWithKey(kKeyM, 0, "")), "bad field count"},
      {"too many fields", Rep(1, PointWithKey(kKeyM, kMaxFieldsPerPoint + 1, kFieldV + '\x24')),
       "bad field count"},
      {"empty field key", Rep(1, PointWithKey(kKeyM, 1, std::string("\0\0\x24", 3))),
       "bad field key length"},
      {"field key reference out of range", Rep(1, PointWithKey(kKeyM, 1, "\x01\x24")),
       "field key reference out of range"},
      {"field key repeated",
       Rep(1, PointWithKey(kKeyM, 2, kFieldV + '\x24' + std::string("\x01\x23", 2))),
       "repeated field key"},
      {"unknown field tag 19", Rep(1, PointWithKey(kKeyM, 1, kFieldV + '\x13' + '\0')),
       "unknown field tag"},
      {"unknown field tag 38", Rep(1, PointWithKey(kKeyM, 1, kFieldV + '\x26')),
       "unknown field tag"},
      {"decimal mantissa of 2^53", Rep(1, PointWithKey(kKeyM, 1, kFieldV + big_mantissa)),
       "decimal mantissa out of range"},
      {"raw NaN", Rep(1, PointWithKey(kKeyM, 1, kFieldV + raw_nan)), "float not finite"},
      {"raw infinity", Rep(1, PointWithKey(kKeyM, 1, kFieldV + raw_inf)), "float not finite"},
      {"raw float cut short", Rep(1, PointWithKey(kKeyM, 1, kFieldV + raw_nan.substr(0, 5))),
       "truncated float"},
      {"string too long", Rep(1, PointWithKey(kKeyM, 1, kFieldV + long_string)), "string too long"},
      {"string beyond the rep", Rep(1, PointWithKey(kKeyM, 1, kFieldV + "\x25\x05" + "ab")),
       "truncated string"},
      {"overlong varint", Rep(1, std::string(11, '\x80')), "truncated point"},
  };
  for (const auto& c : kCases) {
    WriteBatch batch;
    const absl::Status status = batch.SetRep(c.rep);
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << c.name << ": " << status;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.reason)) << c.name;
    EXPECT_TRUE(batch.empty()) << c.name;
  }
}

// The same bytes built by hand, each rule respected, are accepted: the table above fails for the
// reason it names and nothing else.
TEST(WriteBatchTest, HandMadeValidRepIsAccepted) {
  const std::string rep =
      Rep(2, PointWithKey(Str("m") + '\x02' + Str("a") + Str("1") + Str("b") + Str("2"), 2,
                          kFieldV + '\x24' + std::string("\0", 1) + Str("w") + '\x12' + '\x02') +
                 std::string("\x01\x02\x01\x01\x21\x05", 6));
  WriteBatch batch;
  ASSERT_TRUE(batch.SetRep(rep).ok()) << batch.SetRep(rep);
  const std::vector<Point> expected = {
      {"m", {{"a", "1"}, {"b", "2"}}, {{"v", true}, {"w", 1e-18}}, 0},
      {"m", {{"a", "1"}, {"b", "2"}}, {{"v", int64_t{-3}}}, 1},
  };
  EXPECT_EQ(ReadAll(batch), expected);
}

// point_count is untrusted: a claim of 2^64 - 1 points in a few bytes costs nothing.
TEST(WriteBatchTest, HugePointCountAllocatesNothing) {
  WriteBatch batch;
  const std::string rep =
      WithCount(std::string(BatchOf(RichPoints()).rep()), std::numeric_limits<uint64_t>::max());
  const absl::Status status = batch.SetRep(rep);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(status.message()), HasSubstr("truncated point"));
}

}  // namespace
}  // namespace edgetsdb
