// A chunk: one column of up to kMaxChunkValues values of one type, with its timestamps (or without,
// when several columns share one timestamp column), a summary that answers count, sum, min, max,
// first and last without decoding, and a CRC-32C. The unit the storage engine writes into blocks.
// Format: docs/format/chunk.md.
#ifndef EDGETSDB_COMPRESSION_CHUNK_H_
#define EDGETSDB_COMPRESSION_CHUNK_H_

#include <bit>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "compression/codec.h"

namespace edgetsdb::compression {

inline constexpr uint8_t kChunkFormatVersion = 1;

// One summary value: the 64 bits of a double (kFloat), an int64 (kInt) or a uint64 (kUint, kBool).
struct SummaryValue {
  uint64_t bits = 0;

  double f() const { return std::bit_cast<double>(bits); }
  int64_t i() const { return static_cast<int64_t>(bits); }
  uint64_t u() const { return bits; }
  static SummaryValue Of(double v) { return {std::bit_cast<uint64_t>(v)}; }
  static SummaryValue Of(int64_t v) { return {static_cast<uint64_t>(v)}; }
  static SummaryValue Of(uint64_t v) { return {v}; }
};

struct ChunkSummary {
  ValueType type = ValueType::kFloat;
  uint32_t count = 0;
  int64_t first_time = 0;  // Timestamps of the first and last values, as given (chunks are
  int64_t last_time = 0;   // written in time order, so these are also min and max).
  // Absent (false) for strings. For floats min and max skip NaN (NaN only when every value is);
  // sum follows IEEE arithmetic in value order. Integer sums wrap modulo 2^64, as InfluxDB 1.x's
  // do. For bools sum counts the true values and min, max, first, last are 0 or 1.
  bool has_values_summary = false;
  SummaryValue sum{}, min{}, max{}, first{}, last{};
};

// Values of one column, viewed (for encoding) or owned (after decoding). Bools are 0/1 bytes.
using ColumnView =
    std::variant<absl::Span<const double>, absl::Span<const int64_t>, absl::Span<const uint64_t>,
                 absl::Span<const uint8_t>, absl::Span<const std::string>>;
using Column = std::variant<std::vector<double>, std::vector<int64_t>, std::vector<uint64_t>,
                            std::vector<uint8_t>, std::vector<std::string>>;

struct ChunkEncodeOptions {
  // False for columns whose timestamps live in a shared timestamp column: the chunk then stores
  // only first_time and last_time (from the timestamps passed in) for its summary.
  bool store_timestamps = true;
  // kNone picks the smallest codec for the values; otherwise it must suit the value type.
  Codec value_codec = Codec::kNone;
};

// Appends one chunk to *out. timestamps and values must have the same size, 1..kMaxChunkValues,
// and timestamps must be in non-decreasing order (the summary's first and last depend on it).
absl::Status EncodeChunk(absl::Span<const int64_t> timestamps, ColumnView values,
                         const ChunkEncodeOptions& options, std::string* out);

// A chunk whose header and checksum were verified; its streams are still encoded. Views point into
// the bytes given to ParseChunk, which must outlive it.
struct ParsedChunk {
  ChunkSummary summary;
  Codec timestamp_codec = Codec::kNone;
  Codec value_codec = Codec::kNone;
  std::string_view timestamp_stream;
  std::string_view value_stream;
  size_t encoded_size = 0;  // Bytes of the chunk, including its checksum.
};

// Verifies the checksum and header of the chunk at the start of data (trailing bytes are ignored,
// see ParsedChunk::encoded_size). DataLoss on a checksum mismatch, InvalidArgument on a header that
// is well-formed for its checksum but not valid (unknown version, type or codec; bad count).
absl::StatusOr<ParsedChunk> ParseChunk(std::string_view data);

// Decodes the chunk's timestamps into *out (resized to the count).
absl::Status DecodeChunkTimestamps(const ParsedChunk& chunk, std::vector<int64_t>* out);
absl::StatusOr<Column> DecodeChunkValues(const ParsedChunk& chunk);
// Appends the chunk's values to *append_to, which must hold the alternative of the chunk's type
// (else InvalidArgument), decoding floats in place at its end: a reader that gathers many chunks
// into one reserved column neither allocates nor copies per chunk. On error *append_to keeps the
// values it had.
absl::Status DecodeChunkValuesInto(const ParsedChunk& chunk, Column* append_to);

}  // namespace edgetsdb::compression

#endif  // EDGETSDB_COMPRESSION_CHUNK_H_
