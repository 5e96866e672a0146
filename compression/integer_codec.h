// Integer columns (int64 and uint64). Values travel as uint64: int64 callers pass the two's
// complement bits and say is_signed, which only decides how the frame of reference finds its
// minimum.
#ifndef EDGETSDB_COMPRESSION_INTEGER_CODEC_H_
#define EDGETSDB_COMPRESSION_INTEGER_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "compression/codec.h"

namespace edgetsdb::compression {

// Appends the encoding of values with the given integer codec (kInt*) to *out.
void EncodeIntegers(Codec codec, absl::Span<const uint64_t> values, bool is_signed,
                    std::string* out);

// Encodes with every integer codec and keeps the smallest; returns the codec chosen.
Codec EncodeIntegersAuto(absl::Span<const uint64_t> values, bool is_signed, std::string* out);

// Decodes exactly `count` values (count <= kMaxChunkValues) into *out (resized). Any damage to
// data yields InvalidArgument or DataLoss, never a crash.
// InvalidArgument: codec is not an integer codec, or count is above kMaxChunkValues.
// DataLoss: the stream is damaged, including bytes left after the last value. Zero values encode to
// zero bytes. Format: docs/format/chunk.md, "Integer streams".
absl::Status DecodeIntegers(Codec codec, std::string_view data, size_t count,
                            std::vector<uint64_t>* out);

}  // namespace edgetsdb::compression

#endif  // EDGETSDB_COMPRESSION_INTEGER_CODEC_H_
