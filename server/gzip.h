// Inflates gzip request bodies (Content-Encoding: gzip) with a cap on the output, so that a small
// compressed body cannot expand into unbounded memory (a "zip bomb"): the server passes its body
// limit, and a request is bounded by the limit twice over (compressed and inflated).
#ifndef EDGETSDB_SERVER_GZIP_H_
#define EDGETSDB_SERVER_GZIP_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace edgetsdb::server {

// Inflates a gzip stream: one member or several concatenated (RFC 1952 allows it; `cat a.gz b.gz`
// and Go's writer make them). Errors:
//   ResourceExhausted  the output would exceed max_output_bytes (nothing more is inflated).
//   InvalidArgument    not gzip, corrupt (bad header, data or CRC), truncated, or followed by
//                      bytes that are not another member.
absl::StatusOr<std::string> GunzipCapped(std::string_view compressed, size_t max_output_bytes);

}  // namespace edgetsdb::server

#endif  // EDGETSDB_SERVER_GZIP_H_
