// Fuzzes WriteBatch::SetRep and its Reader with arbitrary bytes, and checks that whatever they
// accept is a valid batch (docs/format/write_batch.md) whose points re-encode to the same points.
//
// Input: byte 0 bit 0 set: the rest is the rep as is. Clear: the rest is line protocol up to the
// first NUL, which builds a batch, then (position u16, xor mask u8) triples that damage its rep.
// The second form reaches the reader's checks behind a well-formed header and series keys, which
// random bytes rarely get past.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "compression/coding.h"
#include "db/line_protocol.h"
#include "edgetsdb/point.h"
#include "edgetsdb/write_batch.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using edgetsdb::FieldView;
using edgetsdb::TagView;
using edgetsdb::WriteBatch;
using edgetsdb::fuzz::AsBytes;
using edgetsdb::fuzz::Check;

constexpr int64_t kNow = 1'700'000'000'000'000'000;

std::string BuildAndDamage(std::string_view input) {
  const size_t nul = input.find('\0');
  const std::string_view text = input.substr(0, nul);
  WriteBatch batch;
  (void)edgetsdb::ParseLineProtocol(text, edgetsdb::Precision::kNanoseconds, kNow, &batch);
  std::string rep(batch.rep());
  if (nul == std::string_view::npos) return rep;
  const std::string_view edits = input.substr(nul + 1);
  for (size_t i = 0; i + 3 <= edits.size(); i += 3) {
    const size_t position = static_cast<uint8_t>(edits[i]) | static_cast<uint8_t>(edits[i + 1])
                                                                 << 8;
    rep[position % rep.size()] ^= edits[i + 2];
  }
  return rep;
}

// Copies the current point of a reader, as views into storage that outlives the next Next().
struct OwnedPoint {
  std::string measurement;
  std::vector<std::string> tag_strings;
  std::vector<std::string> field_strings;
  std::vector<TagView> tags;
  std::vector<FieldView> fields;
  int64_t timestamp;
};

OwnedPoint Copy(const WriteBatch::Reader& r) {
  OwnedPoint p;
  p.measurement = std::string(r.measurement());
  p.timestamp = r.timestamp();
  p.tag_strings.reserve(2 * r.tags().size());
  for (const TagView& t : r.tags()) {
    p.tag_strings.emplace_back(t.key);
    p.tag_strings.emplace_back(t.value);
  }
  p.field_strings.reserve(2 * r.fields().size());
  for (const FieldView& f : r.fields()) {
    p.field_strings.emplace_back(f.key);
    const auto* s = std::get_if<std::string_view>(&f.value);
    p.field_strings.emplace_back(s != nullptr ? *s : std::string_view());
  }
  for (size_t i = 0; i < r.tags().size(); ++i) {
    p.tags.push_back({p.tag_strings[2 * i], p.tag_strings[2 * i + 1]});
  }
  for (size_t i = 0; i < r.fields().size(); ++i) {
    FieldView f = r.fields()[i];
    f.key = p.field_strings[2 * i];
    if (std::holds_alternative<std::string_view>(f.value))
      f.value = std::string_view(p.field_strings[2 * i + 1]);
    p.fields.push_back(f);
  }
  return p;
}

bool SameField(const FieldView& a, const FieldView& b) {
  if (a.key != b.key || a.value.index() != b.value.index()) return false;
  if (const double* x = std::get_if<double>(&a.value)) {
    return edgetsdb::compression::DoubleBits(*x) ==
           edgetsdb::compression::DoubleBits(std::get<double>(b.value));
  }
  return a.value == b.value;
}

bool Same(const OwnedPoint& a, const OwnedPoint& b) {
  if (a.measurement != b.measurement || a.timestamp != b.timestamp ||
      a.tags.size() != b.tags.size() || a.fields.size() != b.fields.size()) {
    return false;
  }
  for (size_t i = 0; i < a.tags.size(); ++i) {
    if (a.tags[i].key != b.tags[i].key || a.tags[i].value != b.tags[i].value) return false;
  }
  for (size_t i = 0; i < a.fields.size(); ++i) {
    if (!SameField(a.fields[i], b.fields[i])) return false;
  }
  return true;
}

std::vector<OwnedPoint> ReadPoints(const WriteBatch& batch) {
  std::vector<OwnedPoint> points;
  WriteBatch::Reader r(batch);
  while (r.Next()) points.push_back(Copy(r));
  Check(r.status().ok() && points.size() == batch.point_count());
  return points;
}

void CheckSamePoints(const std::vector<OwnedPoint>& expected, const WriteBatch& batch) {
  const std::vector<OwnedPoint> points = ReadPoints(batch);
  Check(points.size() == expected.size());
  for (size_t i = 0; i < points.size(); ++i) Check(Same(points[i], expected[i]));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view input = AsBytes(data + 1, size - 1);
  const std::string rep = (data[0] & 1) ? std::string(input) : BuildAndDamage(input);

  WriteBatch batch;
  if (!batch.SetRep(rep).ok()) {
    Check(batch.empty() && batch.rep() == WriteBatch().rep());
    return 0;
  }
  Check(batch.rep() == rep);

  // Every point obeys the validity rule, and they number point_count.
  std::vector<OwnedPoint> points;
  size_t values = 0;
  WriteBatch::Reader r(batch);
  while (r.Next()) {
    Check(!r.measurement().empty() && !r.fields().empty());
    for (size_t i = 1; i < r.tags().size(); ++i) Check(r.tags()[i - 1].key < r.tags()[i].key);
    for (const FieldView& f : r.fields()) {
      if (const double* v = std::get_if<double>(&f.value)) Check(std::isfinite(*v));
    }
    values += r.fields().size();
    points.push_back(Copy(r));
  }
  Check(r.status().ok() && points.size() == batch.point_count() && values == batch.value_count());

  // Re-adding the points gives the same points. (Not necessarily fewer bytes: a rep may use the
  // decimal exponents 7..18, which the writer does not try.)
  WriteBatch canonical;
  for (const OwnedPoint& p : points) {
    Check(canonical.Add(p.measurement, p.tags, p.fields, p.timestamp).ok());
  }
  CheckSamePoints(points, canonical);
  WriteBatch again;
  Check(again.SetRep(canonical.rep()).ok());
  CheckSamePoints(points, again);

  // An adopted batch takes more points and refers back to its keys correctly.
  if (!points.empty()) {
    const OwnedPoint& p = points.back();
    const int64_t next = static_cast<int64_t>(static_cast<uint64_t>(p.timestamp) + 1);
    Check(batch.Add(p.measurement, p.tags, p.fields, next).ok());
    std::vector<OwnedPoint> after = ReadPoints(batch);
    Check(after.size() == points.size() + 1);
    for (size_t i = 0; i < points.size(); ++i) Check(Same(after[i], points[i]));
    Check(after.back().timestamp == next);
    after.back().timestamp = p.timestamp;
    Check(Same(after.back(), p));
  }
  return 0;
}
