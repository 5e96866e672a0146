#include "compression/block_compression.h"

#include <zstd.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "compression/coding.h"
#include "gtest/gtest.h"

namespace edgetsdb::compression {
namespace {

constexpr BlockCompression kKinds[] = {BlockCompression::kNone, BlockCompression::kLz4,
                                       BlockCompression::kZstd};
constexpr size_t kNoLimit = std::numeric_limits<size_t>::max();

std::string RandomBytes(size_t n, uint64_t seed, int alphabet = 256) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() % alphabet);
  return s;
}

std::string Compress(BlockCompression kind, std::string_view raw, int zstd_level = 3) {
  std::string frame;
  CompressBlock(kind, raw, &frame, zstd_level);
  return frame;
}

class BlockCompressionTest : public testing::TestWithParam<BlockCompression> {};

INSTANTIATE_TEST_SUITE_P(AllKinds, BlockCompressionTest, testing::ValuesIn(kKinds),
                         [](const testing::TestParamInfo<BlockCompression>& info) {
                           switch (info.param) {
                             case BlockCompression::kNone:
                               return "None";
                             case BlockCompression::kLz4:
                               return "Lz4";
                             case BlockCompression::kZstd:
                               return "Zstd";
                           }
                           return "Unknown";
                         });

TEST_P(BlockCompressionTest, BlocksOfEveryShapeRoundTrip) {
  std::vector<std::string> blocks = {"", "x", std::string(1 << 20, '\0')};
  for (uint64_t seed : {1, 2, 3}) {
    for (size_t n : {size_t{1}, size_t{100}, size_t{65536}, size_t{300000}}) {
      blocks.push_back(RandomBytes(n, seed));
      blocks.push_back(RandomBytes(n, seed, /*alphabet=*/4));
    }
  }
  for (const std::string& raw : blocks) {
    const std::string frame = Compress(GetParam(), raw);
    EXPECT_EQ(static_cast<uint8_t>(frame[0]), static_cast<uint8_t>(GetParam()));
    // The limit is inclusive.
    const absl::StatusOr<std::string> decoded = DecompressBlock(frame, raw.size());
    ASSERT_TRUE(decoded.ok()) << decoded.status() << " for " << raw.size() << " bytes";
    EXPECT_EQ(*decoded, raw);
  }
}

TEST_P(BlockCompressionTest, CompressBlockAppendsToItsOutput) {
  std::string out = "existing";
  CompressBlock(GetParam(), "payload", &out);
  ASSERT_EQ(out.substr(0, 8), "existing");
  const absl::StatusOr<std::string> decoded = DecompressBlock(out.substr(8), kNoLimit);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, "payload");
}

TEST_P(BlockCompressionTest, RawLengthAboveTheLimitIsRefused) {
  const std::string raw = RandomBytes(1000, 1);
  EXPECT_EQ(DecompressBlock(Compress(GetParam(), raw), raw.size() - 1).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST_P(BlockCompressionTest, HugeDeclaredRawLengthsAreRefusedBeforeAllocating) {
  // Under no limit at all, the decoder must still not believe a length its payload cannot hold.
  const std::string real = Compress(GetParam(), std::string(1000, 'a'));
  ByteReader reader(real);
  uint8_t kind;
  uint64_t raw_size;
  ASSERT_TRUE(reader.ReadByte(&kind) && reader.ReadVarint64(&raw_size));
  for (uint64_t huge : {uint64_t{1} << 40, uint64_t{1} << 62, ~uint64_t{0}}) {
    std::string frame(1, static_cast<char>(kind));
    PutVarint64(&frame, huge);
    frame.append(reader.Rest());
    EXPECT_EQ(DecompressBlock(frame, kNoLimit).status().code(), absl::StatusCode::kDataLoss)
        << huge;
  }
}

// A damaged frame is refused, or (for damage that leaves a well-formed payload of the declared
// length, such as a flipped literal byte) decodes to that length; it never crashes. The storage
// engine's CRC-32C over the block is what catches the latter.
enum class Outcome { kError, kErrorOrSomeBlock };
struct DamageCase {
  const char* name;
  Outcome outcome;
  std::vector<std::string> (*damage)(const std::string& frame);
};

const DamageCase kDamageCases[] = {
    {"truncated at every length", Outcome::kError,
     [](const std::string& s) {
       std::vector<std::string> out;
       for (size_t len = 0; len < s.size(); ++len) out.push_back(s.substr(0, len));
       return out;
     }},
    {"bytes appended", Outcome::kError,
     [](const std::string& s) {
       return std::vector<std::string>{s + '\0', s + '\xff', s + s};
     }},
    {"each bit flipped", Outcome::kErrorOrSomeBlock,
     [](const std::string& s) {
       std::vector<std::string> out;
       for (size_t bit = 0; bit < 8 * s.size(); ++bit) {
         std::string flipped = s;
         flipped[bit / 8] ^= static_cast<char>(1 << (bit % 8));
         out.push_back(std::move(flipped));
       }
       return out;
     }},
    {"each byte zeroed or saturated", Outcome::kErrorOrSomeBlock,
     [](const std::string& s) {
       std::vector<std::string> out;
       for (size_t i = 0; i < s.size(); ++i) {
         for (char fill : {'\0', '\xff'}) {
           std::string damaged = s;
           damaged[i] = fill;
           out.push_back(std::move(damaged));
         }
       }
       return out;
     }},
};

TEST_P(BlockCompressionTest, DamagedFramesAreRefusedOrDecodeWithinTheLimit) {
  constexpr size_t kLimit = 1 << 16;
  const std::string raw = RandomBytes(2000, 9, /*alphabet=*/8) + std::string(500, 'z');
  const std::string frame = Compress(GetParam(), raw);
  for (const DamageCase& c : kDamageCases) {
    for (const std::string& damaged : c.damage(frame)) {
      const absl::StatusOr<std::string> decoded = DecompressBlock(damaged, kLimit);
      if (decoded.ok()) {
        EXPECT_EQ(c.outcome, Outcome::kErrorOrSomeBlock) << c.name << ": " << damaged.size();
        EXPECT_LE(decoded->size(), kLimit) << c.name;
      } else {
        EXPECT_TRUE(decoded.status().code() == absl::StatusCode::kDataLoss ||
                    decoded.status().code() == absl::StatusCode::kInvalidArgument)
            << c.name << ": " << decoded.status();
      }
    }
  }
}

TEST(BlockCompressionTest, UnknownKindIsDataLoss) {
  EXPECT_EQ(DecompressBlock("\x03\x01x", kNoLimit).status().code(), absl::StatusCode::kDataLoss);
}

TEST(BlockCompressionTest, CompressionShrinksRedundantBlocks) {
  std::mt19937_64 rng(4);
  std::string raw;
  while (raw.size() < 100000) {
    raw += "cpu,host=edge-" + std::to_string(rng() % 8) + " usage=" + std::to_string(rng() % 100) +
           "\n";
  }
  const size_t lz4 = Compress(BlockCompression::kLz4, raw).size();
  const size_t zstd = Compress(BlockCompression::kZstd, raw, 9).size();
  EXPECT_LT(lz4, raw.size() / 2);
  EXPECT_LT(zstd, lz4) << "Zstandard is the cold-data codec: it must beat LZ4 on size";
}

TEST(BlockCompressionTest, ZstdFramesWithoutAContentSizeDecode) {
  // Streaming Zstandard encoders may omit the content size; the raw length then bounds the output.
  const std::string raw = RandomBytes(5000, 3, /*alphabet=*/16);
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ASSERT_FALSE(ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0)));
  std::string payload(ZSTD_compressBound(raw.size()), '\0');
  const size_t written =
      ZSTD_compress2(cctx, payload.data(), payload.size(), raw.data(), raw.size());
  ZSTD_freeCCtx(cctx);
  ASSERT_FALSE(ZSTD_isError(written));
  payload.resize(written);
  ASSERT_EQ(ZSTD_getFrameContentSize(payload.data(), payload.size()), ZSTD_CONTENTSIZE_UNKNOWN);

  std::string frame(1, static_cast<char>(BlockCompression::kZstd));
  PutVarint64(&frame, raw.size());
  const absl::StatusOr<std::string> decoded = DecompressBlock(frame + payload, kNoLimit);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, raw);

  // Claiming more or less than the frame holds is refused.
  for (size_t claimed : {raw.size() - 1, raw.size() + 1}) {
    std::string lying(1, static_cast<char>(BlockCompression::kZstd));
    PutVarint64(&lying, claimed);
    EXPECT_EQ(DecompressBlock(lying + payload, kNoLimit).status().code(),
              absl::StatusCode::kDataLoss)
        << claimed;
  }
}

}  // namespace
}  // namespace edgetsdb::compression
