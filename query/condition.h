// WHERE clauses: time bounds taken out of the condition, tag terms pushed down to the engine as
// TagMatchers, and the rest evaluated row by row.
#ifndef EDGETSDB_QUERY_CONDITION_H_
#define EDGETSDB_QUERY_CONDITION_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "edgetsdb/db.h"
#include "query/engine.h"
#include "query/influxql/ast.h"
#include "re2/re2.h"

namespace edgetsdb::query {

// InfluxQL time literals: RFC 3339 with a zone ("Z", "+02:00") and an optional fraction, or
// "2006-01-02 15:04:05[.fraction]" and "2006-01-02" in UTC.
absl::StatusOr<int64_t> ParseTimeLiteral(std::string_view text);

// Nanoseconds of a time expression: now(), a time string, an integer (nanoseconds), a duration
// literal (`1500000000s`, nanoseconds since the epoch), and + or - between them.
absl::StatusOr<int64_t> EvalTimeExpr(const influxql::Expr& expr, int64_t now_ns);

struct TimeRange {
  int64_t min = kMinTime;  // Inclusive.
  int64_t max = kMaxTime;  // Inclusive.
  bool has_min = false;
  bool has_max = false;
};

// The time bounds of a condition (its top-level AND terms on `time`) and what remains. Time may
// not appear under OR or NOT-like constructs: InfluxDB cannot answer those either.
struct SplitCondition {
  TimeRange range;
  std::unique_ptr<influxql::Expr> rest;  // Null when nothing but time remains.
};
absl::StatusOr<SplitCondition> SplitTimeCondition(const influxql::Expr* condition, int64_t now_ns);

// How a WHERE identifier resolves: tags compare as strings (a missing tag as ""), fields by value.
using IsTagKey = std::function<bool(const influxql::Expr& var_ref)>;

// Moves the top-level AND terms `tag = 'v'`, `!=`, `=~ /re/`, `!~` out of *condition into
// matchers (the engine selects series with them); the rest stays. *condition may become null.
void PushDownTagMatchers(std::unique_ptr<influxql::Expr>* condition, const IsTagKey& is_tag,
                         std::vector<TagMatcher>* matchers);

// Looks up the value of a variable in the row being evaluated.
using Lookup = std::function<Value(const influxql::Expr& var_ref)>;

// Evaluates expressions row by row. Regular expressions are compiled once, at construction.
class Evaluator {
 public:
  // Fails on an invalid regular expression.
  static absl::StatusOr<Evaluator> Create(const influxql::Expr* expr);

  // NULL when an operand is NULL or the types do not combine (InfluxDB's behaviour).
  Value Eval(const influxql::Expr& expr, const Lookup& lookup) const;
  // A condition holds only when it evaluates to true.
  bool Holds(const influxql::Expr& expr, const Lookup& lookup) const {
    Value v = Eval(expr, lookup);
    return std::holds_alternative<bool>(v) && std::get<bool>(v);
  }

 private:
  absl::flat_hash_map<const influxql::Expr*, std::shared_ptr<RE2>> regexes_;
};

// Applies a binary arithmetic or comparison operator to two values, as Eval does.
Value ApplyBinary(influxql::BinaryOp op, const Value& lhs, const Value& rhs);

}  // namespace edgetsdb::query

#endif  // EDGETSDB_QUERY_CONDITION_H_
