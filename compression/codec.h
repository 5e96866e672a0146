// Identifiers shared by every codec and by the chunk format (docs/format/chunk.md). The numeric
// values are stored on disk: never renumber, only add.
#ifndef EDGETSDB_COMPRESSION_CODEC_H_
#define EDGETSDB_COMPRESSION_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace edgetsdb::compression {

// The largest number of values one chunk (and so one codec call) holds. Decoders refuse larger
// counts, which bounds what a corrupt header can make them allocate.
inline constexpr size_t kMaxChunkValues = size_t{1} << 16;

// The largest decoded size of a string chunk's values, for the same reason.
inline constexpr size_t kMaxStringChunkBytes = size_t{16} << 20;

enum class ValueType : uint8_t {
  kFloat = 1,  // IEEE 754 double
  kInt = 2,    // int64
  kUint = 3,   // uint64
  kBool = 4,
  kString = 5,
};

enum class Codec : uint8_t {
  kNone = 0,  // No stream (for example, a chunk without its own timestamps).

  kTimestampDeltaOfDelta = 1,

  kFloatGorilla = 16,   // Gorilla XOR exactly as published (VLDB 2015).
  kFloatChimp128 = 17,  // XOR against the best of the last 128 values (Chimp, VLDB 2022).
  kFloatDecimal = 18,   // Decimal scaling to integers, then frame of reference or delta (ALP-like).

  kIntFrameOfReference = 32,  // value - min, bit-packed.
  kIntDelta = 33,             // zigzag(delta) - min, bit-packed.
  kIntDeltaOfDelta = 34,      // zigzag(delta of delta) - min, bit-packed.
  kIntRunLength = 35,         // (value, run length) pairs.

  kBoolBitmap = 48,
  kBoolRunLength = 49,

  kStringDictionary = 64,
  kStringLz4 = 65,
};

std::string_view CodecName(Codec codec);
std::string_view ValueTypeName(ValueType type);

}  // namespace edgetsdb::compression

#endif  // EDGETSDB_COMPRESSION_CODEC_H_
