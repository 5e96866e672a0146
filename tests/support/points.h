// Owning points for tests: build batches from literals and read them back for comparison.
// Floats compare bit for bit, so -0.0 differs from 0.0 and a NaN equals itself.
#ifndef EDGETSDB_TESTS_SUPPORT_POINTS_H_
#define EDGETSDB_TESTS_SUPPORT_POINTS_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "compression/coding.h"
#include "edgetsdb/point.h"
#include "edgetsdb/write_batch.h"
#include "gtest/gtest.h"

namespace edgetsdb::testing {

using Tags = std::vector<std::pair<std::string, std::string>>;
using Fields = std::vector<std::pair<std::string, FieldValue>>;

struct Point {
  std::string measurement;
  Tags tags;
  Fields fields;
  int64_t timestamp = 0;
};

inline bool SameValue(const FieldValue& a, const FieldValue& b) {
  if (a.index() != b.index()) return false;
  if (const double* x = std::get_if<double>(&a)) {
    return compression::DoubleBits(*x) == compression::DoubleBits(std::get<double>(b));
  }
  return a == b;
}

inline bool operator==(const Point& a, const Point& b) {
  if (a.measurement != b.measurement || a.tags != b.tags || a.timestamp != b.timestamp ||
      a.fields.size() != b.fields.size()) {
    return false;
  }
  for (size_t i = 0; i < a.fields.size(); ++i) {
    if (a.fields[i].first != b.fields[i].first ||
        !SameValue(a.fields[i].second, b.fields[i].second)) {
      return false;
    }
  }
  return true;
}

inline void PrintTo(const Point& p, std::ostream* os) {
  *os << p.measurement;
  for (const auto& [k, v] : p.tags) *os << "," << k << "=" << v;
  for (size_t i = 0; i < p.fields.size(); ++i) {
    *os << (i == 0 ? " " : ",") << p.fields[i].first << "=";
    std::visit([os](const auto& v) { *os << v; }, p.fields[i].second);
  }
  *os << " " << p.timestamp;
}

inline FieldValue Own(const FieldView& f) {
  return std::visit(
      [](const auto& v) -> FieldValue {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::string_view>) {
          return std::string(v);
        } else {
          return v;
        }
      },
      f.value);
}

// Reads every point; the batch must read cleanly.
inline std::vector<Point> ReadAll(const WriteBatch& batch) {
  std::vector<Point> points;
  WriteBatch::Reader r(batch);
  while (r.Next()) {
    Point p;
    p.measurement = std::string(r.measurement());
    for (const TagView& t : r.tags()) p.tags.emplace_back(t.key, t.value);
    for (const FieldView& f : r.fields()) p.fields.emplace_back(std::string(f.key), Own(f));
    p.timestamp = r.timestamp();
    points.push_back(std::move(p));
  }
  EXPECT_TRUE(r.status().ok()) << r.status();
  return points;
}

inline absl::Status AddPoint(WriteBatch* batch, const Point& p) {
  std::vector<TagView> tags;
  for (const auto& [k, v] : p.tags) tags.push_back({k, v});
  std::vector<FieldView> fields;
  for (const auto& [k, v] : p.fields) {
    FieldView f{k, false};
    std::visit(
        [&f](const auto& x) {
          if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::string>) {
            f.value = std::string_view(x);
          } else {
            f.value = x;
          }
        },
        v);
    fields.push_back(f);
  }
  return batch->Add(p.measurement, tags, fields, p.timestamp);
}

}  // namespace edgetsdb::testing

#endif  // EDGETSDB_TESTS_SUPPORT_POINTS_H_
