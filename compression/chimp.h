// Chimp128 float compression (Liakos et al., VLDB 2022): XOR against whichever of the previous 128
// values shares the most trailing bits, found through a hash of the low bits. It wins on values
// that are neither decimal nor slowly changing but recur (sensor readings that flip between a few
// levels, counters converted to float). Per value, after the first 64 raw bits, one of:
//   '00' 7-bit index: equal to the value at that index;
//   '01' index, 3-bit leading, 6-bit significant, bits: XOR with that value, many trailing zeros;
//   '10' (64 - leading) bits: XOR with the previous value, same leading zeros as last time;
//   '11' 3-bit leading, (64 - leading) bits: XOR with the previous value, new leading zeros.
// Leading zeros are rounded down to {0, 8, 12, 16, 18, 20, 22, 24}. Format: docs/format/chunk.md.
#ifndef EDGETSDB_COMPRESSION_CHIMP_H_
#define EDGETSDB_COMPRESSION_CHIMP_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace edgetsdb::compression {

void EncodeChimp128(absl::Span<const double> values, std::string* out);
absl::Status DecodeChimp128(std::string_view data, size_t count, double* out);

}  // namespace edgetsdb::compression

#endif  // EDGETSDB_COMPRESSION_CHIMP_H_
