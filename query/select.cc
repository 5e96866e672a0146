#include "query/select.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "query/condition.h"
#include "query/functions.h"
#include "re2/re2.h"

namespace edgetsdb::query {
namespace {

using influxql::DataType;
using influxql::Expr;
using influxql::SelectStatement;
using Tags = std::vector<std::pair<std::string, std::string>>;

// A SELECT field after wildcard expansion, with its column name.
struct Column {
  std::unique_ptr<Expr> expr;
  std::string name;
};

struct Schema {
  absl::flat_hash_set<std::string> tags;
  absl::flat_hash_map<std::string, FieldType> fields;
};

// One series' rows: the union of the timestamps of its selected fields.
struct SeriesRows {
  Tags tags;
  std::vector<int64_t> times;
  std::vector<std::vector<Value>> columns;  // Parallel to times; one per needed field.
};

// A row of a group: which series, which of its rows.
struct RowRef {
  int64_t time;
  uint32_t series;
  uint32_t row;
};

// Series sharing the GROUP BY tag values, with their rows merged in time order.
struct Group {
  Tags tags;
  std::vector<const SeriesRows*> series;
  std::vector<RowRef> rows;
};

absl::Status Invalid(std::string_view message) {
  return absl::InvalidArgumentError(std::string(message));
}

Value ValueAt(const ValueColumn& column, size_t i) {
  switch (column.index()) {
    case 0:
      return std::get<0>(column)[i];
    case 1:
      return std::get<1>(column)[i];
    case 2:
      return std::get<2>(column)[i];
    case 3:
      return std::get<3>(column)[i] != 0;
    default:
      return std::get<4>(column)[i];
  }
}

std::string_view TagValue(const Tags& tags, std::string_view key) {
  for (const auto& [k, v] : tags) {
    if (k == key) return v;
  }
  return {};
}

const Tags::value_type* FindTag(const Tags& tags, std::string_view key) {
  for (const auto& tag : tags) {
    if (tag.first == key) return &tag;
  }
  return nullptr;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

template <typename F>
void VisitExpr(const Expr& e, const F& f) {
  f(e);
  if (e.lhs) VisitExpr(*e.lhs, f);
  if (e.rhs) VisitExpr(*e.rhs, f);
  for (const auto& arg : e.args) VisitExpr(*arg, f);
}

// An aggregate or selector call of the select list, evaluated once per window.
struct CallSlot {
  const Expr* call = nullptr;
  FunctionKind kind = FunctionKind::kCount;
  std::string field;
  double argument = 0;  // percentile's N.
};

// One group's windows with points (their starts, ascending) and each call's value in them.
struct WindowedValues {
  std::vector<int64_t> starts;
  std::vector<std::vector<std::optional<TimedValue>>> values;  // [slot][window]
  std::vector<std::vector<Value>> aux;  // [window][auxiliary field] of the selected point.
};

// count, sum, mean, min, max, first and last of one field in one window, kept so that partial
// results (of several series, or of chunk summaries) merge. Ties: min and max go to the earlier
// point (InfluxDB's rule); first and last to the series first in key order.
class Accumulator {
 public:
  template <typename T>
  void Add(int64_t time, T value) {
    Merge(1, static_cast<double>(value), Wide(value), time, value, time, value, time, value, time,
          value);
  }

  // A window summary: count, sum (as the engine computed it), min, max, first and last. Without
  // the times of min and max (no lone selector uses this).
  template <typename T>
  void AddSummary(int64_t count, double fsum, T isum, T min, T max, int64_t first_time, T first,
                  int64_t last_time, T last) {
    Merge(count, fsum, Wide(isum), kMaxTime, min, kMaxTime, max, first_time, first, last_time,
          last);
  }

  std::optional<TimedValue> Result(FunctionKind kind, bool integer) const {
    if (count_ == 0) return std::nullopt;
    auto value = [integer](double f, int64_t i) -> Value {
      if (integer) return i;
      return f;
    };
    switch (kind) {
      case FunctionKind::kCount:
        return TimedValue{0, count_};
      case FunctionKind::kSum:
        return TimedValue{0, value(fsum_, static_cast<int64_t>(isum_))};
      case FunctionKind::kMean:
        return TimedValue{0, fsum_ / static_cast<double>(count_)};
      case FunctionKind::kMin:
        return TimedValue{min_time_, value(fmin_, imin_)};
      case FunctionKind::kMax:
        return TimedValue{max_time_, value(fmax_, imax_)};
      case FunctionKind::kFirst:
        return TimedValue{first_time_, value(ffirst_, ifirst_)};
      case FunctionKind::kLast:
        return TimedValue{last_time_, value(flast_, ilast_)};
      default:
        return std::nullopt;
    }
  }

 private:
  static uint64_t Wide(double) { return 0; }
  static uint64_t Wide(int64_t v) { return static_cast<uint64_t>(v); }

  template <typename T>
  void Merge(int64_t count, double fsum, uint64_t isum, int64_t min_time, T min, int64_t max_time,
             T max, int64_t first_time, T first, int64_t last_time, T last) {
    const bool empty = count_ == 0;
    count_ += count;
    fsum_ += fsum;
    isum_ += isum;  // Wraps, as InfluxDB's int64 sums.
    if (empty || min < Get<T>(fmin_, imin_) ||
        (min == Get<T>(fmin_, imin_) && min_time < min_time_)) {
      Set(min, &fmin_, &imin_);
      min_time_ = min_time;
    }
    if (empty || max > Get<T>(fmax_, imax_) ||
        (max == Get<T>(fmax_, imax_) && max_time < max_time_)) {
      Set(max, &fmax_, &imax_);
      max_time_ = max_time;
    }
    // Ties of first and last keep what came first: the series first in key order.
    if (empty || first_time < first_time_) {
      Set(first, &ffirst_, &ifirst_);
      first_time_ = first_time;
    }
    if (empty || last_time > last_time_) {
      Set(last, &flast_, &ilast_);
      last_time_ = last_time;
    }
  }
  template <typename T>
  static T Get(double f, int64_t i) {
    if constexpr (std::is_same_v<T, double>) {
      return f;
    } else {
      return i;
    }
  }
  template <typename T>
  static void Set(T v, double* f, int64_t* i) {
    if constexpr (std::is_same_v<T, double>) {
      *f = v;
    } else {
      *i = v;
    }
  }

  int64_t count_ = 0;
  double fsum_ = 0;
  uint64_t isum_ = 0;
  double fmin_ = 0, fmax_ = 0, ffirst_ = 0, flast_ = 0;
  int64_t imin_ = 0, imax_ = 0, ifirst_ = 0, ilast_ = 0;
  int64_t min_time_ = 0, max_time_ = 0, first_time_ = 0, last_time_ = 0;
};

// --- Statement analysis ---

class SelectExecutor {
 public:
  SelectExecutor(Db& db, const SelectStatement& statement, const QueryRequest& request,
                 const QueryLimits& limits, absl::Time deadline)
      : db_(db), s_(statement), request_(request), limits_(limits), deadline_(deadline) {}

  absl::StatusOr<std::vector<ResultSeries>> Run();

 private:
  struct Source {
    std::string database;
    std::string measurement;
    Schema schema;
  };

  absl::Status ResolveSources();
  absl::Status ExpandColumns();
  absl::Status Analyze();
  absl::Status ValidateCall(const Expr& call, bool inside_transformation);
  absl::Status RunSource(const Source& source, std::vector<ResultSeries>* out);
  absl::StatusOr<std::vector<SeriesRows>> LoadSeries(const Source& source,
                                                     const std::vector<std::string>& fields,
                                                     std::vector<TagMatcher> matchers);
  std::vector<Group> MakeGroups(const std::vector<SeriesRows>& series) const;
  absl::Status RawRows(const Source& source, Group& group, ResultSeries* out);
  std::vector<CallSlot> Slots() const;
  // InfluxDB's type errors: functions over fields they do not take, arithmetic on strings or
  // booleans.
  absl::Status CheckTypes() const;
  // Whether every call merges from partial results (count, sum, mean, min, max, first, last) over
  // float or integer fields: then no row of the series needs to be materialized.
  bool Mergeable(const Source& source, const std::vector<CallSlot>& slots) const;
  // The mergeable calls from the engine's window aggregates (chunk summaries where chunks fit in
  // a window) or, for a lone min() or max() that must report its point's time, from the points.
  absl::Status RunMergeable(const Source& source, const std::vector<std::string>& fields,
                            std::vector<TagMatcher> matchers, std::vector<ResultSeries>* out);
  WindowedValues WindowsFromRows(const Source& source, const Group& group,
                                 const std::vector<CallSlot>& slots) const;
  absl::Status EmitAggregateRows(const std::vector<CallSlot>& slots, const WindowedValues& windows,
                                 ResultSeries* out);
  Tags GroupKey(const Tags& series_tags) const;
  // The type of `field` in the source being run (float when it has no such field).
  FieldType FieldTypeOf(const std::string& field) const {
    if (current_source_ == nullptr) return FieldType::kFloat;
    auto it = current_source_->schema.fields.find(field);
    return it == current_source_->schema.fields.end() ? FieldType::kFloat : it->second;
  }
  bool IntegerField(const std::string& field) const {
    return FieldTypeOf(field) == FieldType::kInt;
  }
  ResultSeries NewSeries(const Source& source, const Tags& group_tags) const;
  // The start of the window holding t; without GROUP BY time, the one window's time.
  int64_t WindowOf(int64_t t) const {
    if (interval_ == 0) return range_.has_min ? range_.min : 0;
    return FloorDiv(t - offset_, interval_) * interval_ + offset_;
  }
  absl::Status Finish(ResultSeries* series);
  absl::Status CheckDeadline() const {
    if (absl::Now() > deadline_) {
      return absl::DeadlineExceededError(
          absl::StrCat("query timeout: longer than ", absl::FormatDuration(limits_.timeout)));
    }
    return absl::OkStatus();
  }

  // Whether an identifier of the select list names a field (else a tag) of the source.
  bool SelectsField(const Source& source, const Expr& var) const {
    if (var.cast == DataType::kTag) return false;
    return source.schema.fields.contains(var.name) || var.cast == DataType::kField ||
           !source.schema.tags.contains(var.name);
  }
  // In WHERE, a tag wins over a field of the same name unless cast.
  bool ConditionTag(const Source& source, const Expr& var) const {
    if (var.cast == DataType::kField) return false;
    if (var.cast == DataType::kTag) return true;
    return source.schema.tags.contains(var.name) || !source.schema.fields.contains(var.name);
  }

  Db& db_;
  const SelectStatement& s_;
  const QueryRequest& request_;
  const QueryLimits& limits_;
  absl::Time deadline_;

  std::vector<Source> sources_;
  std::vector<Column> columns_;
  bool aggregate_ = false;
  bool has_transformation_ = false;
  TimeRange range_;
  std::unique_ptr<Expr> rest_;  // The condition without its time bounds.
  int64_t interval_ = 0;
  int64_t offset_ = 0;
  int64_t rows_total_ = 0;
  int64_t data_min_time_ = kMaxTime;  // Earliest point read, for GROUP BY time without a bound.
  std::vector<std::unique_ptr<RE2>> group_regexes_;  // GROUP BY /regex/.
  std::vector<const Expr*> aux_;           // Fields and tags selected beside a lone selector.
  std::vector<std::string> all_tag_keys_;  // Of every source, sorted.
  const Source* current_source_ = nullptr;
  // Windows outside [output_from_, output_until_] were read for transformations only.
  int64_t output_from_ = kMinTime;
  int64_t output_until_ = kMaxTime;
  // The current source's fields, by name: their column in SeriesRows::columns.
  absl::flat_hash_map<std::string, size_t> field_index_;
};

absl::Status SelectExecutor::ResolveSources() {
  std::vector<std::string> databases = db_.Databases();
  auto exists = [&](const std::string& name) {
    return std::find(databases.begin(), databases.end(), name) != databases.end();
  };
  std::map<std::pair<std::string, std::string>, bool> seen;
  for (const influxql::Measurement& m : s_.sources) {
    std::string database = m.database.empty() ? request_.database : m.database;
    if (database.empty()) return Invalid("database name required");
    if (!exists(database)) return absl::NotFoundError("database not found: " + database);
    if (!m.is_regex) {
      seen[{database, m.name}] = true;
      continue;
    }
    RE2 re(m.regex, RE2::Quiet);
    if (!re.ok()) return Invalid("invalid regular expression /" + m.regex + "/: " + re.error());
    auto names = db_.Measurements(database);
    if (!names.ok()) return names.status();
    for (const std::string& name : *names) {
      if (RE2::PartialMatch(name, re)) seen[{database, name}] = true;
    }
  }
  for (const auto& [key, unused] : seen) {
    Source source;
    source.database = key.first;
    source.measurement = key.second;
    auto tag_keys = db_.TagKeys(source.database, source.measurement);
    if (tag_keys.ok()) source.schema.tags.insert(tag_keys->begin(), tag_keys->end());
    auto field_keys = db_.FieldKeys(source.database, source.measurement);
    if (field_keys.ok()) {
      for (const FieldInfo& f : *field_keys) source.schema.fields[f.key] = f.type;
    }
    if (source.schema.fields.empty()) continue;  // No such measurement (or no data yet).
    sources_.push_back(std::move(source));
  }
  std::set<std::string> tag_keys;
  for (const Source& source : sources_)
    tag_keys.insert(source.schema.tags.begin(), source.schema.tags.end());
  all_tag_keys_.assign(tag_keys.begin(), tag_keys.end());
  // InfluxDB answers series in measurement order, whatever the FROM order.
  std::sort(sources_.begin(), sources_.end(), [](const Source& a, const Source& b) {
    return a.measurement != b.measurement ? a.measurement < b.measurement : a.database < b.database;
  });
  return absl::OkStatus();
}

std::unique_ptr<Expr> VarRef(const std::string& name, DataType cast) {
  auto e = std::make_unique<Expr>();
  e->kind = Expr::Kind::kVarRef;
  e->name = name;
  e->cast = cast;
  return e;
}

bool NumericOnly(std::string_view function) {
  return function == "sum" || function == "mean" || function == "median" || function == "spread" ||
         function == "stddev" || function == "percentile" || function == "derivative" ||
         function == "non_negative_derivative" || function == "difference" ||
         function == "non_negative_difference" || function == "moving_average" ||
         function == "cumulative_sum";
}

absl::Status SelectExecutor::ExpandColumns() {
  // Keys over every source, sorted: InfluxDB expands * once for the statement.
  std::map<std::string, std::optional<FieldType>> keys;  // nullopt: a tag.
  absl::flat_hash_set<std::string> grouped(s_.group_by_tags.begin(), s_.group_by_tags.end());
  for (const Source& source : sources_) {
    for (const auto& [name, type] : source.schema.fields) keys[name] = type;
    for (const std::string& tag : source.schema.tags) {
      if (!keys.contains(tag) && !grouped.contains(tag) && !s_.group_by_all_tags) {
        keys[tag] = std::nullopt;
      }
    }
  }
  for (const influxql::Field& field : s_.fields) {
    const Expr& e = *field.expr;
    if (e.kind == Expr::Kind::kWildcard) {
      for (const auto& [name, type] : keys) {
        bool is_tag = !type.has_value();
        if ((e.cast == DataType::kTag && !is_tag) || (e.cast == DataType::kField && is_tag)) {
          continue;
        }
        columns_.push_back({VarRef(name, is_tag ? DataType::kTag : DataType::kField), name});
      }
      continue;
    }
    if (e.kind == Expr::Kind::kCall && !e.args.empty() &&
        (e.args[0]->kind == Expr::Kind::kWildcard || e.args[0]->kind == Expr::Kind::kRegex)) {
      std::unique_ptr<RE2> re;
      if (e.args[0]->kind == Expr::Kind::kRegex) {
        re = std::make_unique<RE2>(e.args[0]->name, RE2::Quiet);
        if (!re->ok()) return Invalid("invalid regular expression: " + re->error());
      }
      for (const auto& [name, type] : keys) {
        if (!type.has_value()) continue;  // Functions take fields only.
        if (re != nullptr && !RE2::PartialMatch(name, *re)) continue;
        bool numeric = *type != FieldType::kString && *type != FieldType::kBool;
        if (NumericOnly(e.name) && !numeric) continue;
        // min(*) and max(*) take booleans too, not strings (InfluxDB 1.x).
        if ((e.name == "min" || e.name == "max") && *type == FieldType::kString) continue;
        std::unique_ptr<Expr> call = influxql::Clone(e);
        call->args[0] = VarRef(name, DataType::kField);
        std::string column_name = field.alias.empty() ? absl::StrCat(e.name, "_", name)
                                                      : absl::StrCat(field.alias, "_", name);
        columns_.push_back({std::move(call), std::move(column_name)});
      }
      continue;
    }
    columns_.push_back({influxql::Clone(e), influxql::FieldName(field)});
  }
  // Duplicate names get "_1", "_2"... (influxql's columnNames); "time" is taken.
  absl::flat_hash_map<std::string, int> used{{"time", 1}};
  for (Column& column : columns_) {
    auto it = used.find(column.name);
    if (it == used.end()) {
      used[column.name] = 1;
      continue;
    }
    int count = it->second;
    for (;;) {
      std::string candidate = absl::StrCat(column.name, "_", count);
      if (!used.contains(candidate)) {
        used[candidate] = 1;
        used[column.name] = count + 1;
        column.name = std::move(candidate);
        break;
      }
      ++count;
    }
  }
  return absl::OkStatus();
}

absl::Status SelectExecutor::ValidateCall(const Expr& call, bool inside_transformation) {
  std::optional<FunctionKind> kind = LookupFunction(call.name);
  if (!kind.has_value()) {
    return Invalid(absl::StrCat("undefined function ", call.name, "()"));
  }
  auto arity = [&](size_t min, size_t max) -> absl::Status {
    if (call.args.size() < min || call.args.size() > max) {
      return Invalid(absl::StrCat("invalid number of arguments for ", call.name, ", expected ",
                                  min == max ? absl::StrCat(min) : absl::StrCat(min, "-", max),
                                  ", got ", call.args.size()));
    }
    return absl::OkStatus();
  };
  if (IsTransformation(*kind)) {
    has_transformation_ = true;
    if (inside_transformation) return Invalid("nested transformations are not supported");
    size_t max_args =
        (*kind == FunctionKind::kDerivative || *kind == FunctionKind::kNonNegativeDerivative ||
         *kind == FunctionKind::kMovingAverage)
            ? 2
            : 1;
    size_t min_args = *kind == FunctionKind::kMovingAverage ? 2 : 1;
    if (absl::Status s = arity(min_args, max_args); !s.ok()) return s;
    if (call.args.size() == 2) {
      const Expr& arg = *call.args[1];
      if (*kind == FunctionKind::kMovingAverage) {
        if (arg.kind != Expr::Kind::kInteger || arg.integer <= 1) {
          return Invalid(absl::StrCat("moving_average window must be greater than 1, got ",
                                      arg.kind == Expr::Kind::kInteger ? arg.integer : 0));
        }
      } else if (arg.kind != Expr::Kind::kDuration || arg.integer <= 0) {
        return Invalid(absl::StrCat("second argument to ", call.name, " must be a duration"));
      }
    }
    const Expr& inner = *call.args[0];
    if (inner.kind == Expr::Kind::kCall) {
      if (s_.group_by_interval_ns == 0) {
        return Invalid(absl::StrCat(call.name, " aggregate requires a GROUP BY interval"));
      }
      return ValidateCall(inner, true);
    }
    if (inner.kind != Expr::Kind::kVarRef) {
      return Invalid(absl::StrCat("expected field argument in ", call.name, "()"));
    }
    if (s_.group_by_interval_ns != 0) {
      return Invalid(absl::StrCat("aggregate function required inside the call to ", call.name));
    }
    return absl::OkStatus();
  }
  aggregate_ = true;
  if (*kind == FunctionKind::kPercentile) {
    if (absl::Status s = arity(2, 2); !s.ok()) return s;
    const Expr& n = *call.args[1];
    if (n.kind != Expr::Kind::kInteger && n.kind != Expr::Kind::kNumber) {
      return Invalid("expected float argument in percentile()");
    }
  } else if (absl::Status s = arity(1, 1); !s.ok()) {
    return s;
  }
  if (call.args[0]->kind != Expr::Kind::kVarRef) {
    return Invalid(absl::StrCat("expected field argument in ", call.name, "()"));
  }
  return absl::OkStatus();
}

enum class ValueKind { kUnknown, kFloat, kInteger, kString, kBoolean };

const char* KindName(ValueKind kind) {
  switch (kind) {
    case ValueKind::kFloat:
      return "float";
    case ValueKind::kInteger:
      return "integer";
    case ValueKind::kString:
      return "string";
    case ValueKind::kBoolean:
      return "boolean";
    default:
      return "unknown";
  }
}

absl::Status SelectExecutor::CheckTypes() const {
  auto field_kind = [&](const Expr& var) {
    for (const Source& source : sources_) {
      auto it = source.schema.fields.find(var.name);
      if (it == source.schema.fields.end() || !SelectsField(source, var)) continue;
      switch (it->second) {
        case FieldType::kFloat:
          return ValueKind::kFloat;
        case FieldType::kInt:
        case FieldType::kUint:
          return ValueKind::kInteger;
        case FieldType::kBool:
          return ValueKind::kBoolean;
        case FieldType::kString:
          return ValueKind::kString;
      }
    }
    return ValueKind::kUnknown;
  };
  std::function<absl::StatusOr<ValueKind>(const Expr&)> kind_of =
      [&](const Expr& e) -> absl::StatusOr<ValueKind> {
    switch (e.kind) {
      case Expr::Kind::kVarRef:
        return field_kind(e);
      case Expr::Kind::kNumber:
        return ValueKind::kFloat;
      case Expr::Kind::kInteger:
      case Expr::Kind::kDuration:
        return ValueKind::kInteger;
      case Expr::Kind::kString:
        return ValueKind::kString;
      case Expr::Kind::kBoolean:
        return ValueKind::kBoolean;
      case Expr::Kind::kParen:
        return kind_of(*e.lhs);
      case Expr::Kind::kCall: {
        std::optional<FunctionKind> function = LookupFunction(e.name);
        if (!function.has_value() || e.args.empty()) return ValueKind::kUnknown;
        auto input = kind_of(*e.args[0]);
        if (!input.ok()) return input;
        const bool text = *input == ValueKind::kString, boolean = *input == ValueKind::kBoolean;
        bool takes = true;
        switch (*function) {
          case FunctionKind::kCount:
            return ValueKind::kInteger;
          case FunctionKind::kFirst:
          case FunctionKind::kLast:
          case FunctionKind::kMode:
            return *input;
          case FunctionKind::kMin:
          case FunctionKind::kMax:
            takes = !text;
            break;
          default:
            takes = !text && !boolean;
        }
        if (!takes) {
          std::string name = e.name == "cumulative_sum" ? "cumulative sum" : e.name;
          return absl::InvalidArgumentError(
              absl::StrCat("unsupported ", name, " iterator type: *query.",
                           text ? "stringInterruptIterator" : "booleanInterruptIterator"));
        }
        switch (*function) {
          case FunctionKind::kMean:
          case FunctionKind::kMedian:
          case FunctionKind::kStddev:
          case FunctionKind::kDerivative:
          case FunctionKind::kNonNegativeDerivative:
          case FunctionKind::kMovingAverage:
            return ValueKind::kFloat;
          default:
            return *input;
        }
      }
      case Expr::Kind::kBinary: {
        auto lhs = kind_of(*e.lhs);
        if (!lhs.ok()) return lhs;
        auto rhs = kind_of(*e.rhs);
        if (!rhs.ok()) return rhs;
        const bool arithmetic =
            e.op == influxql::BinaryOp::kAdd || e.op == influxql::BinaryOp::kSub ||
            e.op == influxql::BinaryOp::kMul || e.op == influxql::BinaryOp::kDiv ||
            e.op == influxql::BinaryOp::kMod;
        if (!arithmetic) return ValueKind::kUnknown;
        auto textual = [](ValueKind k) {
          return k == ValueKind::kString || k == ValueKind::kBoolean;
        };
        if ((textual(*lhs) || textual(*rhs)) && *lhs != ValueKind::kUnknown &&
            *rhs != ValueKind::kUnknown) {
          return absl::InvalidArgumentError(absl::StrCat("type error: ", influxql::ToString(e),
                                                         ": incompatible types: ", KindName(*lhs),
                                                         " and ", KindName(*rhs)));
        }
        if (*lhs == ValueKind::kInteger && *rhs == ValueKind::kInteger &&
            e.op != influxql::BinaryOp::kDiv) {
          return ValueKind::kInteger;
        }
        return ValueKind::kFloat;
      }
      default:
        return ValueKind::kUnknown;
    }
  };
  for (const Column& column : columns_) {
    auto kind = kind_of(*column.expr);
    if (!kind.ok()) return kind.status();
  }
  return absl::OkStatus();
}

absl::Status SelectExecutor::Analyze() {
  if (s_.has_into) return Invalid("SELECT ... INTO is not supported");
  // tz() would shift day windows and print local times; refused rather than answered in UTC.
  if (!s_.timezone.empty() && s_.timezone != "UTC" && s_.timezone != "Etc/UTC") {
    return Invalid("tz() is not supported: times are answered in UTC");
  }
  if (columns_.empty() && !s_.fields.empty() && sources_.empty()) return absl::OkStatus();
  bool raw_reference = false;
  for (const Column& column : columns_) {
    // Identifiers outside any call, and every call's validity.
    std::function<absl::Status(const Expr&)> walk = [&](const Expr& e) -> absl::Status {
      switch (e.kind) {
        case Expr::Kind::kVarRef:
          if (e.name == "time")
            return Invalid("time cannot be selected with other than aggregates");
          raw_reference = true;
          return absl::OkStatus();
        case Expr::Kind::kCall:
          return ValidateCall(e, false);
        case Expr::Kind::kWildcard:
          raw_reference = true;
          return absl::OkStatus();
        case Expr::Kind::kRegex:
          return Invalid("regular expressions are only allowed as a function's field argument");
        default:
          for (const Expr* child : {e.lhs.get(), e.rhs.get()}) {
            if (child != nullptr) {
              if (absl::Status s = walk(*child); !s.ok()) return s;
            }
          }
          return absl::OkStatus();
      }
    };
    if (absl::Status s = walk(*column.expr); !s.ok()) return s;
  }
  if (aggregate_ && raw_reference) {
    // One selector may bring other fields and tags of the point it selects (InfluxDB's
    // auxiliary fields); anything else mixes rows and aggregates.
    const std::vector<CallSlot> slots = Slots();
    if (slots.size() != 1 || !IsSelector(slots[0].kind) || has_transformation_) {
      return Invalid("mixing aggregate and non-aggregate queries is not supported");
    }
    for (const Column& column : columns_) {
      if (column.expr->kind == Expr::Kind::kVarRef) aux_.push_back(column.expr.get());
    }
    if (aux_.size() + 1 != columns_.size()) {
      return Invalid("mixing aggregate and non-aggregate queries is not supported");
    }
  }
  if (!aggregate_ && s_.group_by_interval_ns != 0) {
    return Invalid("GROUP BY requires at least one aggregate function");
  }
  for (const std::string& pattern : s_.group_by_regexes) {
    auto re = std::make_unique<RE2>(pattern, RE2::Quiet);
    if (!re->ok()) return Invalid("invalid regular expression /" + pattern + "/: " + re->error());
    group_regexes_.push_back(std::move(re));
  }
  interval_ = s_.group_by_interval_ns;
  if (interval_ < 0) return Invalid("GROUP BY time interval must be positive");
  if (interval_ > 0) {
    offset_ = s_.group_by_offset_ns % interval_;
    if (offset_ < 0) offset_ += interval_;
  }
  auto split = SplitTimeCondition(s_.condition.get(), request_.now_ns);
  if (!split.ok()) return split.status();
  range_ = split->range;
  rest_ = std::move(split->rest);
  // Transformations of windows read one extra window beyond the range (before it, or after it
  // under ORDER BY time DESC), so that the first window of the answer has a value; the rows of
  // the extra window are left out. One window whatever moving_average's length: that is what
  // InfluxDB 1.x's iterators end up reading (its ExtraIntervals only widens the shard lookup).
  if (interval_ > 0) {
    bool extra = false;
    for (const Column& column : columns_) {
      const Expr& e = *column.expr;
      if (e.kind != Expr::Kind::kCall || e.args.empty() || e.args[0]->kind != Expr::Kind::kCall) {
        continue;
      }
      std::optional<FunctionKind> kind = LookupFunction(e.name);
      extra |= kind.has_value() && IsTransformation(*kind) && *kind != FunctionKind::kCumulativeSum;
    }
    if (extra && !s_.order_desc && range_.has_min) {
      output_from_ = WindowOf(range_.min);
      if (range_.min >= kMinTime + interval_) range_.min -= interval_;
    } else if (extra && s_.order_desc && range_.has_max) {
      output_until_ = WindowOf(range_.max);
      if (range_.max <= kMaxTime - interval_) range_.max += interval_;
    }
  }
  if (absl::Status s = CheckTypes(); !s.ok()) return s;
  // GROUP BY time() without an upper bound ends now, as InfluxDB's.
  if (interval_ > 0 && !range_.has_max) range_.max = request_.now_ns;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<SeriesRows>> SelectExecutor::LoadSeries(
    const Source& source, const std::vector<std::string>& fields,
    std::vector<TagMatcher> matchers) {
  SeriesSelector selector;
  selector.database = source.database;
  selector.measurement = source.measurement;
  selector.matchers = std::move(matchers);
  selector.fields = fields;
  selector.min_time = range_.min;
  selector.max_time = range_.max;
  auto data = db_.Query(selector);
  if (!data.ok()) return data.status();

  absl::flat_hash_map<std::string_view, size_t> field_index;
  for (size_t i = 0; i < fields.size(); ++i) field_index[fields[i]] = i;
  // One entry per series (the engine returns a series' fields next to each other).
  std::map<Tags, std::vector<const SeriesData*>> by_series;
  for (const SeriesData& d : *data) {
    if (d.timestamps.empty()) continue;
    by_series[d.tags].push_back(&d);
  }
  std::vector<SeriesRows> out;
  out.reserve(by_series.size());
  for (auto& [tags, parts] : by_series) {
    SeriesRows rows;
    rows.tags = tags;
    // Union of the fields' timestamps.
    for (const SeriesData* d : parts) {
      rows.times.insert(rows.times.end(), d->timestamps.begin(), d->timestamps.end());
    }
    if (parts.size() > 1) {
      std::sort(rows.times.begin(), rows.times.end());
      rows.times.erase(std::unique(rows.times.begin(), rows.times.end()), rows.times.end());
    }
    rows.columns.assign(fields.size(), std::vector<Value>(rows.times.size()));
    for (const SeriesData* d : parts) {
      auto it = field_index.find(d->field);
      if (it == field_index.end()) continue;
      std::vector<Value>& column = rows.columns[it->second];
      size_t r = 0;
      for (size_t i = 0; i < d->timestamps.size(); ++i) {
        while (rows.times[r] < d->timestamps[i]) ++r;
        column[r] = ValueAt(d->values, i);
      }
    }
    data_min_time_ = std::min(data_min_time_, rows.times.front());
    out.push_back(std::move(rows));
  }
  return out;
}

Tags SelectExecutor::GroupKey(const Tags& series_tags) const {
  Tags key;
  if (s_.group_by_all_tags) {
    // Every tag key of the statement's measurements, a missing one as "" (InfluxDB's
    // dimensions for GROUP BY *).
    for (const std::string& tag : all_tag_keys_) {
      key.emplace_back(tag, std::string(TagValue(series_tags, tag)));
    }
    return key;
  }
  for (const std::string& tag : s_.group_by_tags) {
    key.emplace_back(tag, std::string(TagValue(series_tags, tag)));
  }
  for (const auto& re : group_regexes_) {
    for (const auto& [k, v] : series_tags) {
      if (RE2::PartialMatch(k, *re)) key.emplace_back(k, v);
    }
  }
  std::sort(key.begin(), key.end());
  key.erase(std::unique(key.begin(), key.end()), key.end());
  return key;
}

ResultSeries SelectExecutor::NewSeries(const Source& source, const Tags& group_tags) const {
  ResultSeries result;
  result.name = source.measurement;
  result.tags = group_tags;
  result.has_time = true;
  result.columns.push_back("time");
  for (const Column& column : columns_) result.columns.push_back(column.name);
  return result;
}

std::vector<Group> SelectExecutor::MakeGroups(const std::vector<SeriesRows>& series) const {
  std::map<Tags, Group> groups;
  for (const SeriesRows& rows : series) {
    Tags key = GroupKey(rows.tags);
    Group& group = groups[key];
    group.tags = std::move(key);
    group.series.push_back(&rows);
  }
  std::vector<Group> out;
  out.reserve(groups.size());
  for (auto& [key, group] : groups) {
    for (uint32_t s = 0; s < group.series.size(); ++s) {
      const SeriesRows& rows = *group.series[s];
      for (uint32_t r = 0; r < rows.times.size(); ++r) group.rows.push_back({rows.times[r], s, r});
    }
    // Stable: rows of one time keep the series order (series key order).
    std::stable_sort(group.rows.begin(), group.rows.end(),
                     [](const RowRef& a, const RowRef& b) { return a.time < b.time; });
    out.push_back(std::move(group));
  }
  return out;
}

absl::Status SelectExecutor::RunSource(const Source& source, std::vector<ResultSeries>* out) {
  current_source_ = &source;
  // Fields to read: those the select list and the condition name.
  std::vector<std::string> fields;
  absl::flat_hash_set<std::string> field_set;
  auto add_field = [&](const std::string& name) {
    if (source.schema.fields.contains(name) && field_set.insert(name).second) {
      fields.push_back(name);
    }
  };
  bool selects_a_field = false;
  for (const Column& column : columns_) {
    VisitExpr(*column.expr, [&](const Expr& e) {
      if (e.kind == Expr::Kind::kVarRef && SelectsField(source, e)) {
        add_field(e.name);
        if (source.schema.fields.contains(e.name)) selects_a_field = true;
      }
    });
  }
  if (!selects_a_field) return absl::OkStatus();  // Nothing of this measurement is selected.

  std::unique_ptr<Expr> condition = rest_ != nullptr ? influxql::Clone(*rest_) : nullptr;
  std::vector<TagMatcher> matchers;
  PushDownTagMatchers(
      &condition, [&](const Expr& var) { return ConditionTag(source, var); }, &matchers);
  if (condition != nullptr) {
    VisitExpr(*condition, [&](const Expr& e) {
      if (e.kind == Expr::Kind::kVarRef && !ConditionTag(source, e)) add_field(e.name);
    });
  }
  if (aggregate_ && condition == nullptr) {
    std::vector<CallSlot> slots = Slots();
    if (Mergeable(source, slots)) return RunMergeable(source, fields, std::move(matchers), out);
  }
  auto loaded = LoadSeries(source, fields, std::move(matchers));
  if (!loaded.ok()) return loaded.status();
  std::vector<SeriesRows>& series = *loaded;

  if (condition != nullptr) {
    auto evaluator = Evaluator::Create(condition.get());
    if (!evaluator.ok()) return evaluator.status();
    absl::flat_hash_map<std::string_view, size_t> field_index;
    for (size_t i = 0; i < fields.size(); ++i) field_index[fields[i]] = i;
    for (SeriesRows& rows : series) {
      size_t r = 0;
      Lookup lookup = [&](const Expr& var) -> Value {
        if (ConditionTag(source, var)) return std::string(TagValue(rows.tags, var.name));
        auto it = field_index.find(var.name);
        if (it == field_index.end()) return Value{};
        return rows.columns[it->second][r];
      };
      size_t kept = 0;
      for (r = 0; r < rows.times.size(); ++r) {
        if (!evaluator->Holds(*condition, lookup)) continue;
        if (kept != r) {  // A self-move would empty strings.
          rows.times[kept] = rows.times[r];
          for (auto& column : rows.columns) column[kept] = std::move(column[r]);
        }
        ++kept;
      }
      rows.times.resize(kept);
      for (auto& column : rows.columns) column.resize(kept);
    }
    std::erase_if(series, [](const SeriesRows& rows) { return rows.times.empty(); });
  }
  if (absl::Status s = CheckDeadline(); !s.ok()) return s;

  std::vector<Group> groups = MakeGroups(series);
  field_index_.clear();
  for (size_t i = 0; i < fields.size(); ++i) field_index_[fields[i]] = i;
  const std::vector<CallSlot> slots = aggregate_ ? Slots() : std::vector<CallSlot>();
  for (Group& group : groups) {
    ResultSeries result = NewSeries(source, group.tags);
    absl::Status s = aggregate_
                         ? EmitAggregateRows(slots, WindowsFromRows(source, group, slots), &result)
                         : RawRows(source, group, &result);
    if (!s.ok()) return s;
    if (absl::Status f = Finish(&result); !f.ok()) return f;
    if (!result.values.empty()) out->push_back(std::move(result));
    if (absl::Status d = CheckDeadline(); !d.ok()) return d;
  }
  return absl::OkStatus();
}

absl::Status SelectExecutor::RawRows(const Source& source, Group& group, ResultSeries* out) {
  auto evaluator = Evaluator::Create(nullptr);
  if (!evaluator.ok()) return evaluator.status();
  const RowRef* current = nullptr;
  Lookup lookup = [&](const Expr& var) -> Value {
    const SeriesRows& rows = *group.series[current->series];
    if (SelectsField(source, var)) {
      auto it = field_index_.find(var.name);
      if (it == field_index_.end()) return Value{};
      return rows.columns[it->second][current->row];
    }
    const auto* tag = FindTag(rows.tags, var.name);
    if (tag == nullptr) return Value{};
    return tag->second;
  };
  if (!has_transformation_) {
    // A row is emitted when a field the select list names has a value in it, even if an
    // expression over it is null (as InfluxDB's auxiliary iterators do).
    std::vector<size_t> referenced;
    for (const Column& column : columns_) {
      VisitExpr(*column.expr, [&](const Expr& e) {
        if (e.kind != Expr::Kind::kVarRef || !SelectsField(source, e)) return;
        auto it = field_index_.find(e.name);
        if (it != field_index_.end()) referenced.push_back(it->second);
      });
    }
    for (const RowRef& ref : group.rows) {
      const SeriesRows& rows = *group.series[ref.series];
      bool any = false;
      for (size_t f : referenced) {
        any |= !std::holds_alternative<std::monostate>(rows.columns[f][ref.row]);
      }
      if (!any) continue;
      current = &ref;
      std::vector<Value> values;
      values.reserve(1 + columns_.size());
      values.emplace_back(ref.time);
      for (const Column& column : columns_) values.push_back(evaluator->Eval(*column.expr, lookup));
      out->values.push_back(std::move(values));
    }
    return absl::OkStatus();
  }
  // With transformations each column is a series of its own; rows join them by time. Points of
  // one time repeat (cumulative_sum over joined series emits one per point), so the k-th point of
  // a time in one column pairs with the k-th of the others.
  std::vector<std::vector<TimedValue>> series(columns_.size());
  for (size_t c = 0; c < columns_.size(); ++c) {
    const Expr& e = *columns_[c].expr;
    const bool transform = e.kind == Expr::Kind::kCall && IsTransformation(*LookupFunction(e.name));
    const Expr& input = transform ? *e.args[0] : e;
    std::vector<TimedValue>& points = series[c];
    for (const RowRef& ref : group.rows) {
      current = &ref;
      Value v = evaluator->Eval(input, lookup);
      if (!std::holds_alternative<std::monostate>(v)) points.push_back({ref.time, std::move(v)});
    }
    if (transform) {
      // ORDER BY time DESC runs transformations over the descending series, as InfluxDB does.
      if (s_.order_desc) std::reverse(points.begin(), points.end());
      int64_t argument = e.args.size() == 2 ? e.args[1]->integer : 0;
      points = Transform(*LookupFunction(e.name), points, argument);
      if (s_.order_desc) std::reverse(points.begin(), points.end());
    }
  }
  std::vector<size_t> next(columns_.size(), 0);
  for (;;) {
    int64_t time = kMaxTime;
    bool any = false;
    for (size_t c = 0; c < columns_.size(); ++c) {
      if (next[c] < series[c].size()) {
        time = std::min(time, series[c][next[c]].time);
        any = true;
      }
    }
    if (!any) break;
    std::vector<Value> row;
    row.reserve(1 + columns_.size());
    row.emplace_back(time);
    for (size_t c = 0; c < columns_.size(); ++c) {
      if (next[c] < series[c].size() && series[c][next[c]].time == time) {
        row.push_back(std::move(series[c][next[c]++].value));
      } else {
        row.emplace_back();
      }
    }
    out->values.push_back(std::move(row));
  }
  return absl::OkStatus();
}

Value FillNumber(const SelectStatement& s) {
  if (s.fill_value_is_integer) return s.fill_integer;
  return s.fill_value;
}

// fill(linear): the value at time t on the line through (x1, a) and (x2, b), computed as InfluxDB's
// linearFloat/linearInteger do (the slope times the distance from x1, in float64; integers
// truncated), so that rounding matches too.
Value Interpolate(int64_t t, int64_t x1, const Value& a, int64_t x2, const Value& b) {
  const double span = static_cast<double>(x2 - x1);
  const double into = static_cast<double>(t - x1);
  if (std::holds_alternative<int64_t>(a) && std::holds_alternative<int64_t>(b)) {
    // The fraction of the way first: InfluxDB 1.6.7 puts 228 halfway between -28 and 484,
    // where the slope times the distance gives 227.99999999999997.
    const double fraction = into / span;
    return static_cast<int64_t>(
        static_cast<double>(std::get<int64_t>(a)) +
        fraction * static_cast<double>(std::get<int64_t>(b) - std::get<int64_t>(a)));
  }
  if (std::holds_alternative<double>(a) && std::holds_alternative<double>(b)) {
    double m = (std::get<double>(b) - std::get<double>(a)) / span;
    return m * into + std::get<double>(a);
  }
  return Value{};
}

std::vector<CallSlot> SelectExecutor::Slots() const {
  std::vector<CallSlot> slots;
  for (const Column& column : columns_) {
    VisitExpr(*column.expr, [&](const Expr& e) {
      if (e.kind != Expr::Kind::kCall) return;
      FunctionKind kind = *LookupFunction(e.name);
      if (IsTransformation(kind)) return;
      CallSlot slot;
      slot.call = &e;
      slot.kind = kind;
      slot.field = e.args[0]->name;
      if (kind == FunctionKind::kPercentile) {
        slot.argument = e.args[1]->kind == Expr::Kind::kInteger
                            ? static_cast<double>(e.args[1]->integer)
                            : e.args[1]->number;
      }
      slots.push_back(std::move(slot));
    });
  }
  return slots;
}

WindowedValues SelectExecutor::WindowsFromRows(const Source& source, const Group& group,
                                               const std::vector<CallSlot>& slots) const {
  WindowedValues windows;
  windows.values.resize(slots.size());
  std::vector<TimedValue> points;
  for (size_t i = 0; i < group.rows.size();) {
    const int64_t start = WindowOf(group.rows[i].time);
    size_t j = i;
    while (j < group.rows.size() && WindowOf(group.rows[j].time) == start) ++j;
    windows.starts.push_back(start);
    for (size_t s = 0; s < slots.size(); ++s) {
      const CallSlot& slot = slots[s];
      auto field = field_index_.find(slot.field);
      std::optional<TimedValue> value;
      if (field != field_index_.end() && SelectsField(source, *slot.call->args[0])) {
        points.clear();
        for (size_t k = i; k < j; ++k) {
          const RowRef& ref = group.rows[k];
          const Value& v = group.series[ref.series]->columns[field->second][ref.row];
          if (!std::holds_alternative<std::monostate>(v)) {
            points.push_back({ref.time, v, static_cast<uint32_t>(k)});
          }
        }
        value = Reduce(slot.kind, points, slot.argument);
      }
      if (!aux_.empty()) {  // The other fields and tags of the selected point.
        std::vector<Value> aux(aux_.size());
        if (value.has_value()) {
          const RowRef& ref = group.rows[value->tag];
          const SeriesRows& rows = *group.series[ref.series];
          for (size_t a = 0; a < aux_.size(); ++a) {
            if (SelectsField(source, *aux_[a])) {
              auto it = field_index_.find(aux_[a]->name);
              if (it != field_index_.end()) aux[a] = rows.columns[it->second][ref.row];
            } else if (const auto* tag = FindTag(rows.tags, aux_[a]->name)) {
              aux[a] = tag->second;
            }
          }
        }
        windows.aux.push_back(std::move(aux));
      }
      windows.values[s].push_back(std::move(value));
    }
    i = j;
  }
  return windows;
}

absl::Status SelectExecutor::EmitAggregateRows(const std::vector<CallSlot>& slots,
                                               const WindowedValues& windows, ResultSeries* out) {
  // The windows: [first_start + k * interval, ...) up to the one holding the upper bound.
  int64_t first_start = WindowOf(0);
  uint64_t window_count = 1;
  if (interval_ > 0) {
    int64_t lo = range_.has_min ? range_.min : data_min_time_;
    int64_t hi = range_.max;
    if (lo > hi) return absl::OkStatus();
    first_start = WindowOf(lo);
    window_count =
        static_cast<uint64_t>((static_cast<__int128>(WindowOf(hi)) - first_start) / interval_) + 1;
    if (window_count > static_cast<uint64_t>(limits_.max_buckets)) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "max-select-buckets limit exceeded: (", window_count, "/", limits_.max_buckets,
          "): narrow the time range or widen the GROUP BY time interval"));
    }
  }
  // fill(none) emits the windows with points; other fills every window of the range.
  const bool dense = s_.fill != SelectStatement::Fill::kNone && interval_ > 0;
  const size_t emitted = dense ? window_count : windows.starts.size();
  if (rows_total_ + static_cast<int64_t>(emitted) > limits_.max_rows) {
    return absl::ResourceExhaustedError(
        absl::StrCat("max-select-point limit exceeded: more than ", limits_.max_rows, " rows"));
  }
  auto window_time = [&](size_t position) -> int64_t {
    return dense ? first_start + static_cast<int64_t>(position) * interval_
                 : windows.starts[position];
  };
  std::vector<std::vector<std::optional<TimedValue>>> at(slots.size());
  for (size_t s = 0; s < slots.size(); ++s) {
    at[s].resize(emitted);
    for (size_t i = 0; i < windows.starts.size(); ++i) {
      size_t position = i;
      if (dense) {
        if (windows.starts[i] < first_start) continue;
        position = static_cast<size_t>((windows.starts[i] - first_start) / interval_);
        if (position >= emitted) continue;
      }
      at[s][position] = windows.values[s][i];
    }
  }
  absl::flat_hash_map<const Expr*, size_t> slot_of;
  for (size_t s = 0; s < slots.size(); ++s) slot_of[slots[s].call] = s;
  std::vector<std::vector<Value>> aux_at(windows.aux.empty() ? 0 : emitted);
  for (size_t i = 0; i < windows.aux.size(); ++i) {
    size_t position = i;
    if (dense) {
      if (windows.starts[i] < first_start) continue;
      position = static_cast<size_t>((windows.starts[i] - first_start) / interval_);
      if (position >= emitted) continue;
    }
    aux_at[position] = windows.aux[i];
  }

  // Whether a call's results are integers: counts, and integer fields through the functions
  // that keep their type.
  std::vector<bool> slot_integer(slots.size());
  for (size_t s = 0; s < slots.size(); ++s) {
    switch (slots[s].kind) {
      case FunctionKind::kCount:
        slot_integer[s] = true;
        break;
      case FunctionKind::kMean:
      case FunctionKind::kMedian:
      case FunctionKind::kStddev:
        break;
      default:
        slot_integer[s] = IntegerField(slots[s].field);
    }
  }
  // Fill the windows a call has no value for.
  for (size_t s = 0; s < slots.size(); ++s) {
    std::vector<std::optional<TimedValue>>& values = at[s];
    switch (s_.fill) {
      case SelectStatement::Fill::kNone:
        break;
      case SelectStatement::Fill::kNull:
        if (slots[s].kind == FunctionKind::kCount) {  // InfluxDB counts an empty window as 0.
          for (auto& v : values) {
            if (!v.has_value()) v = TimedValue{0, int64_t{0}};
          }
        }
        break;
      case SelectStatement::Fill::kNumber: {
        // The fill value takes the column's type: fill(2.5) fills an integer sum with 2, and
        // boolean and string columns get false and "" (Go's zero values), as InfluxDB does.
        Value fill = FillNumber(s_);
        const FieldType type = FieldTypeOf(slots[s].field);
        const bool keeps_type =
            slots[s].kind == FunctionKind::kFirst || slots[s].kind == FunctionKind::kLast ||
            slots[s].kind == FunctionKind::kMode || slots[s].kind == FunctionKind::kMin ||
            slots[s].kind == FunctionKind::kMax;
        if (keeps_type && type == FieldType::kBool) {
          fill = false;
        } else if (keeps_type && type == FieldType::kString) {
          fill = std::string();
        } else if (slot_integer[s] && std::holds_alternative<double>(fill)) {
          fill = static_cast<int64_t>(std::get<double>(fill));
        } else if (!slot_integer[s] && std::holds_alternative<int64_t>(fill)) {
          fill = static_cast<double>(std::get<int64_t>(fill));
        }
        for (auto& v : values) {
          if (!v.has_value()) v = TimedValue{0, fill};
        }
        break;
      }
      case SelectStatement::Fill::kPrevious:
      case SelectStatement::Fill::kLinear: {
        // In output order: under ORDER BY time DESC the "previous" window is the later one.
        const size_t n = values.size();
        auto at_order = [&](size_t i) -> size_t { return s_.order_desc ? n - 1 - i : i; };
        std::optional<size_t> previous;
        for (size_t i = 0; i < n; ++i) {
          const size_t p = at_order(i);
          if (!values[p].has_value()) {
            if (s_.fill == SelectStatement::Fill::kPrevious && previous.has_value()) {
              values[p] = values[at_order(*previous)];
            }
            continue;
          }
          if (s_.fill == SelectStatement::Fill::kLinear && previous.has_value() &&
              i - *previous > 1) {
            const size_t from = at_order(*previous);
            const int64_t x1 = window_time(from), x2 = window_time(p);
            for (size_t k = *previous + 1; k < i; ++k) {
              const size_t q = at_order(k);
              Value v = Interpolate(window_time(q), x1, values[from]->value, x2, values[p]->value);
              if (!std::holds_alternative<std::monostate>(v)) values[q] = TimedValue{0, v};
            }
          }
          previous = i;
        }
        break;
      }
    }
  }

  // Transformations of aggregates: a series over the windows, with the interval as default unit.
  absl::flat_hash_map<const Expr*, absl::flat_hash_map<int64_t, Value>> transformed;
  for (const Column& column : columns_) {
    const Expr& e = *column.expr;
    if (e.kind != Expr::Kind::kCall || !IsTransformation(*LookupFunction(e.name))) continue;
    const std::vector<std::optional<TimedValue>>& inner = at[slot_of[e.args[0].get()]];
    std::vector<TimedValue> series;
    for (size_t p = 0; p < emitted; ++p) {
      if (inner[p].has_value() && !std::holds_alternative<std::monostate>(inner[p]->value)) {
        series.push_back({window_time(p), inner[p]->value});
      }
    }
    if (s_.order_desc) std::reverse(series.begin(), series.end());
    int64_t argument = e.args.size() == 2 ? e.args[1]->integer : interval_;
    auto& by_time = transformed[&e];
    for (TimedValue& p : Transform(*LookupFunction(e.name), series, argument)) {
      by_time[p.time] = std::move(p.value);
    }
  }

  // A lone selector without GROUP BY time reports its point's time (InfluxDB's selector rule).
  const bool selector_time =
      interval_ == 0 && slots.size() == 1 && IsSelector(slots[0].kind) && !has_transformation_;
  std::function<Value(const Expr&, size_t)> eval = [&](const Expr& e, size_t position) -> Value {
    switch (e.kind) {
      case Expr::Kind::kCall: {
        auto t = transformed.find(&e);
        if (t != transformed.end()) {
          auto v = t->second.find(window_time(position));
          return v == t->second.end() ? Value{} : v->second;
        }
        const std::optional<TimedValue>& v = at[slot_of[&e]][position];
        return v.has_value() ? v->value : Value{};
      }
      case Expr::Kind::kParen:
        return eval(*e.lhs, position);
      case Expr::Kind::kVarRef: {
        auto it = std::find(aux_.begin(), aux_.end(), &e);
        if (it == aux_.end() || aux_at[position].empty()) return Value{};
        return aux_at[position][it - aux_.begin()];
      }
      case Expr::Kind::kBinary:
        return ApplyBinary(e.op, eval(*e.lhs, position), eval(*e.rhs, position));
      case Expr::Kind::kNumber:
        return e.number;
      case Expr::Kind::kInteger:
      case Expr::Kind::kDuration:
        return e.integer;
      case Expr::Kind::kString:
        return e.name;
      case Expr::Kind::kBoolean:
        return e.boolean;
      default:
        return Value{};
    }
  };
  for (size_t p = 0; p < emitted; ++p) {
    std::vector<Value> row;
    row.reserve(1 + columns_.size());
    int64_t time = window_time(p);
    if (selector_time && at[0][p].has_value()) time = at[0][p]->time;
    row.emplace_back(time);
    bool any = false;
    for (const Column& column : columns_) {
      row.push_back(eval(*column.expr, p));
      any |= !std::holds_alternative<std::monostate>(row.back());
    }
    // Without a fill, a window is emitted when a call has a value there, even a null one
    // (stddev of one point is NaN); rows of transformations need a value.
    bool has_value = false;
    for (const auto& values : at) has_value |= values[p].has_value();
    if (!dense && !has_value) continue;
    if (!any && has_transformation_) continue;
    if (interval_ > 0 && (window_time(p) < output_from_ || window_time(p) > output_until_)) {
      continue;
    }
    out->values.push_back(std::move(row));
  }
  return absl::OkStatus();
}

bool SelectExecutor::Mergeable(const Source& source, const std::vector<CallSlot>& slots) const {
  if (!aux_.empty()) return false;
  for (const CallSlot& slot : slots) {
    switch (slot.kind) {
      case FunctionKind::kCount:
      case FunctionKind::kSum:
      case FunctionKind::kMean:
      case FunctionKind::kMin:
      case FunctionKind::kMax:
      case FunctionKind::kFirst:
      case FunctionKind::kLast:
        break;
      default:
        return false;
    }
    if (!SelectsField(source, *slot.call->args[0])) return false;
    auto type = source.schema.fields.find(slot.field);
    if (type == source.schema.fields.end()) continue;  // Selects nothing here.
    if (type->second != FieldType::kFloat && type->second != FieldType::kInt) return false;
  }
  return !slots.empty();
}

absl::Status SelectExecutor::RunMergeable(const Source& source,
                                          const std::vector<std::string>& fields,
                                          std::vector<TagMatcher> matchers,
                                          std::vector<ResultSeries>* out) {
  const std::vector<CallSlot> slots = Slots();
  absl::flat_hash_map<std::string, size_t> field_of;
  for (size_t i = 0; i < fields.size(); ++i) field_of[fields[i]] = i;
  auto is_integer = [&](const std::string& field) {
    auto it = source.schema.fields.find(field);
    return it != source.schema.fields.end() && it->second == FieldType::kInt;
  };
  // Per group, per window start: one accumulator per field.
  std::map<Tags, std::map<int64_t, std::vector<Accumulator>>> groups;
  auto accumulators = [&](const Tags& tags, int64_t window) -> std::vector<Accumulator>& {
    std::vector<Accumulator>& a = groups[GroupKey(tags)][window];
    if (a.empty()) a.resize(fields.size());
    return a;
  };

  SeriesSelector selector;
  selector.database = source.database;
  selector.measurement = source.measurement;
  selector.matchers = std::move(matchers);
  selector.fields = fields;
  selector.min_time = range_.min;
  selector.max_time = range_.max;
  const bool needs_point_times =
      interval_ == 0 && slots.size() == 1 &&
      (slots[0].kind == FunctionKind::kMin || slots[0].kind == FunctionKind::kMax);
  bool summaries_used = false;
  if (!needs_point_times) {
    WindowSpec spec;
    // Without GROUP BY time, windows of 2^62 ns: four cover every int64 time, and all of them
    // fold into the statement's one window below.
    spec.width_ns = interval_ > 0 ? interval_ : (int64_t{1} << 62);
    spec.offset_ns = interval_ > 0 ? offset_ : 0;
    spec.aggregates = {Aggregate::kCount, Aggregate::kSum,   Aggregate::kMin,
                       Aggregate::kMax,   Aggregate::kFirst, Aggregate::kLast};
    auto windows = db_.QueryWindows(selector, spec);
    if (!windows.ok()) return windows.status();
    // Integers come back as doubles: exact below 2^53, else the points are read instead.
    constexpr double kExact = 9007199254740992.0;
    bool exact = true;
    for (const WindowSeries& w : *windows) {
      if (!is_integer(w.field)) continue;
      for (size_t a = 1; a < w.results.size() && exact; ++a) {
        for (double v : w.results[a]) exact &= std::fabs(v) < kExact;
      }
    }
    if (exact) {
      summaries_used = true;
      for (const WindowSeries& w : *windows) {
        auto field = field_of.find(w.field);
        if (field == field_of.end()) continue;
        const bool integer = is_integer(w.field);
        for (size_t i = 0; i < w.window_starts.size(); ++i) {
          const int64_t start = WindowOf(w.window_starts[i]);
          data_min_time_ = std::min(data_min_time_, w.window_starts[i]);
          Accumulator& acc = accumulators(w.tags, start)[field->second];
          const auto& r = w.results;
          const auto count = static_cast<int64_t>(r[0][i]);
          if (integer) {
            auto n = [](double v) { return static_cast<int64_t>(v); };
            acc.AddSummary<int64_t>(count, r[1][i], n(r[1][i]), n(r[2][i]), n(r[3][i]),
                                    w.first_times[i], n(r[4][i]), w.last_times[i], n(r[5][i]));
          } else {
            acc.AddSummary<double>(count, r[1][i], 0.0, r[2][i], r[3][i], w.first_times[i], r[4][i],
                                   w.last_times[i], r[5][i]);
          }
        }
      }
    }
  }
  if (!summaries_used) {
    groups.clear();
    auto data = db_.Query(selector);
    if (!data.ok()) return data.status();
    for (const SeriesData& d : *data) {
      auto field = field_of.find(d.field);
      if (field == field_of.end() || d.timestamps.empty()) continue;
      data_min_time_ = std::min(data_min_time_, d.timestamps.front());
      std::vector<Accumulator>* current = nullptr;
      int64_t current_start = 0;
      for (size_t i = 0; i < d.timestamps.size(); ++i) {
        const int64_t t = d.timestamps[i];
        const int64_t start = WindowOf(t);
        if (current == nullptr || start != current_start) {
          current = &accumulators(d.tags, start);
          current_start = start;
        }
        Accumulator& acc = (*current)[field->second];
        if (const auto* f = std::get_if<std::vector<double>>(&d.values)) {
          acc.Add(t, (*f)[i]);
        } else if (const auto* n = std::get_if<std::vector<int64_t>>(&d.values)) {
          acc.Add(t, (*n)[i]);
        }
      }
    }
  }
  if (absl::Status d = CheckDeadline(); !d.ok()) return d;

  for (auto& [tags, by_window] : groups) {
    WindowedValues windows;
    windows.values.resize(slots.size());
    for (auto& [start, accs] : by_window) {
      windows.starts.push_back(start);
      for (size_t s = 0; s < slots.size(); ++s) {
        auto field = field_of.find(slots[s].field);
        std::optional<TimedValue> value;
        if (field != field_of.end()) {
          value = accs[field->second].Result(slots[s].kind, is_integer(slots[s].field));
        }
        windows.values[s].push_back(std::move(value));
      }
    }
    ResultSeries result = NewSeries(source, tags);
    if (absl::Status s = EmitAggregateRows(slots, windows, &result); !s.ok()) return s;
    if (absl::Status f = Finish(&result); !f.ok()) return f;
    if (!result.values.empty()) out->push_back(std::move(result));
  }
  return absl::OkStatus();
}

// ORDER BY time DESC, OFFSET and LIMIT of one series, and the statement's row budget.
absl::Status SelectExecutor::Finish(ResultSeries* series) {
  std::vector<std::vector<Value>>& rows = series->values;
  if (s_.order_desc) std::reverse(rows.begin(), rows.end());
  if (s_.offset > 0) {
    size_t drop = std::min(rows.size(), static_cast<size_t>(s_.offset));
    rows.erase(rows.begin(), rows.begin() + static_cast<ptrdiff_t>(drop));
  }
  if (s_.limit > 0 && rows.size() > static_cast<size_t>(s_.limit)) rows.resize(s_.limit);
  rows_total_ += static_cast<int64_t>(rows.size());
  if (rows_total_ > limits_.max_rows) {
    return absl::ResourceExhaustedError(
        absl::StrCat("max-select-point limit exceeded: more than ", limits_.max_rows, " rows"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ResultSeries>> SelectExecutor::Run() {
  if (s_.has_into) return Invalid("SELECT ... INTO is not supported");
  if (absl::Status s = ResolveSources(); !s.ok()) return s;
  if (absl::Status s = ExpandColumns(); !s.ok()) return s;
  if (absl::Status s = Analyze(); !s.ok()) return s;
  std::vector<ResultSeries> out;
  if (columns_.empty()) return out;
  for (const Source& source : sources_) {
    std::vector<ResultSeries> series;
    if (absl::Status s = RunSource(source, &series); !s.ok()) return s;
    // SLIMIT and SOFFSET count the series of each measurement, in ascending order (InfluxDB 1.x).
    if (s_.soffset > 0) {
      size_t drop = std::min(series.size(), static_cast<size_t>(s_.soffset));
      series.erase(series.begin(), series.begin() + static_cast<ptrdiff_t>(drop));
    }
    if (s_.slimit > 0 && series.size() > static_cast<size_t>(s_.slimit)) series.resize(s_.slimit);
    for (ResultSeries& one : series) out.push_back(std::move(one));
    if (static_cast<int64_t>(out.size()) > limits_.max_series) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "max-select-series limit exceeded: more than ", limits_.max_series, " series"));
    }
  }
  // InfluxDB orders the series themselves backwards too under ORDER BY time DESC.
  if (s_.order_desc) std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace

absl::StatusOr<std::vector<ResultSeries>> ExecuteSelect(Db& db, const SelectStatement& statement,
                                                        const QueryRequest& request,
                                                        const QueryLimits& limits,
                                                        absl::Time deadline) {
  SelectExecutor executor(db, statement, request, limits, deadline);
  return executor.Run();
}

}  // namespace edgetsdb::query
