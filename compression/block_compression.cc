#include "compression/block_compression.h"

namespace edgetsdb::compression {
// STUB: to be implemented.
void CompressBlock(BlockCompression, std::string_view, std::string*, int) {}
absl::StatusOr<std::string> DecompressBlock(std::string_view, size_t) {
  return absl::UnimplementedError("blocks");
}
}  // namespace edgetsdb::compression
