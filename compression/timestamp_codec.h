// Timestamp columns: int64 nanoseconds, delta-of-delta as in Gorilla, with two changes that make it
// total and cheaper on real series:
//  - deltas are first divided by their greatest common divisor, so a series written with second or
//    millisecond precision costs the same in nanoseconds as in its own unit;
//  - arithmetic wraps modulo 2^64 and the widest bucket holds a full 64-bit value, so any int64
//    sequence (equal, decreasing, jumping across the whole range) round-trips. Beringei's 31-bit
//    first timestamp and its silent desync on large jumps are the failures this avoids.
// Format: docs/format/chunk.md, "Timestamp stream".
#ifndef EDGETSDB_COMPRESSION_TIMESTAMP_CODEC_H_
#define EDGETSDB_COMPRESSION_TIMESTAMP_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace edgetsdb::compression {

void EncodeTimestamps(absl::Span<const int64_t> timestamps, std::string* out);

// Decodes exactly `count` timestamps (count <= kMaxChunkValues) into *out (resized).
absl::Status DecodeTimestamps(std::string_view data, size_t count, std::vector<int64_t>* out);

}  // namespace edgetsdb::compression

#endif  // EDGETSDB_COMPRESSION_TIMESTAMP_CODEC_H_
