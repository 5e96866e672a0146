#include "query/functions.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "absl/container/flat_hash_map.h"

namespace edgetsdb::query {
namespace {

bool IsNumber(const Value& v) {
  return std::holds_alternative<double>(v) || std::holds_alternative<int64_t>(v) ||
         std::holds_alternative<uint64_t>(v);
}

double ToDouble(const Value& v) {
  if (std::holds_alternative<double>(v)) return std::get<double>(v);
  if (std::holds_alternative<int64_t>(v)) return static_cast<double>(std::get<int64_t>(v));
  if (std::holds_alternative<uint64_t>(v)) return static_cast<double>(std::get<uint64_t>(v));
  if (std::holds_alternative<bool>(v)) return std::get<bool>(v) ? 1 : 0;
  return 0;
}

// Orders values of one type: numbers numerically, strings and bools by value.
bool Less(const Value& a, const Value& b) {
  if (IsNumber(a) && IsNumber(b)) {
    if (std::holds_alternative<int64_t>(a) && std::holds_alternative<int64_t>(b)) {
      return std::get<int64_t>(a) < std::get<int64_t>(b);
    }
    if (std::holds_alternative<uint64_t>(a) && std::holds_alternative<uint64_t>(b)) {
      return std::get<uint64_t>(a) < std::get<uint64_t>(b);
    }
    return ToDouble(a) < ToDouble(b);
  }
  return a < b;  // std::variant's order: by index, then by value.
}

// a - b keeping integer types (InfluxDB's difference and spread of integers are integers).
Value Subtract(const Value& a, const Value& b) {
  if (std::holds_alternative<int64_t>(a) && std::holds_alternative<int64_t>(b)) {
    return static_cast<int64_t>(static_cast<uint64_t>(std::get<int64_t>(a)) -
                                static_cast<uint64_t>(std::get<int64_t>(b)));
  }
  if (std::holds_alternative<uint64_t>(a) && std::holds_alternative<uint64_t>(b)) {
    return std::get<uint64_t>(a) - std::get<uint64_t>(b);
  }
  return ToDouble(a) - ToDouble(b);
}

bool IsNegative(const Value& v) {
  if (std::holds_alternative<int64_t>(v)) return std::get<int64_t>(v) < 0;
  if (std::holds_alternative<uint64_t>(v)) return false;
  return ToDouble(v) < 0;
}

std::optional<TimedValue> Sum(const std::vector<TimedValue>& points) {
  bool any = false;
  bool all_int = true, all_uint = true;
  for (const TimedValue& p : points) {
    if (!IsNumber(p.value)) continue;
    any = true;
    all_int &= std::holds_alternative<int64_t>(p.value);
    all_uint &= std::holds_alternative<uint64_t>(p.value);
  }
  if (!any) return std::nullopt;
  if (all_int) {
    uint64_t sum = 0;  // Wraps, as InfluxDB's int64 sums do.
    for (const TimedValue& p : points) {
      if (IsNumber(p.value)) sum += static_cast<uint64_t>(std::get<int64_t>(p.value));
    }
    return TimedValue{0, static_cast<int64_t>(sum)};
  }
  if (all_uint) {
    uint64_t sum = 0;
    for (const TimedValue& p : points) {
      if (IsNumber(p.value)) sum += std::get<uint64_t>(p.value);
    }
    return TimedValue{0, sum};
  }
  double sum = 0;
  for (const TimedValue& p : points) {
    if (IsNumber(p.value)) sum += ToDouble(p.value);
  }
  return TimedValue{0, sum};
}

std::vector<TimedValue> Numbers(const std::vector<TimedValue>& points) {
  std::vector<TimedValue> out;
  out.reserve(points.size());
  for (const TimedValue& p : points) {
    if (IsNumber(p.value)) out.push_back(p);
  }
  return out;
}

}  // namespace

std::optional<FunctionKind> LookupFunction(std::string_view name) {
  static const auto* const kByName = new absl::flat_hash_map<std::string, FunctionKind>{
      {"count", FunctionKind::kCount},
      {"sum", FunctionKind::kSum},
      {"mean", FunctionKind::kMean},
      {"median", FunctionKind::kMedian},
      {"mode", FunctionKind::kMode},
      {"spread", FunctionKind::kSpread},
      {"stddev", FunctionKind::kStddev},
      {"min", FunctionKind::kMin},
      {"max", FunctionKind::kMax},
      {"first", FunctionKind::kFirst},
      {"last", FunctionKind::kLast},
      {"percentile", FunctionKind::kPercentile},
      {"difference", FunctionKind::kDifference},
      {"non_negative_difference", FunctionKind::kNonNegativeDifference},
      {"derivative", FunctionKind::kDerivative},
      {"non_negative_derivative", FunctionKind::kNonNegativeDerivative},
      {"moving_average", FunctionKind::kMovingAverage},
      {"cumulative_sum", FunctionKind::kCumulativeSum},
  };
  auto it = kByName->find(std::string(name));
  if (it == kByName->end()) return std::nullopt;
  return it->second;
}

std::optional<TimedValue> Reduce(FunctionKind kind, const std::vector<TimedValue>& points,
                                 double argument) {
  if (points.empty()) return std::nullopt;
  switch (kind) {
    case FunctionKind::kCount:
      return TimedValue{0, static_cast<int64_t>(points.size())};
    case FunctionKind::kSum:
      return Sum(points);
    case FunctionKind::kMean: {
      std::vector<TimedValue> numbers = Numbers(points);
      if (numbers.empty()) return std::nullopt;
      // InfluxDB keeps a running mean in float64, the same as sum / count up to rounding.
      double sum = 0;
      for (const TimedValue& p : numbers) sum += ToDouble(p.value);
      return TimedValue{0, sum / static_cast<double>(numbers.size())};
    }
    case FunctionKind::kMedian: {
      std::vector<double> values;
      for (const TimedValue& p : points) {
        if (IsNumber(p.value)) values.push_back(ToDouble(p.value));
      }
      if (values.empty()) return std::nullopt;
      std::sort(values.begin(), values.end());
      size_t n = values.size();
      if (n % 2 == 1) return TimedValue{0, values[n / 2]};
      return TimedValue{0, values[n / 2 - 1] + (values[n / 2] - values[n / 2 - 1]) / 2};
    }
    case FunctionKind::kMode: {
      // InfluxDB 1.x's result: the most frequent value, a tie going to the value that occurs
      // first in time; but when no value repeats, the smallest (its algorithm only counts a
      // value from its second occurrence on).
      std::vector<size_t> order(points.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::stable_sort(order.begin(), order.end(),
                       [&](size_t a, size_t b) { return Less(points[a].value, points[b].value); });
      size_t best = order[0], best_count = 0;
      for (size_t i = 0; i < order.size();) {
        size_t j = i;
        while (j < order.size() && !Less(points[order[i]].value, points[order[j]].value)) ++j;
        const size_t count = j - i;
        size_t first = order[i];
        for (size_t k = i; k < j; ++k) {
          if (points[order[k]].time < points[first].time) first = order[k];
        }
        if (count > best_count ||
            (count == best_count && count > 1 && points[first].time < points[best].time)) {
          best = first;
          best_count = count;
        }
        i = j;
      }
      return TimedValue{0, points[best].value};
    }
    case FunctionKind::kSpread: {
      std::vector<TimedValue> numbers = Numbers(points);
      if (numbers.empty()) return std::nullopt;
      auto [lo, hi] = std::minmax_element(
          numbers.begin(), numbers.end(),
          [](const TimedValue& a, const TimedValue& b) { return Less(a.value, b.value); });
      return TimedValue{0, Subtract(hi->value, lo->value)};
    }
    case FunctionKind::kStddev: {
      std::vector<TimedValue> numbers = Numbers(points);
      if (numbers.empty()) return std::nullopt;
      // InfluxDB: NaN, printed as null, and carried on by transformations as a value.
      if (numbers.size() == 1) return TimedValue{0, std::numeric_limits<double>::quiet_NaN()};
      double mean = 0;
      for (const TimedValue& p : numbers) mean += ToDouble(p.value);
      mean /= static_cast<double>(numbers.size());
      double variance = 0;
      for (const TimedValue& p : numbers) {
        double d = ToDouble(p.value) - mean;
        variance += d * d;
      }
      variance /= static_cast<double>(numbers.size() - 1);
      return TimedValue{0, std::sqrt(variance)};
    }
    case FunctionKind::kMin:
    case FunctionKind::kMax: {
      const TimedValue* best = nullptr;
      for (const TimedValue& p : points) {
        if (!IsNumber(p.value) && !std::holds_alternative<bool>(p.value)) continue;
        if (best == nullptr) {
          best = &p;
          continue;
        }
        bool better =
            kind == FunctionKind::kMin ? Less(p.value, best->value) : Less(best->value, p.value);
        bool tie = !Less(p.value, best->value) && !Less(best->value, p.value);
        if (better || (tie && p.time < best->time)) best = &p;  // Ties go to the earlier point.
      }
      if (best == nullptr) return std::nullopt;
      return *best;
    }
    case FunctionKind::kFirst:
    case FunctionKind::kLast: {
      // Points of one time from several series: the first seen (the series first in key order)
      // wins. InfluxDB's choice depends on its merge order and so on its number of cores.
      const TimedValue* best = &points.front();
      for (const TimedValue& p : points) {
        if (kind == FunctionKind::kFirst ? p.time < best->time : p.time > best->time) best = &p;
      }
      return *best;
    }
    case FunctionKind::kPercentile: {
      std::vector<TimedValue> numbers = Numbers(points);
      auto length = static_cast<int64_t>(numbers.size());
      int64_t i =
          static_cast<int64_t>(std::floor(static_cast<double>(length) * argument / 100.0 + 0.5)) -
          1;
      if (i < 0 || i >= length) return std::nullopt;
      std::stable_sort(
          numbers.begin(), numbers.end(),
          [](const TimedValue& a, const TimedValue& b) { return Less(a.value, b.value); });
      return numbers[i];
    }
    default:
      return std::nullopt;
  }
}

std::vector<TimedValue> Transform(FunctionKind kind, const std::vector<TimedValue>& points,
                                  int64_t argument) {
  std::vector<TimedValue> out;
  switch (kind) {
    case FunctionKind::kDifference:
    case FunctionKind::kNonNegativeDifference:
      // Of several points at one time (series joined) only the first counts, as InfluxDB's.
      for (size_t i = 1, prev = 0; i < points.size(); ++i) {
        if (points[i].time == points[prev].time) continue;
        Value d = Subtract(points[i].value, points[prev].value);
        prev = i;
        if (kind == FunctionKind::kNonNegativeDifference && IsNegative(d)) continue;
        out.push_back({points[i].time, std::move(d)});
      }
      break;
    case FunctionKind::kDerivative:
    case FunctionKind::kNonNegativeDerivative: {
      const double unit = static_cast<double>(argument > 0 ? argument : 1'000'000'000);
      for (size_t i = 1, prev = 0; i < points.size(); ++i) {
        if (points[i].time == points[prev].time) continue;
        // Descending series (ORDER BY time DESC) divide by the elapsed time all the same.
        // In integer nanoseconds first: the times themselves do not fit a double exactly.
        int64_t delta = points[i].time - points[prev].time;
        double elapsed = static_cast<double>(delta < 0 ? -delta : delta);
        double d = (ToDouble(points[i].value) - ToDouble(points[prev].value)) / (elapsed / unit);
        prev = i;
        if (kind == FunctionKind::kNonNegativeDerivative && d < 0) continue;
        out.push_back({points[i].time, d});
      }
      break;
    }
    case FunctionKind::kMovingAverage: {
      const size_t n = static_cast<size_t>(std::max<int64_t>(argument, 1));
      double sum = 0;
      for (size_t i = 0; i < points.size(); ++i) {
        sum += ToDouble(points[i].value);
        if (i >= n) sum -= ToDouble(points[i - n].value);
        if (i + 1 >= n) out.push_back({points[i].time, sum / static_cast<double>(n)});
      }
      break;
    }
    case FunctionKind::kCumulativeSum: {
      Value sum;
      for (const TimedValue& p : points) {
        if (std::holds_alternative<std::monostate>(sum)) {
          sum = p.value;
        } else if (std::holds_alternative<int64_t>(sum) &&
                   std::holds_alternative<int64_t>(p.value)) {
          sum = static_cast<int64_t>(static_cast<uint64_t>(std::get<int64_t>(sum)) +
                                     static_cast<uint64_t>(std::get<int64_t>(p.value)));
        } else {
          sum = ToDouble(sum) + ToDouble(p.value);
        }
        out.push_back({p.time, sum});
      }
      break;
    }
    default:
      break;
  }
  return out;
}

}  // namespace edgetsdb::query
