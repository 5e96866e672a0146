// The second compression stage, applied by the storage engine to whole blocks of encoded chunks:
// LZ4 where decode speed matters (recent data), Zstandard where size does (cold data).
#ifndef EDGETSDB_COMPRESSION_BLOCK_COMPRESSION_H_
#define EDGETSDB_COMPRESSION_BLOCK_COMPRESSION_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace edgetsdb::compression {

enum class BlockCompression : uint8_t {
  kNone = 0,
  kLz4 = 1,
  kZstd = 2,
};

// Appends a self-describing frame to *out: kind (1 byte), raw length (varint), payload.
// zstd_level is used only for kZstd. A block the chosen compressor cannot take (LZ4 stops at about
// 2 GB) is framed as kNone instead. Format: docs/format/chunk.md, "Block frames".
void CompressBlock(BlockCompression kind, std::string_view raw, std::string* out,
                   int zstd_level = 9);

// Decodes a frame made by CompressBlock. Refuses frames whose raw length exceeds max_raw_bytes
// (before allocating) and any damaged payload, with DataLoss.
absl::StatusOr<std::string> DecompressBlock(std::string_view frame, size_t max_raw_bytes);

}  // namespace edgetsdb::compression

#endif  // EDGETSDB_COMPRESSION_BLOCK_COMPRESSION_H_
