// Decimal float compression, in the spirit of ALP (Afroozeh et al., SIGMOD 2024) and
// VictoriaMetrics: sensor values usually carry a few decimals, so a chunk is scaled by the power of
// ten that turns its values into integers, and those integers are bit-packed, either as offsets
// from their minimum (frame of reference) or as deltas (for slowly changing series).
//
// Decoding divides by 10^e. IEEE division is correctly rounded, so n / 10^e is exactly the double
// nearest to the decimal n * 10^-e, which is what parsing that decimal produced in the first place:
// every value written with at most e decimals (and |n| < 2^51) round-trips. Values that do not
// (NaN, infinities, -0.0, extra precision) are stored raw in an exception list.
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
