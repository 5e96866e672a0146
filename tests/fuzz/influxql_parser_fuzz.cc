// Fuzzes ParseQuery with arbitrary text. Besides not crashing, hanging or overflowing the stack on
// any input, it checks the parser's contract: failures are InvalidArgument with a message, and
// every expression and source of an accepted query prints (ToString) as text that parses back to
// an equal tree.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "absl/status/statusor.h"
#include "query/influxql/ast.h"
#include "query/influxql/parser.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using edgetsdb::fuzz::AsBytes;
using edgetsdb::fuzz::Check;
namespace influxql = edgetsdb::query::influxql;

bool IsLimitError(const absl::Status& status) {
  const std::string message(status.message());
  return message.find("nested too deeply") != std::string::npos ||
         message.find("too complex") != std::string::npos;
}

void CheckRoundTrip(const influxql::Expr* expr) {
  if (expr == nullptr) return;
  Check(influxql::Equal(*expr, *influxql::Clone(*expr)));
  const std::string text = influxql::ToString(*expr);
  absl::StatusOr<std::unique_ptr<influxql::Expr>> again = influxql::ParseExpr(text);
  if (!again.ok()) {
    // Printing `-1 * (x)` as `-(x)` nests one level deeper, which may cross the limit.
    Check(IsLimitError(again.status()));
    return;
  }
  Check(influxql::Equal(*expr, **again));
}

void CheckSources(const std::vector<influxql::Measurement>& sources) {
  for (const influxql::Measurement& m : sources) {
    absl::StatusOr<influxql::Query> q =
        influxql::ParseQuery("SELECT * FROM " + influxql::ToString(m));
    Check(q.ok() && q->statements.size() == 1);
    const auto& select = std::get<influxql::SelectStatement>(q->statements[0]);
    Check(select.sources.size() == 1);
    const influxql::Measurement& n = select.sources[0];
    Check(n.database == m.database && n.retention_policy == m.retention_policy &&
          n.name == m.name && n.regex == m.regex && n.is_regex == m.is_regex);
  }
}

struct StatementChecker {
  void operator()(const influxql::SelectStatement& s) const {
    Check(!s.fields.empty() && !s.sources.empty() && !s.has_into);
    for (const influxql::Field& field : s.fields) {
      Check(field.expr != nullptr);
      // A regex field (SELECT /re/) is not an expression on its own.
      if (field.expr->kind != influxql::Expr::Kind::kRegex) CheckRoundTrip(field.expr.get());
      (void)influxql::FieldName(field);
    }
    CheckSources(s.sources);
    CheckRoundTrip(s.condition.get());
    Check(s.group_by_interval_ns >= 0 && s.limit >= 0 && s.offset >= 0);
  }
  void operator()(const influxql::ShowMeasurements& s) const {
    CheckRoundTrip(s.condition.get());
    if (s.measurement) CheckSources({*s.measurement});
  }
  void operator()(const influxql::ShowTagKeys& s) const {
    CheckRoundTrip(s.condition.get());
    CheckSources(s.sources);
  }
  void operator()(const influxql::ShowTagValues& s) const {
    CheckRoundTrip(s.condition.get());
    CheckSources(s.sources);
    const bool is_list = s.key_op == influxql::ShowTagValues::KeyOp::kIn ||
                         s.key_op == influxql::ShowTagValues::KeyOp::kEq ||
                         s.key_op == influxql::ShowTagValues::KeyOp::kNeq;
    Check(is_list ? !s.keys.empty() : s.keys.empty());
  }
  void operator()(const influxql::ShowFieldKeys& s) const { CheckSources(s.sources); }
  void operator()(const influxql::ShowSeries& s) const {
    CheckRoundTrip(s.condition.get());
    CheckSources(s.sources);
  }
  void operator()(const influxql::ShowDatabases&) const {}
  void operator()(const influxql::ShowRetentionPolicies&) const {}
  void operator()(const influxql::CreateDatabase&) const {}
  void operator()(const influxql::DropDatabase&) const {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = AsBytes(data, size);
  absl::StatusOr<influxql::Query> query = influxql::ParseQuery(text);
  if (!query.ok()) {
    Check(query.status().code() == absl::StatusCode::kInvalidArgument);
    Check(!query.status().message().empty());
    return 0;
  }
  Check(query->statements.size() <= influxql::kMaxStatements);
  for (const influxql::Statement& statement : query->statements) {
    std::visit(StatementChecker{}, statement);
  }
  return 0;
}
