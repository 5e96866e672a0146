// Gorilla XOR float compression, exactly as published (Pelkonen et al., VLDB 2015, section 4.1.2):
// the first value in 64 bits; then for each value the XOR with its predecessor as
//   '0'                         the XOR is zero,
//   '10' + meaningful bits      its meaningful bits fit inside the previous window,
//   '11' + 5 bits leading zeros + 6 bits length + meaningful bits    a new window.
// A length of 64 is stored as 0. Kept unmodified because it is the baseline every figure quotes.
#ifndef EDGETSDB_COMPRESSION_GORILLA_H_
#define EDGETSDB_COMPRESSION_GORILLA_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace edgetsdb::compression {

void EncodeGorilla(absl::Span<const double> values, std::string* out);
absl::Status DecodeGorilla(std::string_view data, size_t count, double* out);

}  // namespace edgetsdb::compression

#endif  // EDGETSDB_COMPRESSION_GORILLA_H_
