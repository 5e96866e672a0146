// The syntax tree of the InfluxQL subset edgetsdb accepts (docs/influxql.md), built by ParseQuery
// (query/influxql/parser.h) and walked by the executor.
//
// The tree is plain data: no validation beyond syntax happens here. Whether `time > 'abc'` is a
// sensible time bound, whether a function exists, or whether a field list mixes aggregates and raw
// fields is the executor's business, as in InfluxDB 1.x where the parser accepts such queries and
// the query compiler rejects them.
#ifndef EDGETSDB_QUERY_INFLUXQL_AST_H_
#define EDGETSDB_QUERY_INFLUXQL_AST_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace edgetsdb::query::influxql {

// In precedence order, weakest first: OR; AND; comparisons (=, !=, <, <=, >, >=, =~, !~);
// + - | ^; * / % &. Operators of one level associate to the left.
enum class BinaryOp {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kBitAnd,
  kBitOr,
  kBitXor,
  kAnd,
  kOr,
  kEq,
  kNeq,
  kLt,
  kLte,
  kGt,
  kGte,
  kRegexMatch,    // =~ ; the right side is a kRegex.
  kRegexNoMatch,  // !~
};

// A cast on a variable (`"v"::float`) or the kind filter of a wildcard (`*::tag`).
enum class DataType {
  kUnknown,  // No cast.
  kFloat,
  kInteger,
  kUnsigned,
  kString,
  kBoolean,
  kTime,
  kTag,
  kField,
};

struct Expr {
  enum class Kind {
    kVarRef,    // name, cast. Quoted or not; `time` is a VarRef named "time".
    kCall,      // name (lowercased), args. now() is a Call named "now" without args.
    kBinary,    // op, lhs, rhs.
    kParen,     // lhs: the parenthesized expression.
    kNumber,    // number: a float literal (`1.5`, `.5`, `-2.0`).
    kInteger,   // integer: an integer literal (`10`, `-1`).
    kString,    // name: a single-quoted literal, unescaped. Also time strings:
                // '2020-01-01T00:00:00Z'.
    kRegex,     // name: the pattern between the slashes, with `\/` unescaped to `/`.
    kBoolean,   // boolean: true / false.
    kDuration,  // integer: nanoseconds (`1h30m`, `-5m`).
    kWildcard,  // `*`; cast: kUnknown, or kTag / kField for `*::tag` / `*::field`.
    kNull,      // Reserved; the parser does not produce it (InfluxQL has no NULL literal).
  };

  Expr() = default;
  Expr(Expr&&) = default;
  Expr& operator=(Expr&&) = default;
  // Dismantles the subtree iteratively: a deep tree (kMaxExprTreeDepth levels) is freed without
  // a recursion per level.
  ~Expr();

  Kind kind = Kind::kNull;
  std::string name;
  DataType cast = DataType::kUnknown;
  double number = 0;
  int64_t integer = 0;
  bool boolean = false;
  BinaryOp op = BinaryOp::kAdd;
  std::unique_ptr<Expr> lhs;
  std::unique_ptr<Expr> rhs;
  std::vector<std::unique_ptr<Expr>> args;
};

// Deep copy (Expr is move-only because it owns its children).
std::unique_ptr<Expr> Clone(const Expr& expr);

// InfluxQL text of the expression: identifiers quoted when needed, strings and regexes escaped,
// durations in their largest exact unit (`90m` -> `90m`, `3600s` -> `1h`). Parsing the text again
// gives an equal tree.
std::string ToString(const Expr& expr);

// Structural equality (for tests and for the executor's matching of repeated expressions).
bool Equal(const Expr& a, const Expr& b);

// InfluxQL quoting: an identifier in double quotes when it is a keyword or not a bare word
// (`"my field"`, `"select"`, `host`), a string in single quotes (`'it\'s'`).
std::string QuoteIdent(std::string_view ident);
std::string QuoteString(std::string_view value);

struct Field {
  std::unique_ptr<Expr> expr;
  std::string alias;  // AS alias; empty: none.
};

// The column name InfluxDB 1.x gives the field (influxql Field.Name()): the alias if set; a
// VarRef's name; a Call's name ("mean"); for a binary expression the names of the VarRefs and Calls
// in it, left to right, joined by "_" (`a + b` -> "a_b", `mean(x) * 2` -> "mean"; a Call's
// arguments are not visited); a Paren's inner name; otherwise "".
std::string FieldName(const Field& field);

// A FROM source or a WITH MEASUREMENT filter.
struct Measurement {
  std::string database;          // Empty: the request's database.
  std::string retention_policy;  // Empty: the default policy.
  std::string name;              // Set when !is_regex.
  std::string regex;             // Set when is_regex: the pattern between the slashes.
  bool is_regex = false;
};

// "db"."rp"."m", "db"..m, /regex/ as written in a FROM clause.
std::string ToString(const Measurement& measurement);

struct SortField {
  std::string name;  // Always "time" (InfluxQL only orders by time).
  bool ascending = true;
};

struct SelectStatement {
  enum class Fill { kNull, kNone, kPrevious, kLinear, kNumber };

  std::vector<Field> fields;
  std::vector<Measurement> sources;
  std::unique_ptr<Expr> condition;  // WHERE; null: none.

  // GROUP BY time(interval[, offset]); 0: no time grouping. The offset is as written (may be
  // negative or larger than the interval); the executor normalizes it.
  int64_t group_by_interval_ns = 0;
  int64_t group_by_offset_ns = 0;
  std::vector<std::string> group_by_tags;     // In the order written, without "time".
  bool group_by_all_tags = false;             // GROUP BY *.
  std::vector<std::string> group_by_regexes;  // GROUP BY /regex/ (patterns).

  Fill fill = Fill::kNull;
  double fill_value = 0;               // Fill::kNumber.
  bool fill_value_is_integer = false;  // fill(0) rather than fill(0.0); fill_integer holds it.
  int64_t fill_integer = 0;

  bool order_desc = false;  // ORDER BY time DESC.
  int64_t limit = 0;        // 0: none (as in InfluxDB, LIMIT 0 means no limit).
  int64_t offset = 0;
  int64_t slimit = 0;
  int64_t soffset = 0;
  std::string timezone;   // tz('Europe/Paris'); empty: UTC.
  bool has_into = false;  // Always false: ParseQuery rejects SELECT ... INTO.
};

struct ShowDatabases {};

struct ShowMeasurements {
  std::string database;                    // ON db; empty: the request's database.
  std::optional<Measurement> measurement;  // WITH MEASUREMENT = name | =~ /regex/.
  std::unique_ptr<Expr> condition;
  int64_t limit = 0;
  int64_t offset = 0;
};

struct ShowTagKeys {
  std::string database;
  std::vector<Measurement> sources;  // Empty: all measurements.
  std::unique_ptr<Expr> condition;
  int64_t limit = 0;
  int64_t offset = 0;
  int64_t slimit = 0;
  int64_t soffset = 0;
};

struct ShowTagValues {
  enum class KeyOp { kEq, kNeq, kRegexMatch, kRegexNoMatch, kIn };

  std::string database;
  std::vector<Measurement> sources;
  KeyOp key_op = KeyOp::kEq;
  std::vector<std::string> keys;  // kEq, kNeq: one key; kIn: the list.
  std::string key_regex;          // kRegexMatch, kRegexNoMatch.
  std::unique_ptr<Expr> condition;
  int64_t limit = 0;
  int64_t offset = 0;
};

struct ShowFieldKeys {
  std::string database;
  std::vector<Measurement> sources;
  int64_t limit = 0;
  int64_t offset = 0;
};

struct ShowSeries {
  std::string database;
  std::vector<Measurement> sources;
  std::unique_ptr<Expr> condition;
  int64_t limit = 0;
  int64_t offset = 0;
};

struct ShowRetentionPolicies {
  std::string database;  // ON db; empty: the request's database.
};

// CREATE DATABASE name [WITH [DURATION d] [REPLICATION n] [SHARD DURATION d] [NAME rp]].
struct CreateDatabase {
  std::string name;
  std::optional<int64_t> duration_ns;  // WITH DURATION 30d; 0 means INF (keep forever).
  std::optional<int64_t> replication;
  std::optional<int64_t> shard_duration_ns;
  std::string retention_policy_name;  // WITH ... NAME rp; empty: not given.
};

struct DropDatabase {
  std::string name;
};

using Statement =
    std::variant<SelectStatement, ShowDatabases, ShowMeasurements, ShowTagKeys, ShowTagValues,
                 ShowFieldKeys, ShowSeries, ShowRetentionPolicies, CreateDatabase, DropDatabase>;

struct Query {
  std::vector<Statement> statements;
};

}  // namespace edgetsdb::query::influxql

#endif  // EDGETSDB_QUERY_INFLUXQL_AST_H_
