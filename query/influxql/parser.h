// InfluxQL parsing: text -> Query (query/influxql/ast.h). The grammar subset, what is rejected and
// why, is docs/influxql.md.
//
// The parser takes untrusted input: it runs in time linear in the text, bounds its recursion
// (kMaxExprDepth) and the number of statements (kMaxStatements), and reports every problem as
// InvalidArgument with an InfluxDB 1.x-like message ("found FROMM, expected FROM at line 1,
// char 10"), without the "error parsing query: " prefix the HTTP layer adds.
#ifndef EDGETSDB_QUERY_INFLUXQL_PARSER_H_
#define EDGETSDB_QUERY_INFLUXQL_PARSER_H_

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "query/influxql/ast.h"

namespace edgetsdb::query::influxql {

// Nesting of parentheses, calls and signs in one expression.
inline constexpr int kMaxExprDepth = 200;
// Depth of an expression tree, which chains like `a OR b OR c ...` grow one level per operator
// without nesting. Code walking a parsed tree recursively recurses at most this deep.
inline constexpr int kMaxExprTreeDepth = 1000;
inline constexpr size_t kMaxStatements = 1000;

// Stack: parsing the deepest accepted input takes under 100 KB of stack in an optimized build
// (more with sanitizers); run it on threads with the usual megabytes.

// Statements separated by ';'. Empty statements (";;", a trailing ';') are skipped, so a blank
// text gives a Query without statements (InfluxDB's HTTP layer rejects an empty q itself).
absl::StatusOr<Query> ParseQuery(std::string_view text);

// A single expression (a WHERE condition, for example), for tests and tools.
absl::StatusOr<std::unique_ptr<Expr>> ParseExpr(std::string_view text);

}  // namespace edgetsdb::query::influxql

#endif  // EDGETSDB_QUERY_INFLUXQL_PARSER_H_
