// Owning points for tests: build batches from literals and read them back for comparison, and
// query results as (timestamp, value) lists. Floats compare bit for bit, so -0.0 differs from 0.0
// and a NaN equals itself.
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
#include "edgetsdb/db.h"
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

// One series' points as (timestamp, value), in time order.
using TimedValues = std::vector<std::pair<int64_t, FieldValue>>;

// Value i of a column, as a FieldValue (bools as bool).
inline FieldValue ValueAt(const ValueColumn& column, size_t i) {
  return std::visit(
      [i](const auto& v) -> FieldValue {
        using T = typename std::decay_t<decltype(v)>::value_type;
        if constexpr (std::is_same_v<T, uint8_t>) {
          return v[i] != 0;
        } else {
          return v[i];
        }
      },
      column);
}

inline size_t ColumnSize(const ValueColumn& column) {
  return std::visit([](const auto& v) { return v.size(); }, column);
}

inline TimedValues PointsOf(const SeriesData& series) {
  TimedValues out;
  EXPECT_EQ(series.timestamps.size(), ColumnSize(series.values));
  for (size_t i = 0; i < series.timestamps.size(); ++i) {
    out.emplace_back(series.timestamps[i], ValueAt(series.values, i));
  }
  return out;
}

inline ::testing::AssertionResult SameTimedValues(const TimedValues& a, const TimedValues& b) {
  if (a.size() != b.size()) {
    return ::testing::AssertionFailure() << "sizes " << a.size() << " and " << b.size();
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].first != b[i].first || !SameValue(a[i].second, b[i].second)) {
      return ::testing::AssertionFailure() << "differ at " << i << " (time " << a[i].first << ")";
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace edgetsdb::testing

#endif  // EDGETSDB_TESTS_SUPPORT_POINTS_H_
