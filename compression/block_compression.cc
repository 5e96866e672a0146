// Block frames (docs/format/chunk.md, "Block frames"):
//
//   kind (1 byte: 0 none, 1 LZ4, 2 Zstandard) | varint(raw length) | payload
//
// The payload is the raw bytes (kNone), one LZ4 block, or Zstandard frames; it must decode to
// exactly raw length bytes and nothing may follow it.
#include "compression/block_compression.h"

#include <zstd.h>

#include "absl/strings/str_cat.h"
#include "compression/coding.h"
#include "compression/lz4_block.h"

namespace edgetsdb::compression {
namespace {

void AppendHeader(BlockCompression kind, size_t raw_size, std::string* out) {
  out->push_back(static_cast<char>(kind));
  PutVarint64(out, raw_size);
}

bool AppendZstd(std::string_view raw, int level, std::string* out) {
  const size_t start = out->size();
  out->resize(start + ZSTD_compressBound(raw.size()));
  const size_t written =
      ZSTD_compress(out->data() + start, out->size() - start, raw.data(), raw.size(), level);
  if (ZSTD_isError(written)) {
    out->resize(start);
    return false;
  }
  out->resize(start + written);
  return true;
}

// As DecodeLz4Block does, refuses a raw length the payload cannot produce before allocating it, so
// a damaged length costs no more than the payload itself.
absl::StatusOr<std::string> DecodeZstd(std::string_view payload, uint64_t raw_size) {
  // ZSTD_compress records the content size in the frame header.
  const uint64_t content_size = ZSTD_getFrameContentSize(payload.data(), payload.size());
  if (content_size == ZSTD_CONTENTSIZE_ERROR ||
      (content_size != ZSTD_CONTENTSIZE_UNKNOWN && content_size != raw_size)) {
    return absl::DataLossError("zstd block: frame header disagrees with the raw length");
  }
  std::string raw(raw_size, '\0');
  const size_t decoded = ZSTD_decompress(raw.data(), raw.size(), payload.data(), payload.size());
  if (ZSTD_isError(decoded)) {
    return absl::DataLossError(
        absl::StrCat("zstd block: damaged payload: ", ZSTD_getErrorName(decoded)));
  }
  if (decoded != raw_size) {
    return absl::DataLossError(
        absl::StrCat("zstd block: decoded ", decoded, " bytes, expected ", raw_size));
  }
  return raw;
}

}  // namespace

void CompressBlock(BlockCompression kind, std::string_view raw, std::string* out, int zstd_level) {
  // The frame names its own kind, so a block the chosen compressor cannot take (over 2 GB for
  // LZ4) is stored uncompressed rather than lost.
  const size_t start = out->size();
  AppendHeader(kind, raw.size(), out);
  bool compressed = false;
  switch (kind) {
    case BlockCompression::kLz4:
      compressed = AppendLz4Block(raw, out);
      break;
    case BlockCompression::kZstd:
      compressed = AppendZstd(raw, zstd_level, out);
      break;
    case BlockCompression::kNone:
      break;
  }
  if (!compressed) {
    out->resize(start);
    AppendHeader(BlockCompression::kNone, raw.size(), out);
    out->append(raw);
  }
}

absl::StatusOr<std::string> DecompressBlock(std::string_view frame, size_t max_raw_bytes) {
  ByteReader reader(frame);
  uint8_t kind;
  uint64_t raw_size;
  if (!reader.ReadByte(&kind) || !reader.ReadVarint64(&raw_size)) {
    return absl::DataLossError("block frame: truncated header");
  }
  if (raw_size > max_raw_bytes) {
    return absl::DataLossError(absl::StrCat("block frame: raw length ", raw_size,
                                            " exceeds the limit of ", max_raw_bytes));
  }
  const std::string_view payload = reader.Rest();
  switch (static_cast<BlockCompression>(kind)) {
    case BlockCompression::kNone:
      if (payload.size() != raw_size) {
        return absl::DataLossError(
            absl::StrCat("block frame: ", payload.size(), " stored bytes, expected ", raw_size));
      }
      return std::string(payload);
    case BlockCompression::kLz4:
      return DecodeLz4Block(payload, raw_size, "lz4 block");
    case BlockCompression::kZstd:
      return DecodeZstd(payload, raw_size);
  }
  return absl::DataLossError(
      absl::StrCat("block frame: unknown compression kind ", static_cast<int>(kind)));
}

}  // namespace edgetsdb::compression
