#include "compression/bool_codec.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "compression/codec.h"
#include "gtest/gtest.h"
#include "tests/compression/damage_cases.h"

namespace edgetsdb::compression {
namespace {

constexpr Codec kBoolCodecs[] = {Codec::kBoolBitmap, Codec::kBoolRunLength};

enum class Shape { kCoinFlips, kRareTrue, kLongRuns, kAlternating, kAllTrue, kAllFalse };
constexpr Shape kShapes[] = {Shape::kCoinFlips,   Shape::kRareTrue, Shape::kLongRuns,
                             Shape::kAlternating, Shape::kAllTrue,  Shape::kAllFalse};
constexpr size_t kSizes[] = {1, 2, 7, 8, 9, 63, 64, 65, 1000, 4097};
constexpr uint64_t kSeeds[] = {1, 2, 3};

std::vector<uint8_t> Generate(Shape shape, size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> values(n);
  uint8_t current = rng() % 2;
  for (size_t i = 0; i < n; ++i) {
    switch (shape) {
      case Shape::kCoinFlips:
        current = rng() % 2;
        break;
      case Shape::kRareTrue:
        current = rng() % 100 == 0;
        break;
      case Shape::kLongRuns:
        if (rng() % 300 == 0) current ^= 1;
        break;
      case Shape::kAlternating:
        current = i % 2;
        break;
      case Shape::kAllTrue:
        current = 1;
        break;
      case Shape::kAllFalse:
        current = 0;
        break;
    }
    values[i] = current;
  }
  return values;
}

std::string Encode(Codec codec, const std::vector<uint8_t>& values) {
  std::string encoded;
  EncodeBools(codec, values, &encoded);
  return encoded;
}

void ExpectRoundTrip(Codec codec, const std::vector<uint8_t>& values) {
  const std::string encoded = Encode(codec, values);
  std::vector<uint8_t> decoded;
  const absl::Status status = DecodeBools(codec, encoded, values.size(), &decoded);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(decoded, values);
}

class BoolCodecTest : public testing::TestWithParam<Codec> {};

INSTANTIATE_TEST_SUITE_P(AllCodecs, BoolCodecTest, testing::ValuesIn(kBoolCodecs),
                         [](const testing::TestParamInfo<Codec>& info) {
                           return info.param == Codec::kBoolBitmap ? "Bitmap" : "RunLength";
                         });

TEST_P(BoolCodecTest, RandomColumnsOfEveryShapeAndSizeRoundTrip) {
  for (uint64_t seed : kSeeds) {
    for (Shape shape : kShapes) {
      for (size_t n : kSizes) {
        SCOPED_TRACE(testing::Message()
                     << "seed " << seed << " shape " << static_cast<int>(shape) << " n " << n);
        ExpectRoundTrip(GetParam(), Generate(shape, n, seed));
      }
    }
  }
}

TEST_P(BoolCodecTest, FullChunksRoundTrip) {
  for (Shape shape : kShapes) {
    SCOPED_TRACE(static_cast<int>(shape));
    ExpectRoundTrip(GetParam(), Generate(shape, kMaxChunkValues, 7));
  }
}

TEST_P(BoolCodecTest, NonzeroBytesEncodeAsTrue) {
  std::vector<uint8_t> decoded;
  ASSERT_TRUE(DecodeBools(GetParam(), Encode(GetParam(), {0, 2, 255, 0}), 4, &decoded).ok());
  EXPECT_EQ(decoded, (std::vector<uint8_t>{0, 1, 1, 0}));
}

TEST_P(BoolCodecTest, ZeroValuesEncodeToNothing) {
  EXPECT_EQ(Encode(GetParam(), {}), "");
  std::vector<uint8_t> decoded = {1};
  EXPECT_TRUE(DecodeBools(GetParam(), "", 0, &decoded).ok());
  EXPECT_TRUE(decoded.empty());
  EXPECT_FALSE(DecodeBools(GetParam(), "x", 0, &decoded).ok());
}

TEST_P(BoolCodecTest, CountAboveTheChunkLimitIsInvalidArgument) {
  std::vector<uint8_t> decoded;
  EXPECT_EQ(DecodeBools(GetParam(), Encode(GetParam(), {1}), kMaxChunkValues + 1, &decoded).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(BoolCodecTest, DamagedStreamsAreRefusedOrDecodeToCountValues) {
  // 1001 values: not a multiple of 8, so the bitmap has padding bits to damage.
  constexpr size_t kCount = 1001;
  for (Shape shape : {Shape::kCoinFlips, Shape::kLongRuns}) {
    const std::string stream = Encode(GetParam(), Generate(shape, kCount, 11));
    // 0x01 is a whole run of one value: appended, it spells a value past kCount.
    test::ExpectDamageRefusedOrCountValues(DecodeBools, GetParam(), stream, kCount, '\x01',
                                           [](const std::vector<uint8_t>& decoded) {
                                             for (uint8_t b : decoded) ASSERT_LE(b, 1);
                                           });
  }
}

TEST(BoolCodecTest, CodecsOfOtherTypesAreInvalidArgument) {
  std::vector<uint8_t> decoded;
  for (Codec codec : {Codec::kNone, Codec::kIntRunLength, Codec::kStringLz4}) {
    EXPECT_EQ(DecodeBools(codec, "\x01", 1, &decoded).code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(BoolCodecTest, BitmapPaddingBitsMustBeClear) {
  std::vector<uint8_t> decoded;
  EXPECT_TRUE(DecodeBools(Codec::kBoolBitmap, "\x05", 3, &decoded).ok());
  EXPECT_EQ(decoded, (std::vector<uint8_t>{1, 0, 1}));
  EXPECT_EQ(DecodeBools(Codec::kBoolBitmap, "\x0d", 3, &decoded).code(),
            absl::StatusCode::kDataLoss);
}

TEST(BoolCodecTest, RunLengthFirstValueMustBeZeroOrOne) {
  std::vector<uint8_t> decoded;
  EXPECT_TRUE(DecodeBools(Codec::kBoolRunLength, "\x01\x02\x01", 3, &decoded).ok());
  EXPECT_EQ(decoded, (std::vector<uint8_t>{1, 1, 0}));
  EXPECT_EQ(DecodeBools(Codec::kBoolRunLength, "\x02\x03", 3, &decoded).code(),
            absl::StatusCode::kDataLoss);
}

TEST(BoolCodecTest, RunsMustBeNonEmptyAndFitTheCount) {
  std::vector<uint8_t> decoded;
  EXPECT_FALSE(
      DecodeBools(Codec::kBoolRunLength, std::string("\x00\x01\x00\x01", 4), 2, &decoded).ok());
  EXPECT_FALSE(DecodeBools(Codec::kBoolRunLength, std::string("\x00\x03", 2), 2, &decoded).ok());
  EXPECT_FALSE(DecodeBools(Codec::kBoolRunLength,
                           std::string("\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11), 2,
                           &decoded)
                   .ok());
}

TEST(BoolCodecAutoTest, PicksTheSmallerCodecAndRoundTrips) {
  for (uint64_t seed : kSeeds) {
    for (Shape shape : kShapes) {
      for (size_t n : kSizes) {
        SCOPED_TRACE(testing::Message()
                     << "seed " << seed << " shape " << static_cast<int>(shape) << " n " << n);
        const std::vector<uint8_t> values = Generate(shape, n, seed);
        const size_t smallest = std::min(Encode(Codec::kBoolBitmap, values).size(),
                                         Encode(Codec::kBoolRunLength, values).size());
        std::string encoded;
        const Codec chosen = EncodeBoolsAuto(values, &encoded);
        EXPECT_EQ(encoded.size(), smallest);
        EXPECT_EQ(encoded, Encode(chosen, values));
        std::vector<uint8_t> decoded;
        ASSERT_TRUE(DecodeBools(chosen, encoded, n, &decoded).ok());
        EXPECT_EQ(decoded, values);
      }
    }
  }
}

TEST(BoolCodecAutoTest, RunsPickRunLengthAndNoisePicksTheBitmap) {
  std::string out;
  EXPECT_EQ(EncodeBoolsAuto(Generate(Shape::kAllTrue, kMaxChunkValues, 1), &out),
            Codec::kBoolRunLength);
  EXPECT_EQ(out, "\x01\x80\x80\x04") << "true, then one run of 65536";
  EXPECT_EQ(EncodeBoolsAuto(Generate(Shape::kCoinFlips, 1000, 1), &out), Codec::kBoolBitmap);
  EXPECT_EQ(EncodeBoolsAuto(Generate(Shape::kAlternating, 1000, 1), &out), Codec::kBoolBitmap);
}

}  // namespace
}  // namespace edgetsdb::compression
