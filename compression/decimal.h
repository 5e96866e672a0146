// Decimal float compression, in the spirit of ALP (Afroozeh et al., SIGMOD 2024) and
// VictoriaMetrics: sensor values usually carry a few decimals, so a chunk is scaled by the power of
// ten that turns its values into integers, and those integers are bit-packed, either as offsets
// from their minimum (frame of reference) or as deltas (for slowly changing series).
//
// Decoding computes n / 10^e with one FMA-corrected multiplication instead of a division: for
// values written with at most e decimals (and |n| < 2^51) that is the double nearest to the
// decimal, which is what parsing it produced, so they round-trip. The encoder checks every value
// with the decoder's own arithmetic; values that do not come back bit-exact (NaN, infinities, -0.0,
// extra precision, the rare miss of the correction) are stored raw in an exception list. Format:
// docs/format/chunk.md, "Decimal".
#ifndef EDGETSDB_COMPRESSION_DECIMAL_H_
#define EDGETSDB_COMPRESSION_DECIMAL_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace edgetsdb::compression {

void EncodeDecimal(absl::Span<const double> values, std::string* out);
absl::Status DecodeDecimal(std::string_view data, size_t count, double* out);

}  // namespace edgetsdb::compression

#endif  // EDGETSDB_COMPRESSION_DECIMAL_H_
