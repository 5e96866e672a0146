// Float columns (IEEE 754 doubles). Every codec is bit-exact: NaN payloads, -0.0, infinities and
// subnormals come back as they went in.
#ifndef EDGETSDB_COMPRESSION_FLOAT_CODEC_H_
#define EDGETSDB_COMPRESSION_FLOAT_CODEC_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "compression/codec.h"

namespace edgetsdb::compression {

// Appends the encoding of values with the given float codec (kFloat*) to *out.
void EncodeFloats(Codec codec, absl::Span<const double> values, std::string* out);

// Picks the smallest of the float codecs for these values, appends its encoding to *out and returns
// it. Chunks up to kFullTrialValues are encoded with every codec; larger ones with the decimal
// codec, which the XOR codecs challenge on a sample of the chunk.
Codec EncodeFloatsAuto(absl::Span<const double> values, std::string* out);
inline constexpr size_t kFullTrialValues = 256;

// Decodes exactly `count` values (count <= kMaxChunkValues) into *out (resized). Damage yields an
// error status, never a crash or an out-of-bounds read.
absl::Status DecodeFloats(Codec codec, std::string_view data, size_t count,
                          std::vector<double>* out);

}  // namespace edgetsdb::compression

#endif  // EDGETSDB_COMPRESSION_FLOAT_CODEC_H_
