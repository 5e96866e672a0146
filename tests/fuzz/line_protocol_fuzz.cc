// Fuzzes ParseLineProtocol with arbitrary bodies, and checks that it accounts for every line, that
// the batch it builds survives the rep round trip, and that every point it accepted comes back
// unchanged when written as line protocol and parsed again.
//
// Input: byte 0 picks the precision (modulo 6); the rest is the body.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "compression/coding.h"
#include "db/line_protocol.h"
#include "edgetsdb/write_batch.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using edgetsdb::FieldView;
using edgetsdb::TagView;
using edgetsdb::WriteBatch;
using edgetsdb::fuzz::AsBytes;
using edgetsdb::fuzz::Check;

constexpr int64_t kNow = 1'700'000'000'000'000'000;

bool SameFields(absl::Span<const FieldView> a, absl::Span<const FieldView> b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].key != b[i].key || a[i].value.index() != b[i].value.index()) return false;
    if (const double* x = std::get_if<double>(&a[i].value)) {
      if (edgetsdb::compression::DoubleBits(*x) !=
          edgetsdb::compression::DoubleBits(std::get<double>(b[i].value))) {
        return false;
      }
    } else if (a[i].value != b[i].value) {
      return false;
    }
  }
  return true;
}

bool SameTags(absl::Span<const TagView> a, absl::Span<const TagView> b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].key != b[i].key || a[i].value != b[i].value) return false;
  }
  return true;
}

// Both readers yield the same points.
void CheckSameBatches(const WriteBatch& x, const WriteBatch& y) {
  WriteBatch::Reader a(x);
  WriteBatch::Reader b(y);
  for (;;) {
    const bool more = a.Next();
    Check(more == b.Next());
    if (!more) break;
    Check(a.series_key() == b.series_key() && a.measurement() == b.measurement());
    Check(a.timestamp() == b.timestamp());
    Check(SameTags(a.tags(), b.tags()) && SameFields(a.fields(), b.fields()));
  }
  Check(a.status().ok() && b.status().ok());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  constexpr edgetsdb::Precision kPrecisions[] = {
      edgetsdb::Precision::kNanoseconds,  edgetsdb::Precision::kMicroseconds,
      edgetsdb::Precision::kMilliseconds, edgetsdb::Precision::kSeconds,
      edgetsdb::Precision::kMinutes,      edgetsdb::Precision::kHours};
  const edgetsdb::Precision precision = kPrecisions[data[0] % 6];
  const std::string_view body = AsBytes(data + 1, size - 1);

  WriteBatch batch;
  const edgetsdb::ParseResult result = edgetsdb::ParseLineProtocol(body, precision, kNow, &batch);

  // Every line is a point, an error, or blank or a comment.
  size_t lines = 0;
  for (char c : body) lines += c == '\n';
  lines += !body.empty() && body.back() != '\n';
  Check(result.points == batch.point_count() && result.points + result.error_count <= lines);
  Check(result.errors.size() == std::min(result.error_count, edgetsdb::kMaxReportedErrors));
  for (size_t i = 0; i < result.errors.size(); ++i) {
    Check(result.errors[i].line >= 1 && result.errors[i].line <= lines);
    Check(i == 0 || result.errors[i - 1].line < result.errors[i].line);
  }

  // The rep round trip: what the log would store reads back as the same points.
  WriteBatch adopted;
  Check(adopted.SetRep(batch.rep()).ok() && adopted.rep() == batch.rep());
  CheckSameBatches(batch, adopted);

  // Writing each point back as line protocol and parsing it gives the same point.
  std::string text;
  for (WriteBatch::Reader r(batch); r.Next();) {
    edgetsdb::AppendLineProtocol(r.measurement(), r.tags(), r.fields(), r.timestamp(), &text);
  }
  WriteBatch reparsed;
  const edgetsdb::ParseResult again =
      edgetsdb::ParseLineProtocol(text, edgetsdb::Precision::kNanoseconds, kNow, &reparsed);
  Check(again.error_count == 0 && again.points == result.points);
  CheckSameBatches(batch, reparsed);
  Check(reparsed.rep() == batch.rep());
  return 0;
}
