#include "compression/float_codec.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "compression/coding.h"
#include "gtest/gtest.h"

namespace edgetsdb::compression {
namespace {

constexpr Codec kCodecs[] = {Codec::kFloatGorilla, Codec::kFloatChimp128, Codec::kFloatDecimal};

// Compares bits, so that NaN payloads and -0.0 count.
void ExpectBitExact(const std::vector<double>& want, const std::vector<double>& got,
                    const std::string& context) {
  ASSERT_EQ(want.size(), got.size()) << context;
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(DoubleBits(want[i]), DoubleBits(got[i]))
        << context << " at " << i << ": " << want[i] << " vs " << got[i];
  }
}

void ExpectRoundTrip(const std::vector<double>& values, const std::string& name) {
  for (Codec codec : kCodecs) {
    std::string encoded;
    EncodeFloats(codec, values, &encoded);
    std::vector<double> decoded;
    ASSERT_TRUE(DecodeFloats(codec, encoded, values.size(), &decoded).ok())
        << name << " " << CodecName(codec);
    ExpectBitExact(values, decoded, name + " " + std::string(CodecName(codec)));
  }
  std::string encoded;
  const Codec chosen = EncodeFloatsAuto(values, &encoded);
  std::vector<double> decoded;
  ASSERT_TRUE(DecodeFloats(chosen, encoded, values.size(), &decoded).ok()) << name << " auto";
  ExpectBitExact(values, decoded, name + " auto");
}

double NaNWithPayload(uint64_t payload) {
  return BitsDouble(0x7ff0000000000000ull | (payload & 0x000fffffffffffffull) | 1);
}

std::vector<double> SpecialValues() {
  return {0.0,
          -0.0,
          std::numeric_limits<double>::infinity(),
          -std::numeric_limits<double>::infinity(),
          std::numeric_limits<double>::quiet_NaN(),
          NaNWithPayload(0xdeadbeef),
          -std::numeric_limits<double>::quiet_NaN(),
          std::numeric_limits<double>::denorm_min(),
          -std::numeric_limits<double>::denorm_min(),
          std::numeric_limits<double>::min() / 3,
          std::numeric_limits<double>::max(),
          std::numeric_limits<double>::lowest(),
          std::numeric_limits<double>::epsilon(),
          1e300,
          -1e-300,
          0.1,
          0.30000000000000004,
          2251799813685248.0,  // 2^51, just outside the decimal codec's integer range.
          9007199254740993.0};
}

TEST(FloatCodecTest, SingleValueRoundTrips) {
  for (double v : SpecialValues()) ExpectRoundTrip({v}, "single");
}

TEST(FloatCodecTest, SpecialValuesRoundTripBitExact) {
  ExpectRoundTrip(SpecialValues(), "specials");
  std::vector<double> repeated;
  for (int k = 0; k < 50; ++k) {
    for (double v : SpecialValues()) repeated.push_back(v);
  }
  ExpectRoundTrip(repeated, "specials repeated");
}

TEST(FloatCodecTest, DecimalsThatDoublesCannotRepresentRoundTrip) {
  std::vector<double> values;
  for (int i = 0; i < 2000; ++i) values.push_back(i * 0.1 - 37.7);  // Accumulated binary error.
  ExpectRoundTrip(values, "tenths");
  values.clear();
  for (int i = 0; i < 2000; ++i) values.push_back(std::stod(std::to_string(i) + ".123"));
  ExpectRoundTrip(values, "parsed thousandths");
}

TEST(FloatCodecTest, SeededRandomInputsRoundTrip) {
  std::mt19937_64 rng(20261127);
  for (int round = 0; round < 40; ++round) {
    const size_t n = 1 + rng() % 3000;
    std::vector<double> values(n);
    const int kind = round % 5;
    double walk = 20.0;
    for (size_t i = 0; i < n; ++i) {
      switch (kind) {
        case 0:  // Arbitrary bit patterns, NaNs and all.
          values[i] = BitsDouble(rng());
          break;
        case 1:  // A random walk with two decimals, as sensors report.
          walk += static_cast<double>(static_cast<int>(rng() % 21) - 10) / 100;
          values[i] = std::round(walk * 100) / 100;
          break;
        case 2:  // Full-precision noise.
          values[i] = std::uniform_real_distribution<double>(-1, 1)(rng);
          break;
        case 3:  // A few levels that recur.
          values[i] = static_cast<double>(rng() % 4) * 1.25;
          break;
        default:  // Mixed: decimals with occasional specials.
          values[i] = rng() % 17 == 0 ? SpecialValues()[rng() % SpecialValues().size()]
                                      : static_cast<double>(rng() % 100000) / 1000;
      }
    }
    ExpectRoundTrip(values, "random kind " + std::to_string(kind));
  }
}

TEST(FloatCodecTest, MaximumSizeChunkRoundTrips) {
  std::vector<double> values(kMaxChunkValues);
  std::mt19937_64 rng(7);
  for (double& v : values) v = static_cast<double>(rng() % 1000000) / 100;
  ExpectRoundTrip(values, "max chunk");
}

TEST(FloatCodecTest, DecimalCodecBeatsGorillaOnDecimalData) {
  std::vector<double> values;
  std::mt19937_64 rng(11);
  double walk = 500;
  for (int i = 0; i < 1024; ++i) {
    walk += static_cast<double>(static_cast<int>(rng() % 201) - 100) / 100;
    values.push_back(std::round(walk * 100) / 100);
  }
  std::string gorilla, decimal, chosen;
  EncodeFloats(Codec::kFloatGorilla, values, &gorilla);
  EncodeFloats(Codec::kFloatDecimal, values, &decimal);
  EXPECT_LT(decimal.size() * 3, gorilla.size());
  EXPECT_EQ(EncodeFloatsAuto(values, &chosen), Codec::kFloatDecimal);
}

TEST(FloatCodecTest, ConstantSeriesCostsAlmostNothing) {
  const std::vector<double> values(1024, 21.5);
  std::string encoded;
  EncodeFloatsAuto(values, &encoded);
  EXPECT_LE(encoded.size(), 16u);
}

TEST(FloatCodecTest, GorillaMatchesThePublishedLayout) {
  // 12.0 then 12.0 then 24.0: 64 raw bits, '0', then a '11' control with 11 leading zeros
  // (12.0 ^ 24.0 = 0x0010000000000000), length 1, and the single meaningful bit.
  std::string encoded;
  EncodeFloats(Codec::kFloatGorilla, {12.0, 12.0, 24.0}, &encoded);
  const uint64_t first = DoubleBits(12.0);
  std::string expected;
  for (int i = 7; i >= 0; --i) expected.push_back(static_cast<char>(first >> (8 * i)));
  // Bits after the first value: 0 11 01011 000001 1 -> 0110 1011 0000 0110 (padded).
  expected.push_back(static_cast<char>(0b01101011));
  expected.push_back(static_cast<char>(0b00000110));
  EXPECT_EQ(encoded, expected);
}

TEST(FloatCodecTest, CountOutsideLimitsIsRejected) {
  std::vector<double> out;
  EXPECT_FALSE(DecodeFloats(Codec::kFloatGorilla, "", 0, &out).ok());
  EXPECT_FALSE(DecodeFloats(Codec::kFloatDecimal, "", kMaxChunkValues + 1, &out).ok());
  EXPECT_FALSE(DecodeFloats(Codec::kIntDelta, "12345678", 1, &out).ok());
}

TEST(FloatCodecTest, TruncatedStreamsFailAtEveryLength) {
  std::vector<double> values;
  for (int i = 0; i < 300; ++i) values.push_back(i % 7 == 0 ? 1.0 / (i + 1) : i * 0.25);
  for (Codec codec : kCodecs) {
    std::string encoded;
    EncodeFloats(codec, values, &encoded);
    for (size_t len = 0; len < encoded.size(); ++len) {
      std::vector<double> out;
      EXPECT_FALSE(DecodeFloats(codec, encoded.substr(0, len), values.size(), &out).ok())
          << CodecName(codec) << " truncated to " << len;
    }
    std::vector<double> out;
    EXPECT_FALSE(DecodeFloats(codec, encoded + "x", values.size(), &out).ok())
        << CodecName(codec) << " with a trailing byte";
    // Bit streams end in up to 7 padding bits, which may read as a few more values; the chunk's
    // checksummed count is what pins the count down. Eight more values cannot hide there.
    EXPECT_FALSE(DecodeFloats(codec, encoded, values.size() + 8, &out).ok())
        << CodecName(codec) << " with a count too large";
  }
}

TEST(FloatCodecTest, CorruptedStreamsNeverCrash) {
  std::vector<double> values;
  for (int i = 0; i < 500; ++i) values.push_back(std::sin(i) * 100);
  std::mt19937_64 rng(3);
  for (Codec codec : kCodecs) {
    std::string encoded;
    EncodeFloats(codec, values, &encoded);
    for (int trial = 0; trial < 2000; ++trial) {
      std::string damaged = encoded;
      damaged[rng() % damaged.size()] ^= static_cast<char>(1 + rng() % 255);
      std::vector<double> out;
      // Either an error or some values; the sanitizer build checks that nothing else happens.
      (void)DecodeFloats(codec, damaged, values.size(), &out);
    }
  }
}

}  // namespace
}  // namespace edgetsdb::compression
