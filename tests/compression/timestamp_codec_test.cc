#include "compression/timestamp_codec.h"

#include <limits>
#include <random>
#include <string>
#include <vector>

#include "compression/codec.h"
#include "gtest/gtest.h"

namespace edgetsdb::compression {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kStart = 1'764'000'000 * kSecond;  // Late 2025.

std::string RoundTrip(const std::vector<int64_t>& ts) {
  std::string encoded;
  EncodeTimestamps(ts, &encoded);
  std::vector<int64_t> decoded;
  const absl::Status status = DecodeTimestamps(encoded, ts.size(), &decoded);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(decoded, ts);
  return encoded;
}

TEST(TimestampCodecTest, AdversarialSequencesRoundTrip) {
  const std::vector<std::vector<int64_t>> cases = {
      {0},
      {kMin},
      {kMax},
      {kMin, kMax, kMin, kMax},
      {kMax, kMin, 0, -1, 1},
      {5, 5, 5, 5},                                   // Equal.
      {100, 90, 80, 85, -1000},                       // Decreasing and irregular.
      {0, 1, 3, 6, 10, 9, 9, 10},                     // dod of 0, +-1.
      {0, int64_t{1} << 31, 0, -(int64_t{1} << 31)},  // Around +-2^31.
      {0, (int64_t{1} << 31) - 1, (int64_t{1} << 32)},
      {kStart, kStart + kSecond, kStart + 2 * kSecond + 1, kMax},
      {kMin, kMin + 1, kMax - 1, kMax},
  };
  for (const auto& ts : cases) RoundTrip(ts);
}

TEST(TimestampCodecTest, SeededRandomSequencesRoundTrip) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 200; ++round) {
    const size_t n = 1 + rng() % 2000;
    std::vector<int64_t> ts(n);
    // Steps wrap modulo 2^64 (in unsigned arithmetic), as the codec's do.
    uint64_t t = rng();
    const uint64_t step = rng() % 4 == 0 ? rng() : rng() % 100000;
    for (size_t i = 0; i < n; ++i) {
      switch (round % 4) {
        case 0:
          t = rng();
          break;
        case 1:
          t += step;
          break;
        case 2:
          t += step + rng() % 1000 - 500;
          break;
        default:
          t += rng() % 3 * 1000;
      }
      ts[i] = static_cast<int64_t>(t);
    }
    RoundTrip(ts);
  }
}

TEST(TimestampCodecTest, RegularSecondsCostUnderOneBitEach) {
  std::vector<int64_t> ts;
  for (int i = 0; i < 1024; ++i) ts.push_back(kStart + i * 10 * kSecond);
  const std::string encoded = RoundTrip(ts);
  EXPECT_LE(encoded.size() * 8, ts.size() * 11 / 10);
}

TEST(TimestampCodecTest, RegularSeriesWithRareGapsCostLittleMoreThanOneBitEach) {
  std::vector<int64_t> ts;
  int64_t t = kStart;
  for (int i = 0; i < 1024; ++i) {
    t += (i % 200 == 199) ? 5 * kSecond : kSecond;  // A missed reading now and then.
    ts.push_back(t);
  }
  const std::string encoded = RoundTrip(ts);
  EXPECT_LE(encoded.size() * 8, ts.size() * 12 / 10);
}

TEST(TimestampCodecTest, MillisecondJitterIsPricedInMilliseconds) {
  std::mt19937_64 rng(1);
  std::vector<int64_t> ts;
  for (int i = 0; i < 1024; ++i) {
    const int64_t jitter_ms = static_cast<int64_t>(rng() % 201) - 100;
    ts.push_back(kStart + i * 10 * kSecond + jitter_ms * 1'000'000);
  }
  const std::string encoded = RoundTrip(ts);
  // Deltas span 400 ms: 9 bits each when bit-packed. Delta-of-deltas span 800 ms and would cost
  // 12 to 16 bits in their buckets.
  EXPECT_LE(encoded.size() * 8, ts.size() * 19 / 2);
}

TEST(TimestampCodecTest, DamageIsReportedNotCrashed) {
  std::vector<int64_t> ts;
  std::mt19937_64 rng(9);
  for (int i = 0; i < 300; ++i)
    ts.push_back(kStart + i * kSecond + static_cast<int64_t>(rng() % 7));
  std::string encoded;
  EncodeTimestamps(ts, &encoded);
  std::vector<int64_t> out;
  for (size_t len = 0; len < encoded.size(); ++len) {
    EXPECT_FALSE(DecodeTimestamps(encoded.substr(0, len), ts.size(), &out).ok()) << len;
  }
  EXPECT_FALSE(DecodeTimestamps(encoded + "z", ts.size(), &out).ok());
  EXPECT_FALSE(DecodeTimestamps(encoded, 0, &out).ok());
  EXPECT_FALSE(DecodeTimestamps(encoded, kMaxChunkValues + 1, &out).ok());
  for (int trial = 0; trial < 2000; ++trial) {
    std::string damaged = encoded;
    damaged[rng() % damaged.size()] ^= static_cast<char>(1 + rng() % 255);
    (void)DecodeTimestamps(damaged, ts.size(), &out);
  }
}

TEST(TimestampCodecTest, AbsurdScaleIsRejected) {
  std::string encoded;
  EncodeTimestamps({0, 1000, 2000, 3001}, &encoded);
  std::vector<int64_t> out;
  ASSERT_TRUE(DecodeTimestamps(encoded, 4, &out).ok());
  std::string damaged = encoded;
  damaged[9] = 60;  // Scale exponent 10^60.
  EXPECT_FALSE(DecodeTimestamps(damaged, 4, &out).ok());
}

}  // namespace
}  // namespace edgetsdb::compression
