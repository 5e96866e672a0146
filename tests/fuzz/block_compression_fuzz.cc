// Fuzzes DecompressBlock with arbitrary frames, and checks that whatever it accepts, and whatever
// bytes the input holds, survive a round trip through every compressor.
//
// Input: byte 0 sets max_raw_bytes to 2^(byte % 21) (up to 1 MiB, to keep iterations cheap);
// byte 1 the Zstandard level for re-compression (1..3); the rest is the frame.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "compression/block_compression.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

namespace c = edgetsdb::compression;
using edgetsdb::fuzz::Check;

constexpr size_t kHeaderBytes = 2;
constexpr int kMaxLimitLog2 = 20;
constexpr int kMaxFuzzZstdLevel = 3;
constexpr c::BlockCompression kKinds[] = {c::BlockCompression::kNone, c::BlockCompression::kLz4,
                                          c::BlockCompression::kZstd};

void CheckAllRoundTrips(std::string_view raw, int zstd_level) {
  for (c::BlockCompression kind : kKinds) {
    std::string frame;
    c::CompressBlock(kind, raw, &frame, zstd_level);
    const absl::StatusOr<std::string> decoded = c::DecompressBlock(frame, raw.size());
    Check(decoded.ok() && *decoded == raw);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kHeaderBytes) return 0;
  const size_t max_raw_bytes = size_t{1} << (data[0] % (kMaxLimitLog2 + 1));
  const int zstd_level = 1 + data[1] % kMaxFuzzZstdLevel;
  const std::string_view frame = edgetsdb::fuzz::AsBytes(data, size).substr(kHeaderBytes);

  const absl::StatusOr<std::string> decoded = c::DecompressBlock(frame, max_raw_bytes);
  if (decoded.ok()) {
    Check(decoded->size() <= max_raw_bytes);
    CheckAllRoundTrips(*decoded, zstd_level);
  }
  CheckAllRoundTrips(frame, zstd_level);
  return 0;
}
