#include "compression/lz4_block.h"

#include <lz4.h>

#include <limits>

#include "absl/strings/str_cat.h"

namespace edgetsdb::compression {

bool AppendLz4Block(std::string_view raw, std::string* out) {
  if (raw.size() > LZ4_MAX_INPUT_SIZE) return false;
  const size_t start = out->size();
  const int raw_size = static_cast<int>(raw.size());
  out->resize(start + LZ4_compressBound(raw_size));
  const int written = LZ4_compress_default(raw.data(), out->data() + start, raw_size,
                                           static_cast<int>(out->size() - start));
  out->resize(start + written);
  return written > 0;
}

absl::StatusOr<std::string> DecodeLz4Block(std::string_view block, uint64_t raw_size,
                                           const char* what) {
  // LZ4 takes int sizes, and AppendLz4Block never compresses more than LZ4_MAX_INPUT_SIZE. Checking
  // the block's size first also keeps the product below from overflowing.
  if (block.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      raw_size > LZ4_MAX_INPUT_SIZE || raw_size > block.size() * kLz4MaxExpansion) {
    return absl::DataLossError(absl::StrCat(what, ": implausible raw length ", raw_size, " for ",
                                            block.size(), " compressed bytes"));
  }
  std::string raw(raw_size, '\0');
  const int decoded = LZ4_decompress_safe(block.data(), raw.data(), static_cast<int>(block.size()),
                                          static_cast<int>(raw.size()));
  if (decoded < 0 || static_cast<uint64_t>(decoded) != raw_size) {
    return absl::DataLossError(absl::StrCat(what, ": damaged payload"));
  }
  return raw;
}

}  // namespace edgetsdb::compression
