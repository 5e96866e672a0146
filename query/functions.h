// InfluxQL's aggregates, selectors and transformations over the points of one window (or one
// series), with InfluxDB 1.x's types and tie-breaking.
#ifndef EDGETSDB_QUERY_FUNCTIONS_H_
#define EDGETSDB_QUERY_FUNCTIONS_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "query/engine.h"

namespace edgetsdb::query {

enum class FunctionKind {
  kCount,
  kSum,
  kMean,
  kMedian,
  kMode,
  kSpread,
  kStddev,
  kMin,
  kMax,
  kFirst,
  kLast,
  kPercentile,
  kDifference,
  kNonNegativeDifference,
  kDerivative,
  kNonNegativeDerivative,
  kMovingAverage,
  kCumulativeSum,
};

// By lowercase name; nullopt for functions outside the subset.
std::optional<FunctionKind> LookupFunction(std::string_view name);

inline bool IsSelector(FunctionKind kind) {
  return kind == FunctionKind::kMin || kind == FunctionKind::kMax || kind == FunctionKind::kFirst ||
         kind == FunctionKind::kLast || kind == FunctionKind::kPercentile;
}
inline bool IsTransformation(FunctionKind kind) { return kind >= FunctionKind::kDifference; }

struct TimedValue {
  int64_t time = 0;
  Value value;
  uint32_t tag = 0;  // The caller's: a selector's result carries the chosen point's.
};

// Reduces the non-null points of one window, in time order, to one value. A selector's result
// carries the chosen point's time. Returns nullopt when the window gives no value (no points, or
// none of a type the function takes). `argument` is percentile's N.
std::optional<TimedValue> Reduce(FunctionKind kind, const std::vector<TimedValue>& points,
                                 double argument);

// Applies a transformation to a series of (time, value) in time order. `argument` is the
// derivative's unit in nanoseconds or moving_average's window length.
std::vector<TimedValue> Transform(FunctionKind kind, const std::vector<TimedValue>& points,
                                  int64_t argument);

}  // namespace edgetsdb::query

#endif  // EDGETSDB_QUERY_FUNCTIONS_H_
