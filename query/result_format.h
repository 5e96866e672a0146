// InfluxDB 1.x response formats for query results: JSON (the default), CSV (Accept:
// application/csv) and chunked JSON (chunked=true). Byte-compatible with InfluxDB 1.x where
// clients can tell: number formatting, RFC 3339 times, "partial" flags, empty statements.
#ifndef EDGETSDB_QUERY_RESULT_FORMAT_H_
#define EDGETSDB_QUERY_RESULT_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "query/engine.h"

namespace edgetsdb::query {

enum class Epoch : uint8_t {
  kRfc3339,
  kNanoseconds,
  kMicroseconds,
  kMilliseconds,
  kSeconds,
  kMinutes,
  kHours
};

// Parses the `epoch` parameter: "" (RFC 3339 strings), "ns" or "n", "u" or "µ", "ms", "s", "m",
// "h".
absl::StatusOr<Epoch> ParseEpoch(std::string_view text);

struct FormatOptions {
  Epoch epoch = Epoch::kRfc3339;
  bool pretty = false;  // Indented JSON, four spaces, as InfluxDB's pretty=true.
};

// {"results":[{"statement_id":0,"series":[...]}]}
std::string FormatJson(const std::vector<StatementResult>& results, const FormatOptions& options);

// InfluxDB's CSV: a header "name,tags,<columns>" per statement (and again when the columns change),
// tags as "k=v,k2=v2", times always as integers in the epoch unit (nanoseconds by default).
std::string FormatCsv(const std::vector<StatementResult>& results, const FormatOptions& options);

// chunked=true: one JSON object per chunk of at most `chunk_size` rows of one series, each a whole
// {"results":[...]} document. A series cut across chunks carries "partial":true on every piece but
// its last; a statement continuing in a later chunk has "partial":true on its result.
std::vector<std::string> FormatJsonChunks(const std::vector<StatementResult>& results,
                                          const FormatOptions& options, int64_t chunk_size);

// {"error":"..."}: every error body of the HTTP API.
std::string FormatJsonError(std::string_view message);

// Building blocks, exposed for tests and for the CLI.
void AppendJsonString(std::string_view text, std::string* out);
void AppendJsonNumber(double value, std::string* out);  // Go's encoding/json float format.
std::string FormatRfc3339Nano(int64_t unix_ns);         // Go's time.RFC3339Nano in UTC.

}  // namespace edgetsdb::query

#endif  // EDGETSDB_QUERY_RESULT_FORMAT_H_
