// Boolean columns: a bitmap, or run lengths for long runs of one value.
#ifndef EDGETSDB_COMPRESSION_BOOL_CODEC_H_
#define EDGETSDB_COMPRESSION_BOOL_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "compression/codec.h"

namespace edgetsdb::compression {

// Values are 0 or 1, one byte each (std::vector<bool> cannot be viewed as a span); encoders read
// any nonzero byte as 1. Decoders follow the contract of DecodeIntegers (integer_codec.h).
// Format: docs/format/chunk.md, "Boolean streams".
void EncodeBools(Codec codec, absl::Span<const uint8_t> values, std::string* out);
Codec EncodeBoolsAuto(absl::Span<const uint8_t> values, std::string* out);
absl::Status DecodeBools(Codec codec, std::string_view data, size_t count,
                         std::vector<uint8_t>* out);

}  // namespace edgetsdb::compression

#endif  // EDGETSDB_COMPRESSION_BOOL_CODEC_H_
