#include "compression/chunk.h"

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "compression/coding.h"
#include "gtest/gtest.h"

namespace edgetsdb::compression {
namespace {

constexpr int64_t kStart = 1'764'000'000'000'000'000;

std::vector<int64_t> RegularTimestamps(size_t n) {
  std::vector<int64_t> ts(n);
  for (size_t i = 0; i < n; ++i) ts[i] = kStart + static_cast<int64_t>(i) * 10'000'000'000;
  return ts;
}

std::string Encode(const std::vector<int64_t>& ts, ColumnView values,
                   ChunkEncodeOptions options = {}) {
  std::string out;
  const absl::Status status = EncodeChunk(ts, values, options, &out);
  EXPECT_TRUE(status.ok()) << status;
  return out;
}

TEST(ChunkTest, FloatChunkRoundTripsWithItsSummary) {
  const std::vector<int64_t> ts = RegularTimestamps(5);
  const std::vector<double> values = {21.5, NAN, -3.25, 40.0, 22.75};
  const std::string encoded = Encode(ts, absl::MakeConstSpan(values));
  auto parsed = ParseChunk(encoded);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const ChunkSummary& s = parsed->summary;
  EXPECT_EQ(s.type, ValueType::kFloat);
  EXPECT_EQ(s.count, 5u);
  EXPECT_EQ(s.first_time, ts.front());
  EXPECT_EQ(s.last_time, ts.back());
  ASSERT_TRUE(s.has_values_summary);
  EXPECT_TRUE(std::isnan(s.sum.f()));
  EXPECT_EQ(s.min.f(), -3.25) << "min skips NaN";
  EXPECT_EQ(s.max.f(), 40.0) << "max skips NaN";
  EXPECT_EQ(s.first.f(), 21.5);
  EXPECT_EQ(s.last.f(), 22.75);
  EXPECT_EQ(parsed->encoded_size, encoded.size());

  std::vector<int64_t> got_ts;
  ASSERT_TRUE(DecodeChunkTimestamps(*parsed, &got_ts).ok());
  EXPECT_EQ(got_ts, ts);
  auto column = DecodeChunkValues(*parsed);
  ASSERT_TRUE(column.ok()) << column.status();
  const auto& got = std::get<std::vector<double>>(*column);
  ASSERT_EQ(got.size(), values.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(DoubleBits(got[i]), DoubleBits(values[i]));
}

TEST(ChunkTest, DecodeChunkValuesIntoAppendsToTheColumn) {
  const std::vector<int64_t> ts = RegularTimestamps(3);
  const std::vector<double> first = {1.5, 2.5, 3.5}, second = {-0.0, NAN, 7.25};
  const std::string a = Encode(ts, absl::MakeConstSpan(first));
  const std::string b = Encode(ts, absl::MakeConstSpan(second));
  Column column = std::vector<double>();
  std::get<std::vector<double>>(column).reserve(6);
  for (const std::string* encoded : {&a, &b}) {
    auto parsed = ParseChunk(*encoded);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    ASSERT_TRUE(DecodeChunkValuesInto(*parsed, &column).ok());
  }
  const auto& got = std::get<std::vector<double>>(column);
  ASSERT_EQ(got.size(), 6u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(DoubleBits(got[i]), DoubleBits(first[i]));
    EXPECT_EQ(DoubleBits(got[3 + i]), DoubleBits(second[i]));
  }

  const std::vector<int64_t> ints = {-5, 0, 1LL << 40};
  const std::string c = Encode(ts, absl::MakeConstSpan(ints));
  auto parsed = ParseChunk(c);
  ASSERT_TRUE(parsed.ok());
  Column int_column = std::vector<int64_t>{9};
  ASSERT_TRUE(DecodeChunkValuesInto(*parsed, &int_column).ok());
  EXPECT_EQ(std::get<std::vector<int64_t>>(int_column),
            (std::vector<int64_t>{9, -5, 0, 1LL << 40}));
}

TEST(ChunkTest, DecodeChunkValuesIntoRefusesAnotherTypeAndKeepsTheColumn) {
  const std::vector<int64_t> ts = RegularTimestamps(2);
  const std::vector<double> values = {1.0, 2.0};
  const std::string encoded = Encode(ts, absl::MakeConstSpan(values));  // Outlives parsed.
  auto parsed = ParseChunk(encoded);
  ASSERT_TRUE(parsed.ok());
  Column column = std::vector<uint64_t>{4};
  EXPECT_EQ(DecodeChunkValuesInto(*parsed, &column).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::get<std::vector<uint64_t>>(column), std::vector<uint64_t>{4});

  // A damaged value stream (the checksum is not checked again here) leaves the column as it was.
  ParsedChunk damaged = *parsed;
  damaged.value_stream = damaged.value_stream.substr(0, 1);
  Column floats = std::vector<double>{3.0};
  EXPECT_FALSE(DecodeChunkValuesInto(damaged, &floats).ok());
  EXPECT_EQ(std::get<std::vector<double>>(floats), std::vector<double>{3.0});
}

TEST(ChunkTest, EveryValueTypeRoundTrips) {
  const std::vector<int64_t> ts = RegularTimestamps(4);
  const std::vector<int64_t> ints = {std::numeric_limits<int64_t>::min(), -1, 0,
                                     std::numeric_limits<int64_t>::max()};
  const std::vector<uint64_t> uints = {0, 1, 1u << 31, std::numeric_limits<uint64_t>::max()};
  const std::vector<uint8_t> bools = {1, 0, 0, 1};
  const std::vector<std::string> strings = {"ok", "", "alarm: door open", "ok"};

  const std::vector<ColumnView> views = {absl::MakeConstSpan(ints), absl::MakeConstSpan(uints),
                                         absl::MakeConstSpan(bools), absl::MakeConstSpan(strings)};
  const std::vector<Column> wants = {ints, uints, bools, strings};
  for (size_t k = 0; k < views.size(); ++k) {
    const std::string encoded = Encode(ts, views[k]);
    auto parsed = ParseChunk(encoded);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    auto column = DecodeChunkValues(*parsed);
    ASSERT_TRUE(column.ok()) << k << ": " << column.status();
    EXPECT_TRUE(*column == wants[k]) << "type index " << k;
  }
}

TEST(ChunkTest, IntegerSummaryWrapsLikeInfluxDb) {
  const std::vector<int64_t> ts = RegularTimestamps(3);
  const std::vector<int64_t> ints = {std::numeric_limits<int64_t>::max(), 2, -5};
  auto parsed = ParseChunk(Encode(ts, absl::MakeConstSpan(ints)));
  ASSERT_TRUE(parsed.ok());
  // max + 2 wraps to min + 1; then - 5 wraps back to max - 3.
  EXPECT_EQ(parsed->summary.sum.i(), std::numeric_limits<int64_t>::max() - 3);
  EXPECT_EQ(parsed->summary.min.i(), -5);
  EXPECT_EQ(parsed->summary.max.i(), std::numeric_limits<int64_t>::max());
}

TEST(ChunkTest, BoolSummaryAnswersCountMinMaxFirstLast) {
  const std::vector<uint8_t> bools = {1, 1, 0, 1, 0};
  auto parsed = ParseChunk(Encode(RegularTimestamps(5), absl::MakeConstSpan(bools)));
  ASSERT_TRUE(parsed.ok());
  const ChunkSummary& s = parsed->summary;
  EXPECT_EQ(s.sum.u(), 3u);
  EXPECT_EQ(s.min.u(), 0u);
  EXPECT_EQ(s.max.u(), 1u);
  EXPECT_EQ(s.first.u(), 1u);
  EXPECT_EQ(s.last.u(), 0u);
  const std::vector<uint8_t> all_true = {1, 1};
  auto parsed_true = ParseChunk(Encode(RegularTimestamps(2), absl::MakeConstSpan(all_true)));
  ASSERT_TRUE(parsed_true.ok());
  EXPECT_EQ(parsed_true->summary.min.u(), 1u);
}

TEST(ChunkTest, SharedTimestampColumnKeepsOnlyTheBounds) {
  const std::vector<int64_t> ts = RegularTimestamps(100);
  std::vector<double> values(100, 1.5);
  const std::string with = Encode(ts, absl::MakeConstSpan(values));
  const std::string without = Encode(ts, absl::MakeConstSpan(values), {.store_timestamps = false});
  EXPECT_LT(without.size(), with.size());
  auto parsed = ParseChunk(without);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->summary.first_time, ts.front());
  EXPECT_EQ(parsed->summary.last_time, ts.back());
  std::vector<int64_t> got;
  EXPECT_EQ(DecodeChunkTimestamps(*parsed, &got).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ChunkTest, RequestedCodecIsRecorded) {
  const std::vector<double> values = {1.5, 2.5, 3.5};
  for (Codec codec : {Codec::kFloatGorilla, Codec::kFloatChimp128, Codec::kFloatDecimal}) {
    auto parsed = ParseChunk(
        Encode(RegularTimestamps(3), absl::MakeConstSpan(values), {.value_codec = codec}));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->value_codec, codec);
  }
}

TEST(ChunkTest, InvalidInputIsRefused) {
  std::string out;
  const std::vector<double> values = {1, 2};
  EXPECT_EQ(EncodeChunk(RegularTimestamps(3), absl::MakeConstSpan(values), {}, &out).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodeChunk({}, absl::Span<const double>(), {}, &out).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodeChunk({2, 1}, absl::MakeConstSpan(values), {}, &out).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodeChunk(RegularTimestamps(2), absl::MakeConstSpan(values),
                        {.value_codec = Codec::kStringLz4}, &out)
                .code(),
            absl::StatusCode::kInvalidArgument);
  const std::vector<uint8_t> bad_bools = {0, 2};
  EXPECT_EQ(EncodeChunk(RegularTimestamps(2), absl::MakeConstSpan(bad_bools), {}, &out).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(out.empty()) << "nothing is appended on error";
}

TEST(ChunkTest, TrailingBytesAreLeftForTheNextChunk) {
  const std::vector<double> values = {1.5, 2.5};
  std::string two = Encode(RegularTimestamps(2), absl::MakeConstSpan(values));
  const size_t first_size = two.size();
  two += Encode(RegularTimestamps(2), absl::MakeConstSpan(values));
  auto first = ParseChunk(two);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->encoded_size, first_size);
  EXPECT_TRUE(ParseChunk(std::string_view(two).substr(first_size)).ok());
}

// Table-driven damage: every case must be refused by ParseChunk or by decoding, never accepted
// with different values.
TEST(ChunkTest, DamagedChunksAreRefused) {
  std::mt19937_64 rng(5);
  std::vector<double> values(1000);
  double walk = 100;
  for (double& v : values) v = (walk += static_cast<double>(rng() % 200) / 100 - 1);
  const std::vector<int64_t> ts = RegularTimestamps(values.size());
  const std::string good = Encode(ts, absl::MakeConstSpan(values));

  struct Case {
    std::string name;
    std::string bytes;
  };
  std::vector<Case> cases;
  for (size_t len : {size_t{0}, size_t{1}, size_t{4}, size_t{20}, good.size() / 2, good.size() - 4,
                     good.size() - 1}) {
    cases.push_back({"truncated to " + std::to_string(len), good.substr(0, len)});
  }
  for (int k = 0; k < 64; ++k) {
    std::string flipped = good;
    const size_t bit = rng() % (good.size() * 8);
    flipped[bit / 8] ^= static_cast<char>(1 << (bit % 8));
    cases.push_back({"bit " + std::to_string(bit) + " flipped", flipped});
  }
  std::string zeroed = good;
  std::fill(zeroed.begin() + 16, zeroed.begin() + 16 + std::min<size_t>(512, good.size() - 20), 0);
  cases.push_back({"zeroed run", zeroed});
  cases.push_back({"all zero", std::string(good.size(), '\0')});
  cases.push_back({"all ones", std::string(good.size(), '\xff')});

  for (const Case& c : cases) {
    auto parsed = ParseChunk(c.bytes);
    if (!parsed.ok()) continue;
    // A flip that lands in the checksum itself, or a truncation that still parses, must not
    // produce different values.
    auto column = DecodeChunkValues(*parsed);
    if (!column.ok()) continue;
    const auto& got = std::get<std::vector<double>>(*column);
    ADD_FAILURE() << c.name << " was accepted (" << got.size() << " values)";
  }
}

}  // namespace
}  // namespace edgetsdb::compression
