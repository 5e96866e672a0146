#include "compression/integer_codec.h"

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "compression/codec.h"
#include "gtest/gtest.h"
#include "tests/compression/damage_cases.h"

namespace edgetsdb::compression {
namespace {

constexpr uint64_t kInt64Min = static_cast<uint64_t>(std::numeric_limits<int64_t>::min());
constexpr uint64_t kInt64Max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
constexpr uint64_t kUint64Max = std::numeric_limits<uint64_t>::max();
constexpr uint64_t kMinusOne = kUint64Max;

constexpr Codec kIntegerCodecs[] = {Codec::kIntFrameOfReference, Codec::kIntDelta,
                                    Codec::kIntDeltaOfDelta, Codec::kIntRunLength};

// Column shapes seen in practice, and adversarial ones.
enum class Shape {
  kUniform,     // Any uint64: every codec needs 64 bits.
  kSmallRange,  // Gauges around a negative offset.
  kCounter,     // Constant step.
  kTimestamps,  // Nanoseconds at 1 s with jitter: delta of delta territory.
  kRandomWalk,  // Small signed steps.
  kRuns,        // Long runs of one value.
  kExtremes,    // Random picks from the int64 and uint64 boundaries.
  kAlternatingExtremes,
};
constexpr Shape kShapes[] = {Shape::kUniform,    Shape::kSmallRange,         Shape::kCounter,
                             Shape::kTimestamps, Shape::kRandomWalk,         Shape::kRuns,
                             Shape::kExtremes,   Shape::kAlternatingExtremes};
constexpr size_t kSizes[] = {1, 2, 3, 63, 64, 65, 127, 1000, 4097};
constexpr uint64_t kSeeds[] = {1, 2, 3};

std::vector<uint64_t> Generate(Shape shape, size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const uint64_t boundaries[] = {0, 1, kInt64Min, kInt64Max, kUint64Max, kInt64Min + 1};
  std::vector<uint64_t> values(n);
  uint64_t x = rng();
  const uint64_t step = rng() % 100;
  for (size_t i = 0; i < n; ++i) {
    switch (shape) {
      case Shape::kUniform:
        x = rng();
        break;
      case Shape::kSmallRange:
        x = static_cast<uint64_t>(-500 + static_cast<int64_t>(rng() % 1000));
        break;
      case Shape::kCounter:
        x += step;
        break;
      case Shape::kTimestamps:
        x = (i == 0 ? uint64_t{1'700'000'000'000'000'000} : x + 1'000'000'000) + rng() % 1000;
        break;
      case Shape::kRandomWalk:
        x += static_cast<uint64_t>(static_cast<int64_t>(rng() % 2001) - 1000);
        break;
      case Shape::kRuns:
        if (rng() % 50 == 0) x = rng();
        break;
      case Shape::kExtremes:
        x = boundaries[rng() % std::size(boundaries)];
        break;
      case Shape::kAlternatingExtremes:
        x = i % 2 == 0 ? kInt64Min : kInt64Max;
        break;
    }
    values[i] = x;
  }
  return values;
}

std::string Encode(Codec codec, const std::vector<uint64_t>& values, bool is_signed) {
  std::string encoded;
  EncodeIntegers(codec, values, is_signed, &encoded);
  return encoded;
}

void ExpectRoundTrip(Codec codec, const std::vector<uint64_t>& values, bool is_signed) {
  const std::string encoded = Encode(codec, values, is_signed);
  std::vector<uint64_t> decoded;
  const absl::Status status = DecodeIntegers(codec, encoded, values.size(), &decoded);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(decoded, values);
}

class IntegerCodecTest : public testing::TestWithParam<Codec> {};

INSTANTIATE_TEST_SUITE_P(AllCodecs, IntegerCodecTest, testing::ValuesIn(kIntegerCodecs),
                         [](const testing::TestParamInfo<Codec>& info) -> std::string {
                           switch (info.param) {
                             case Codec::kIntFrameOfReference:
                               return "FrameOfReference";
                             case Codec::kIntDelta:
                               return "Delta";
                             case Codec::kIntDeltaOfDelta:
                               return "DeltaOfDelta";
                             default:
                               return "RunLength";
                           }
                         });

TEST_P(IntegerCodecTest, RandomColumnsOfEveryShapeAndSizeRoundTrip) {
  for (uint64_t seed : kSeeds) {
    for (Shape shape : kShapes) {
      for (size_t n : kSizes) {
        for (bool is_signed : {false, true}) {
          SCOPED_TRACE(testing::Message() << "seed " << seed << " shape " << static_cast<int>(shape)
                                          << " n " << n << " signed " << is_signed);
          ExpectRoundTrip(GetParam(), Generate(shape, n, seed), is_signed);
        }
      }
    }
  }
}

TEST_P(IntegerCodecTest, FullChunksRoundTrip) {
  for (Shape shape : kShapes) {
    SCOPED_TRACE(static_cast<int>(shape));
    ExpectRoundTrip(GetParam(), Generate(shape, kMaxChunkValues, 7), /*is_signed=*/true);
  }
}

TEST_P(IntegerCodecTest, BoundaryValuesRoundTripInBothOrders) {
  const std::vector<std::vector<uint64_t>> cases = {
      {kInt64Min},
      {kInt64Max},
      {kUint64Max},
      {kInt64Min, kInt64Max},
      {kInt64Max, kInt64Min},
      {0, kUint64Max, 0},
      {kInt64Min, kInt64Max, kInt64Min, kInt64Max, 0, kMinusOne},
      {kInt64Max, kInt64Min, kInt64Min, kInt64Max, kInt64Min + 1, kInt64Max - 1},
      {1, 0, kUint64Max, kInt64Min, kInt64Max, 1, 0},
      std::vector<uint64_t>(1000, kInt64Min),
      std::vector<uint64_t>(1000, kUint64Max),
  };
  for (bool is_signed : {false, true}) {
    for (size_t i = 0; i < cases.size(); ++i) {
      SCOPED_TRACE(testing::Message() << "case " << i << " signed " << is_signed);
      ExpectRoundTrip(GetParam(), cases[i], is_signed);
    }
  }
}

TEST_P(IntegerCodecTest, ZeroValuesEncodeToNothing) {
  EXPECT_EQ(Encode(GetParam(), {}, false), "");
  std::vector<uint64_t> decoded = {1, 2};
  EXPECT_TRUE(DecodeIntegers(GetParam(), "", 0, &decoded).ok());
  EXPECT_TRUE(decoded.empty());
  EXPECT_FALSE(DecodeIntegers(GetParam(), "x", 0, &decoded).ok());
}

TEST_P(IntegerCodecTest, CountAboveTheChunkLimitIsInvalidArgument) {
  const std::string encoded = Encode(GetParam(), {1, 2, 3}, false);
  std::vector<uint64_t> decoded;
  EXPECT_EQ(DecodeIntegers(GetParam(), encoded, kMaxChunkValues + 1, &decoded).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(IntegerCodecTest, DamagedStreamsAreRefusedOrDecodeToCountValues) {
  constexpr size_t kCount = 100;
  for (Shape shape : {Shape::kUniform, Shape::kRandomWalk, Shape::kExtremes}) {
    const std::string stream = Encode(GetParam(), Generate(shape, kCount, 11), true);
    test::ExpectDamageRefusedOrCountValues(DecodeIntegers, GetParam(), stream, kCount, '\xff');
  }
}

TEST(IntegerCodecTest, CodecsOfOtherTypesAreInvalidArgument) {
  std::vector<uint64_t> decoded;
  for (Codec codec : {Codec::kNone, Codec::kBoolBitmap, Codec::kFloatGorilla}) {
    EXPECT_EQ(DecodeIntegers(codec, "\x00\x00", 1, &decoded).code(),
              absl::StatusCode::kInvalidArgument);
  }
}

TEST(IntegerCodecTest, BitWidthAbove64IsDataLoss) {
  // Frame of reference: zigzag base 0, width 65, then enough bytes for any width.
  const std::string stream = std::string("\x00\x41", 2) + std::string(16, '\0');
  std::vector<uint64_t> decoded;
  EXPECT_EQ(DecodeIntegers(Codec::kIntFrameOfReference, stream, 1, &decoded).code(),
            absl::StatusCode::kDataLoss);
}

TEST(IntegerCodecTest, RunsMustBeNonEmptyAndFitTheCount) {
  std::vector<uint64_t> decoded;
  // (value 0, run 0) then (value 0, run 1).
  EXPECT_FALSE(
      DecodeIntegers(Codec::kIntRunLength, std::string("\x00\x00\x00\x01", 4), 1, &decoded).ok());
  // One run of 3 for a count of 2.
  EXPECT_FALSE(DecodeIntegers(Codec::kIntRunLength, std::string("\x00\x03", 2), 2, &decoded).ok());
  // A run of 2^63 must not be trusted for anything.
  EXPECT_FALSE(DecodeIntegers(Codec::kIntRunLength,
                              std::string("\x00\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 11), 2,
                              &decoded)
                   .ok());
}

TEST(IntegerCodecTest, FrameOfReferenceTakesTheMinimumInTheRequestedOrder) {
  // -1 and 1 are 2 apart as int64 but 2^64 - 2 apart as uint64.
  const std::vector<uint64_t> values = {kMinusOne, 1, kMinusOne, 1};
  const size_t signed_size = Encode(Codec::kIntFrameOfReference, values, true).size();
  const size_t unsigned_size = Encode(Codec::kIntFrameOfReference, values, false).size();
  EXPECT_LT(signed_size, unsigned_size);
  ExpectRoundTrip(Codec::kIntFrameOfReference, values, true);
  ExpectRoundTrip(Codec::kIntFrameOfReference, values, false);
}

TEST(IntegerCodecTest, SmallNegativeValuesStayShort) {
  // Zigzag varints: a frame of reference over {-3, -2} is base -3 (1 byte), width 1, 1 byte.
  EXPECT_EQ(
      Encode(Codec::kIntFrameOfReference, {static_cast<uint64_t>(-3), kMinusOne - 1}, true).size(),
      3u);
}

TEST(IntegerCodecAutoTest, PicksTheSmallestCodecAndRoundTrips) {
  for (uint64_t seed : kSeeds) {
    for (Shape shape : kShapes) {
      for (size_t n : {size_t{1}, size_t{2}, size_t{100}, size_t{5000}}) {
        for (bool is_signed : {false, true}) {
          SCOPED_TRACE(testing::Message() << "seed " << seed << " shape " << static_cast<int>(shape)
                                          << " n " << n << " signed " << is_signed);
          const std::vector<uint64_t> values = Generate(shape, n, seed);
          size_t smallest = std::numeric_limits<size_t>::max();
          for (Codec codec : kIntegerCodecs) {
            smallest = std::min(smallest, Encode(codec, values, is_signed).size());
          }
          std::string encoded = "prefix";
          const Codec chosen = EncodeIntegersAuto(values, is_signed, &encoded);
          ASSERT_EQ(encoded.substr(0, 6), "prefix") << "Auto appends";
          encoded.erase(0, 6);
          EXPECT_EQ(encoded.size(), smallest);
          EXPECT_EQ(encoded, Encode(chosen, values, is_signed));
          std::vector<uint64_t> decoded;
          ASSERT_TRUE(DecodeIntegers(chosen, encoded, n, &decoded).ok());
          EXPECT_EQ(decoded, values);
        }
      }
    }
  }
}

TEST(IntegerCodecAutoTest, PicksTheCodecThatFitsTheShape) {
  std::string out;
  EXPECT_EQ(EncodeIntegersAuto(Generate(Shape::kSmallRange, 1000, 1), true, &out),
            Codec::kIntFrameOfReference);
  std::vector<uint64_t> counter(1000);
  for (size_t i = 0; i < counter.size(); ++i) counter[i] = 5 * i;
  EXPECT_EQ(EncodeIntegersAuto(counter, false, &out), Codec::kIntDelta);
  std::vector<uint64_t> accelerating(1000);
  for (size_t i = 0; i < accelerating.size(); ++i) accelerating[i] = i * i;
  EXPECT_EQ(EncodeIntegersAuto(accelerating, false, &out), Codec::kIntDeltaOfDelta);
  std::vector<uint64_t> runs(1000, kUint64Max);
  runs.resize(2000, 0);
  EXPECT_EQ(EncodeIntegersAuto(runs, false, &out), Codec::kIntRunLength);
}

TEST(IntegerCodecAutoTest, AConstantFullChunkTakesAFewBytes) {
  std::string out;
  EncodeIntegersAuto(std::vector<uint64_t>(kMaxChunkValues, kInt64Min), true, &out);
  EXPECT_LE(out.size(), 12u);
}

}  // namespace
}  // namespace edgetsdb::compression
