// Constants of the write-ahead log format, specified in docs/format/wal.md. Shared by the writer,
// the reader and their tests; the numbers here are on disk and never change within a version.
#ifndef EDGETSDB_DB_WAL_WAL_FORMAT_H_
#define EDGETSDB_DB_WAL_WAL_FORMAT_H_

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace edgetsdb::wal {

// "EWAL": readable in a hex dump.
inline constexpr char kSegmentMagic[4] = {'E', 'W', 'A', 'L'};
inline constexpr uint8_t kFormatVersion = 1;

// magic | version | reserved | segment number | header crc
inline constexpr size_t kSegmentHeaderSize = 4 + 1 + 3 + 8 + 4;
static_assert(kSegmentHeaderSize == 20);

// crc | length | type
inline constexpr size_t kRecordHeaderSize = 4 + 4 + 1;
static_assert(kRecordHeaderSize == 9);

// Bounds how far a damaged length can make a reader look; far above any write batch a gateway
// builds (the engine splits larger ones).
inline constexpr uint32_t kMaxPayloadSize = uint32_t{1} << 24;

// Record types. 0 is never written, so zero-filled space never parses as a record. 2..127 are
// reserved and required (a reader that does not know one must stop); 128..255 are reserved and
// optional (a reader may skip them).
inline constexpr uint8_t kZeroType = 0;
inline constexpr uint8_t kWriteBatchType = 1;
inline constexpr uint8_t kCatalogType = 2;
// A type-1 payload compressed: `varint raw size | LZ4 block`.
inline constexpr uint8_t kCompressedWriteBatchType = 3;
inline constexpr uint8_t kFirstOptionalType = 128;

// Payloads at least this large are offered to LZ4; smaller ones rarely shrink enough to pay.
inline constexpr size_t kMinCompressedPayload = 512;

// Segments are rolled at this size by default: small enough that an SD card's WAL stays a few
// segments, large enough that the per-segment syncs and header are negligible.
inline constexpr uint64_t kDefaultSegmentSize = uint64_t{8} << 20;

// The type-3 form of a type-1 payload, when it is at least kMinCompressedPayload bytes and LZ4
// saves at least an eighth of it; otherwise nullopt (log the type-1 payload as it is). A batch of
// many single-field devices spells each series key in full; LZ4 finds their shared prefixes.
std::optional<std::string> CompressWriteBatchPayload(std::string_view payload);
// The type-1 payload a type-3 payload holds. DataLoss if it does not decode or its raw size is
// over kMaxPayloadSize.
absl::StatusOr<std::string> DecompressWriteBatchPayload(std::string_view payload);

// "00000001.wal": the number zero-padded to at least 8 digits.
std::string SegmentFileName(uint64_t number);
// The segment number of a canonical segment file name ("00000001.wal"), or nullopt for any other
// name (including non-canonical ones like "1.wal", which a writer never creates).
std::optional<uint64_t> ParseSegmentFileName(std::string_view name);

// Encodes a segment header for segment `number`.
std::string EncodeSegmentHeader(uint64_t number);

}  // namespace edgetsdb::wal

namespace edgetsdb {

// Where a record starts: its segment's number and the offset of its first byte in that file.
// Ordered as the log is.
struct WalPosition {
  uint64_t segment = 0;
  uint64_t offset = 0;

  friend auto operator<=>(const WalPosition&, const WalPosition&) = default;
};

}  // namespace edgetsdb

#endif  // EDGETSDB_DB_WAL_WAL_FORMAT_H_
