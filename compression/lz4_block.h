// One raw LZ4 block (no LZ4 frame, no length of its own), as block frames and LZ4 string streams
// store it. Both formats keep the raw length next to the block; these helpers hold what they
// share: the compressor's input limit and the bound on what a block can expand to, which lets a
// damaged raw length be refused before it is allocated.
#ifndef EDGETSDB_COMPRESSION_LZ4_BLOCK_H_
#define EDGETSDB_COMPRESSION_LZ4_BLOCK_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace edgetsdb::compression {

// An LZ4 block never expands by more than this: the densest sequence is a run of 255-valued
// match-length bytes, each adding 255 output bytes.
inline constexpr uint64_t kLz4MaxExpansion = 255;

// Appends raw to *out as one LZ4 block. Returns false, leaving *out as it was, when LZ4 cannot
// take input this large (LZ4_MAX_INPUT_SIZE, about 2 GB).
[[nodiscard]] bool AppendLz4Block(std::string_view raw, std::string* out);

// Decodes a block made by AppendLz4Block that must expand to exactly raw_size bytes. Refuses, with
// DataLoss, a raw_size the block cannot expand to (before allocating it) and any damaged block.
// `what` names the enclosing format in error messages.
absl::StatusOr<std::string> DecodeLz4Block(std::string_view block, uint64_t raw_size,
                                           const char* what);

}  // namespace edgetsdb::compression

#endif  // EDGETSDB_COMPRESSION_LZ4_BLOCK_H_
