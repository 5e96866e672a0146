// InfluxDB line protocol: the text format that HTTP /write, MQTT and CoAP payloads carry.
//
//   measurement[,tag_key=tag_value...] field_key=field_value[,field_key=field_value...] [timestamp]
//
// The grammar, as InfluxDB 1.x documents it and accepts it, with the 2.x rule for backslashes:
// - Lines end at '\n'; a '\r' just before it is dropped (CRLF). Blank lines and lines whose first
//   non-blank byte is '#' (comments) are skipped. Leading and trailing spaces and tabs are ignored.
//   A newline cannot occur inside a value, not even a quoted string.
// - Sections are separated by one space, optionally followed by more spaces or tabs.
// - Measurement: a backslash escapes ',' and ' '. Tag keys, tag values and field keys: it escapes
//   ',', '=' and ' '. In all of them "\\" is one backslash, and a backslash before any other byte
//   is an ordinary byte, so existing writers' "C:\path" survives unchanged.
// - Field values: a float ("1", "-1.5", ".5", "1.", "1e-3", "6.02E+23"; NaN and infinities do not
//   exist in line protocol), an integer with an 'i' suffix ("-12i"), an unsigned integer with a
//   'u' suffix ("12u"), a boolean (t, T, true, True, TRUE, f, F, false, False, FALSE), or a string
//   in double quotes in which \" is a quote and \\ a backslash. Integers must fit their type; a
//   float too large for a double is an error, one too small for it is zero (as in InfluxDB).
// - Timestamp: a decimal int64 (negative allowed) in the request's precision.
// - Tag values must not be empty; a tag key must not repeat. A field key that repeats keeps its
//   last value. The limits of point.h apply.
#ifndef EDGETSDB_DB_LINE_PROTOCOL_H_
#define EDGETSDB_DB_LINE_PROTOCOL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "edgetsdb/point.h"
#include "edgetsdb/write_batch.h"

namespace edgetsdb {

// The unit of the timestamps in a request body.
enum class Precision { kNanoseconds, kMicroseconds, kMilliseconds, kSeconds, kMinutes, kHours };

// "ns" (or "n"), "u" or "us", "ms", "s", "m", "h": InfluxDB 1.x's precision and epoch values.
// Empty means nanoseconds. InvalidArgument for anything else (InfluxDB 1.x silently takes
// nanoseconds, which turns a typo into points written in 1970).
absl::StatusOr<Precision> ParsePrecision(std::string_view text);

// Nanoseconds per unit of `precision`.
int64_t NanosecondsPer(Precision precision);

struct LineError {
  size_t line;  // 1-based.
  // Short and InfluxDB-like, with the line number and the start of the line:
  //   line 3: unable to parse 'cpu,host=a value=': missing field value
  std::string reason;
};

struct ParseResult {
  size_t points = 0;              // Points appended to the batch.
  std::vector<LineError> errors;  // The first kMaxReportedErrors, in line order.
  size_t error_count = 0;         // All of them.
};

// A body of garbage would otherwise produce one error string per line.
inline constexpr size_t kMaxReportedErrors = 100;

// Parses body, appending every good line to *batch (InfluxDB's partial write: good lines are kept,
// and the caller learns exactly which lines failed and why). Lines without a timestamp get now_ns.
// Timestamps are scaled by precision with overflow checks: one that overflows int64 nanoseconds
// is a line error ("time outside range").
//
// Allocates nothing per line once warm (scratch vectors are reused, and a token is copied only
// when it holds a backslash), besides what the batch itself grows by and the errors it reports.
// bench/line_protocol_bench.cc measures about 1 M twelve-field lines (12 M values) or 4 M
// one-field lines per second on one core of the development machine.
ParseResult ParseLineProtocol(std::string_view body, Precision precision, int64_t now_ns,
                              WriteBatch* batch);

// Appends one point as a line of line protocol (with its '\n' and a nanosecond timestamp), escaped
// so that ParseLineProtocol gives back exactly the same point for any bytes except '\n', which
// line protocol cannot carry, and NaN or infinite floats, which it cannot either. Floats are
// written in their shortest round-tripping form.
void AppendLineProtocol(std::string_view measurement, absl::Span<const TagView> tags,
                        absl::Span<const FieldView> fields, int64_t timestamp_ns, std::string* out);

}  // namespace edgetsdb

#endif  // EDGETSDB_DB_LINE_PROTOCOL_H_
