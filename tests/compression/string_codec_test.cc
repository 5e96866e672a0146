#include "compression/string_codec.h"

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "compression/codec.h"
#include "compression/coding.h"
#include "gtest/gtest.h"
#include "tests/compression/damage_cases.h"

namespace edgetsdb::compression {
namespace {

constexpr Codec kStringCodecs[] = {Codec::kStringDictionary, Codec::kStringLz4};

enum class Shape {
  kEnumLike,     // A handful of status words.
  kUniqueBytes,  // Random bytes of random length, NUL and high bytes included.
  kLogLines,     // Shared prefix, varying suffix.
  kEmpty,        // Every value "".
  kMixedEmpty,   // Empty and non-empty values.
};
constexpr Shape kShapes[] = {Shape::kEnumLike, Shape::kUniqueBytes, Shape::kLogLines, Shape::kEmpty,
                             Shape::kMixedEmpty};
constexpr size_t kSizes[] = {1, 2, 3, 63, 64, 65, 1000};
constexpr uint64_t kSeeds[] = {1, 2, 3};

std::string RandomBytes(std::mt19937_64& rng, size_t max_length) {
  std::string s(rng() % (max_length + 1), '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

std::vector<std::string> Generate(Shape shape, size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  static const char* const kWords[] = {"ok", "warning", "critical", "unknown", "maintenance"};
  std::vector<std::string> values(n);
  for (std::string& value : values) {
    switch (shape) {
      case Shape::kEnumLike:
        value = kWords[rng() % std::size(kWords)];
        break;
      case Shape::kUniqueBytes:
        value = RandomBytes(rng, 40);
        break;
      case Shape::kLogLines:
        value = "GET /api/v1/sensors/" + std::to_string(rng() % 100000) + " 200";
        break;
      case Shape::kEmpty:
        break;
      case Shape::kMixedEmpty:
        if (rng() % 2 == 0) value = RandomBytes(rng, 3);
        break;
    }
  }
  return values;
}

std::string Encode(Codec codec, const std::vector<std::string>& values) {
  std::string encoded;
  EncodeStrings(codec, values, &encoded);
  return encoded;
}

void ExpectRoundTrip(Codec codec, const std::vector<std::string>& values) {
  const std::string encoded = Encode(codec, values);
  std::vector<std::string> decoded;
  const absl::Status status = DecodeStrings(codec, encoded, values.size(), &decoded);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(decoded, values);
}

class StringCodecTest : public testing::TestWithParam<Codec> {};

INSTANTIATE_TEST_SUITE_P(AllCodecs, StringCodecTest, testing::ValuesIn(kStringCodecs),
                         [](const testing::TestParamInfo<Codec>& info) {
                           return info.param == Codec::kStringDictionary ? "Dictionary" : "Lz4";
                         });

TEST_P(StringCodecTest, RandomColumnsOfEveryShapeAndSizeRoundTrip) {
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

TEST_P(StringCodecTest, FullChunksRoundTrip) {
  for (Shape shape : kShapes) {
    SCOPED_TRACE(static_cast<int>(shape));
    ExpectRoundTrip(GetParam(), Generate(shape, kMaxChunkValues, 7));
  }
}

TEST_P(StringCodecTest, ValuesTotallingExactlyTheLimitRoundTrip) {
  std::mt19937_64 rng(5);
  std::string big(kMaxStringChunkBytes - 10, '\0');
  for (char& c : big) c = static_cast<char>(rng() % 16);  // Some redundancy, not all.
  ExpectRoundTrip(GetParam(), {big, "0123456789"});
}

TEST_P(StringCodecTest, ValuesTotallingMoreThanTheLimitAreRefused) {
  // Encoders trust their caller; decoders enforce the limit.
  const std::vector<std::string> values = {std::string(kMaxStringChunkBytes / 2 + 1, 'a'),
                                           std::string(kMaxStringChunkBytes / 2 + 1, 'b')};
  std::vector<std::string> decoded;
  EXPECT_EQ(DecodeStrings(GetParam(), Encode(GetParam(), values), 2, &decoded).code(),
            absl::StatusCode::kDataLoss);
}

TEST_P(StringCodecTest, ZeroValuesEncodeToNothing) {
  EXPECT_EQ(Encode(GetParam(), {}), "");
  std::vector<std::string> decoded = {"stale"};
  EXPECT_TRUE(DecodeStrings(GetParam(), "", 0, &decoded).ok());
  EXPECT_TRUE(decoded.empty());
  EXPECT_FALSE(DecodeStrings(GetParam(), "x", 0, &decoded).ok());
}

TEST_P(StringCodecTest, CountAboveTheChunkLimitIsInvalidArgument) {
  std::vector<std::string> decoded;
  EXPECT_EQ(
      DecodeStrings(GetParam(), Encode(GetParam(), {"a"}), kMaxChunkValues + 1, &decoded).code(),
      absl::StatusCode::kInvalidArgument);
}

TEST_P(StringCodecTest, DamagedStreamsAreRefusedOrDecodeToCountValues) {
  constexpr size_t kCount = 60;
  for (Shape shape : {Shape::kEnumLike, Shape::kLogLines, Shape::kMixedEmpty}) {
    const std::string stream = Encode(GetParam(), Generate(shape, kCount, 11));
    test::ExpectDamageRefusedOrCountValues(DecodeStrings, GetParam(), stream, kCount, '\xff');
  }
}

TEST(StringCodecTest, CodecsOfOtherTypesAreInvalidArgument) {
  std::vector<std::string> decoded;
  for (Codec codec : {Codec::kNone, Codec::kIntRunLength, Codec::kBoolBitmap}) {
    EXPECT_EQ(DecodeStrings(codec, "\x01\x00", 1, &decoded).code(),
              absl::StatusCode::kInvalidArgument);
  }
}

TEST(StringCodecTest, DictionaryEntriesAreLaidOutInOrderOfFirstAppearance) {
  // 2 entries, "b" and "a"; indices 0,1,0 at width 1 = 0b010.
  EXPECT_EQ(Encode(Codec::kStringDictionary, {"b", "a", "b"}), std::string("\x02\x01"
                                                                           "b\x01"
                                                                           "a\x02",
                                                                           6));
}

TEST(StringCodecTest, DictionaryThatWouldExpandPastTheLimitIsRefusedBeforeAllocating) {
  // One 1 MiB entry referenced by every value of a full chunk: 64 GiB if it were materialized.
  // With one entry the index width is 0, so the stream ends after the entry.
  const size_t entry_size = size_t{1} << 20;
  std::string stream;
  PutVarint64(&stream, 1);
  PutVarint64(&stream, entry_size);
  stream.append(entry_size, 'x');
  std::vector<std::string> decoded;
  EXPECT_EQ(DecodeStrings(Codec::kStringDictionary, stream, kMaxChunkValues, &decoded).code(),
            absl::StatusCode::kDataLoss);
}

TEST(StringCodecTest, DictionaryIndicesMustNameAnEntry) {
  // 3 entries (width 2) and indices 0, 3: entry 3 does not exist.
  const std::string stream("\x03\x01x\x01y\x01z\x0c", 8);
  std::vector<std::string> decoded;
  EXPECT_EQ(DecodeStrings(Codec::kStringDictionary, stream, 2, &decoded).code(),
            absl::StatusCode::kDataLoss);
}

TEST(StringCodecTest, DictionaryEntryCountMustBeBetweenOneAndCount) {
  std::vector<std::string> decoded;
  EXPECT_FALSE(DecodeStrings(Codec::kStringDictionary, std::string("\x00", 1), 1, &decoded).ok());
  EXPECT_FALSE(DecodeStrings(Codec::kStringDictionary, "\x02\x01x\x01y", 1, &decoded).ok());
}

TEST(StringCodecTest, Lz4RawLengthsBeyondTheLimitAreRefusedBeforeAllocating) {
  std::vector<std::string> decoded;
  for (uint64_t raw_length : {uint64_t{kMaxStringChunkBytes} * 2, uint64_t{1} << 62,
                              std::numeric_limits<uint64_t>::max()}) {
    std::string stream;
    PutVarint64(&stream, raw_length);
    stream.append(1 << 20, '\0');  // Compressed bytes that could never expand that far.
    EXPECT_EQ(DecodeStrings(Codec::kStringLz4, stream, 1, &decoded).code(),
              absl::StatusCode::kDataLoss)
        << raw_length;
  }
  // Within the limit but beyond what 3 compressed bytes can hold.
  std::string stream;
  PutVarint64(&stream, 1 << 20);
  stream.append("\x1f\x00\x00", 3);
  EXPECT_EQ(DecodeStrings(Codec::kStringLz4, stream, 1, &decoded).code(),
            absl::StatusCode::kDataLoss);
}

TEST(StringCodecAutoTest, PicksTheSmallerCodecAndRoundTrips) {
  for (uint64_t seed : kSeeds) {
    for (Shape shape : kShapes) {
      for (size_t n : kSizes) {
        SCOPED_TRACE(testing::Message()
                     << "seed " << seed << " shape " << static_cast<int>(shape) << " n " << n);
        const std::vector<std::string> values = Generate(shape, n, seed);
        const size_t smallest = std::min(Encode(Codec::kStringDictionary, values).size(),
                                         Encode(Codec::kStringLz4, values).size());
        std::string encoded;
        const Codec chosen = EncodeStringsAuto(values, &encoded);
        EXPECT_EQ(encoded.size(), smallest);
        EXPECT_EQ(encoded, Encode(chosen, values));
        std::vector<std::string> decoded;
        ASSERT_TRUE(DecodeStrings(chosen, encoded, n, &decoded).ok());
        EXPECT_EQ(decoded, values);
      }
    }
  }
}

TEST(StringCodecAutoTest, RepeatedWordsPickTheDictionaryAndUniqueBytesPickLz4) {
  std::string out;
  EXPECT_EQ(EncodeStringsAuto(Generate(Shape::kEnumLike, 1000, 1), &out), Codec::kStringDictionary);
  EXPECT_EQ(EncodeStringsAuto(Generate(Shape::kUniqueBytes, 1000, 1), &out), Codec::kStringLz4);
}

}  // namespace
}  // namespace edgetsdb::compression
