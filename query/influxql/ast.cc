#include "query/influxql/ast.h"

#include <charconv>
#include <cstring>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "query/influxql/lexer.h"

namespace edgetsdb::query::influxql {
namespace {

std::string_view OpText(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
      return "+";
    case BinaryOp::kSub:
      return "-";
    case BinaryOp::kMul:
      return "*";
    case BinaryOp::kDiv:
      return "/";
    case BinaryOp::kMod:
      return "%";
    case BinaryOp::kBitAnd:
      return "&";
    case BinaryOp::kBitOr:
      return "|";
    case BinaryOp::kBitXor:
      return "^";
    case BinaryOp::kAnd:
      return "AND";
    case BinaryOp::kOr:
      return "OR";
    case BinaryOp::kEq:
      return "=";
    case BinaryOp::kNeq:
      return "!=";
    case BinaryOp::kLt:
      return "<";
    case BinaryOp::kLte:
      return "<=";
    case BinaryOp::kGt:
      return ">";
    case BinaryOp::kGte:
      return ">=";
    case BinaryOp::kRegexMatch:
      return "=~";
    case BinaryOp::kRegexNoMatch:
      return "!~";
  }
  return "?";
}

std::string_view CastText(DataType type) {
  switch (type) {
    case DataType::kFloat:
      return "float";
    case DataType::kInteger:
      return "integer";
    case DataType::kUnsigned:
      return "unsigned";
    case DataType::kString:
      return "string";
    case DataType::kBoolean:
      return "boolean";
    case DataType::kTime:
      return "time";
    case DataType::kTag:
      return "tag";
    case DataType::kField:
      return "field";
    case DataType::kUnknown:
      break;
  }
  return "";
}

// InfluxDB's FormatDuration: the largest unit that divides the duration exactly.
std::string FormatDuration(int64_t ns) {
  struct Unit {
    int64_t ns;
    std::string_view suffix;
  };
  static constexpr Unit kUnits[] = {
      {604'800'000'000'000, "w"},
      {86'400'000'000'000, "d"},
      {3'600'000'000'000, "h"},
      {60'000'000'000, "m"},
      {1'000'000'000, "s"},
      {1'000'000, "ms"},
      {1'000, "u"},
  };
  if (ns == 0) return "0s";
  for (const Unit& unit : kUnits) {
    if (ns % unit.ns == 0) return absl::StrCat(ns / unit.ns, std::string(unit.suffix));
  }
  return absl::StrCat(ns, "ns");
}

// The shortest fixed-point text that reads back as the same double, always with a fraction so
// that it scans as a number rather than an integer.
std::string FormatNumber(double value) {
  char buffer[400];  // Fixed notation of DBL_MAX has 309 digits.
  const auto [end, error] =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::fixed);
  if (error != std::errc()) return "0.0";  // Unreachable for finite values.
  std::string text(buffer, end);
  if (text.find('.') == std::string::npos) text += ".0";
  return text;
}

// -1 * x or 1 * x with x a variable, call or parenthesis: what the parser makes of -x and +x.
bool IsSignedOperand(const Expr& expr) {
  return expr.kind == Expr::Kind::kBinary && expr.op == BinaryOp::kMul && expr.lhs &&
         expr.lhs->kind == Expr::Kind::kInteger &&
         (expr.lhs->integer == -1 || expr.lhs->integer == 1) && expr.rhs &&
         (expr.rhs->kind == Expr::Kind::kVarRef || expr.rhs->kind == Expr::Kind::kCall ||
          expr.rhs->kind == Expr::Kind::kParen);
}

void AppendExpr(const Expr& expr, std::string* out) {
  switch (expr.kind) {
    case Expr::Kind::kVarRef:
      out->append(QuoteIdent(expr.name));
      if (expr.cast != DataType::kUnknown)
        absl::StrAppend(out, "::", std::string(CastText(expr.cast)));
      return;
    case Expr::Kind::kCall:
      out->append(QuoteIdent(expr.name));
      out->push_back('(');
      for (size_t i = 0; i < expr.args.size(); ++i) {
        if (i > 0) out->append(", ");
        AppendExpr(*expr.args[i], out);
      }
      out->push_back(')');
      return;
    case Expr::Kind::kBinary:
      // Printed back as -x (+x), not -1 * x, so that the text parses to the same tree where the
      // product is the right operand of an operator of its level: `2 % -x`.
      if (IsSignedOperand(expr)) {
        out->push_back(expr.lhs->integer < 0 ? '-' : '+');
        AppendExpr(*expr.rhs, out);
        return;
      }
      AppendExpr(*expr.lhs, out);
      absl::StrAppend(out, " ", std::string(OpText(expr.op)), " ");
      AppendExpr(*expr.rhs, out);
      return;
    case Expr::Kind::kParen:
      out->push_back('(');
      AppendExpr(*expr.lhs, out);
      out->push_back(')');
      return;
    case Expr::Kind::kNumber:
      out->append(FormatNumber(expr.number));
      return;
    case Expr::Kind::kInteger:
      absl::StrAppend(out, expr.integer);
      return;
    case Expr::Kind::kString:
      out->append(QuoteString(expr.name));
      return;
    case Expr::Kind::kRegex:
      out->push_back('/');
      for (char c : expr.name) {
        if (c == '/') out->push_back('\\');
        out->push_back(c);
      }
      out->push_back('/');
      return;
    case Expr::Kind::kBoolean:
      out->append(expr.boolean ? "true" : "false");
      return;
    case Expr::Kind::kDuration:
      out->append(FormatDuration(expr.integer));
      return;
    case Expr::Kind::kWildcard:
      out->push_back('*');
      if (expr.cast != DataType::kUnknown)
        absl::StrAppend(out, "::", std::string(CastText(expr.cast)));
      return;
    case Expr::Kind::kNull:
      out->append("null");
      return;
  }
}

// InfluxDB's binaryExprNameVisitor: VarRef and Call names in walk order (left before right);
// a Call's arguments are not visited.
void CollectNames(const Expr& expr, std::vector<std::string>* names) {
  switch (expr.kind) {
    case Expr::Kind::kVarRef:
      names->push_back(expr.name);
      return;
    case Expr::Kind::kCall:
      names->push_back(expr.name);
      return;
    case Expr::Kind::kBinary:
      CollectNames(*expr.lhs, names);
      CollectNames(*expr.rhs, names);
      return;
    case Expr::Kind::kParen:
      CollectNames(*expr.lhs, names);
      return;
    default:
      return;
  }
}

std::string ExprName(const Expr& expr) {
  switch (expr.kind) {
    case Expr::Kind::kVarRef:
    case Expr::Kind::kCall:
      return expr.name;
    case Expr::Kind::kBinary: {
      std::vector<std::string> names;
      CollectNames(expr, &names);
      return absl::StrJoin(names, "_");
    }
    case Expr::Kind::kParen:
      return ExprName(*expr.lhs);
    default:
      return "";
  }
}

bool EqualPtr(const std::unique_ptr<Expr>& a, const std::unique_ptr<Expr>& b) {
  if (!a || !b) return !a && !b;
  return Equal(*a, *b);
}

}  // namespace

Expr::~Expr() {
  if (!lhs && !rhs && args.empty()) return;
  std::vector<std::unique_ptr<Expr>> pending;
  auto take_children = [&pending](Expr& e) {
    if (e.lhs) pending.push_back(std::move(e.lhs));
    if (e.rhs) pending.push_back(std::move(e.rhs));
    for (auto& arg : e.args) {
      if (arg) pending.push_back(std::move(arg));
    }
    e.args.clear();
  };
  take_children(*this);
  while (!pending.empty()) {
    std::unique_ptr<Expr> e = std::move(pending.back());
    pending.pop_back();
    take_children(*e);
    // `e` now has no children: its destructor returns at once.
  }
}

std::unique_ptr<Expr> Clone(const Expr& expr) {
  auto copy = std::make_unique<Expr>();
  copy->kind = expr.kind;
  copy->name = expr.name;
  copy->cast = expr.cast;
  copy->number = expr.number;
  copy->integer = expr.integer;
  copy->boolean = expr.boolean;
  copy->op = expr.op;
  if (expr.lhs) copy->lhs = Clone(*expr.lhs);
  if (expr.rhs) copy->rhs = Clone(*expr.rhs);
  copy->args.reserve(expr.args.size());
  for (const auto& arg : expr.args) copy->args.push_back(Clone(*arg));
  return copy;
}

std::string ToString(const Expr& expr) {
  std::string out;
  AppendExpr(expr, &out);
  return out;
}

bool Equal(const Expr& a, const Expr& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Expr::Kind::kVarRef:
    case Expr::Kind::kWildcard:
      return a.name == b.name && a.cast == b.cast;
    case Expr::Kind::kCall:
      if (a.name != b.name || a.args.size() != b.args.size()) return false;
      for (size_t i = 0; i < a.args.size(); ++i) {
        if (!EqualPtr(a.args[i], b.args[i])) return false;
      }
      return true;
    case Expr::Kind::kBinary:
      return a.op == b.op && EqualPtr(a.lhs, b.lhs) && EqualPtr(a.rhs, b.rhs);
    case Expr::Kind::kParen:
      return EqualPtr(a.lhs, b.lhs);
    case Expr::Kind::kNumber:
      // Bitwise, so that equal texts give equal trees even for -0.0.
      return std::memcmp(&a.number, &b.number, sizeof(double)) == 0;
    case Expr::Kind::kInteger:
    case Expr::Kind::kDuration:
      return a.integer == b.integer;
    case Expr::Kind::kString:
    case Expr::Kind::kRegex:
      return a.name == b.name;
    case Expr::Kind::kBoolean:
      return a.boolean == b.boolean;
    case Expr::Kind::kNull:
      return true;
  }
  return false;
}

std::string QuoteIdent(std::string_view ident) {
  if (!IdentNeedsQuotes(ident)) return std::string(ident);
  std::string out = "\"";
  for (char c : ident) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string QuoteString(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

std::string ToString(const Measurement& measurement) {
  std::string out;
  if (!measurement.database.empty()) {
    absl::StrAppend(&out, QuoteIdent(measurement.database), ".",
                    measurement.retention_policy.empty() ? std::string()
                                                         : QuoteIdent(measurement.retention_policy),
                    ".");
  } else if (!measurement.retention_policy.empty()) {
    absl::StrAppend(&out, QuoteIdent(measurement.retention_policy), ".");
  }
  if (measurement.is_regex) {
    Expr regex;
    regex.kind = Expr::Kind::kRegex;
    regex.name = measurement.regex;
    out += ToString(regex);
  } else {
    out += QuoteIdent(measurement.name);
  }
  return out;
}

std::string FieldName(const Field& field) {
  if (!field.alias.empty()) return field.alias;
  if (!field.expr) return "";
  return ExprName(*field.expr);
}

}  // namespace edgetsdb::query::influxql
