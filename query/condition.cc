#include "query/condition.h"

#include <cmath>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace edgetsdb::query {
namespace {

using influxql::BinaryOp;
using influxql::Expr;

const Expr& StripParens(const Expr& expr) {
  const Expr* e = &expr;
  while (e->kind == Expr::Kind::kParen && e->lhs != nullptr) e = e->lhs.get();
  return *e;
}

bool IsTimeRef(const Expr& expr) {
  const Expr& e = StripParens(expr);
  return e.kind == Expr::Kind::kVarRef && e.name == "time";
}

bool MentionsTime(const Expr& expr) {
  if (IsTimeRef(expr)) return true;
  if (expr.lhs != nullptr && MentionsTime(*expr.lhs)) return true;
  if (expr.rhs != nullptr && MentionsTime(*expr.rhs)) return true;
  for (const auto& arg : expr.args) {
    if (MentionsTime(*arg)) return true;
  }
  return false;
}

bool IsComparison(BinaryOp op) {
  return op == BinaryOp::kEq || op == BinaryOp::kNeq || op == BinaryOp::kLt ||
         op == BinaryOp::kLte || op == BinaryOp::kGt || op == BinaryOp::kGte;
}

// `a < b` read from the other side: `b > a`.
BinaryOp Mirror(BinaryOp op) {
  switch (op) {
    case BinaryOp::kLt:
      return BinaryOp::kGt;
    case BinaryOp::kLte:
      return BinaryOp::kGte;
    case BinaryOp::kGt:
      return BinaryOp::kLt;
    case BinaryOp::kGte:
      return BinaryOp::kLte;
    default:
      return op;
  }
}

// Takes the time terms out of an AND tree; returns the remainder (null when nothing remains).
absl::StatusOr<std::unique_ptr<Expr>> ExtractTime(std::unique_ptr<Expr> expr, int64_t now_ns,
                                                  TimeRange* range) {
  Expr& e = *expr;
  if (e.kind == Expr::Kind::kParen && e.lhs != nullptr) {
    auto inner = ExtractTime(std::move(e.lhs), now_ns, range);
    return inner;
  }
  if (e.kind == Expr::Kind::kBinary && e.op == BinaryOp::kAnd) {
    auto lhs = ExtractTime(std::move(e.lhs), now_ns, range);
    if (!lhs.ok()) return lhs.status();
    auto rhs = ExtractTime(std::move(e.rhs), now_ns, range);
    if (!rhs.ok()) return rhs.status();
    if (*lhs == nullptr) return std::move(*rhs);
    if (*rhs == nullptr) return std::move(*lhs);
    e.lhs = *std::move(lhs);
    e.rhs = *std::move(rhs);
    return expr;
  }
  if (e.kind == Expr::Kind::kBinary && IsComparison(e.op) &&
      (IsTimeRef(*e.lhs) || IsTimeRef(*e.rhs))) {
    BinaryOp op = e.op;
    const Expr* value = e.rhs.get();
    if (!IsTimeRef(*e.lhs)) {
      op = Mirror(op);
      value = e.lhs.get();
    }
    auto t = EvalTimeExpr(*value, now_ns);
    if (!t.ok()) return t.status();
    int64_t v = *t;
    auto raise_min = [&](int64_t m) {
      range->min = std::max(range->min, m);
      range->has_min = true;
    };
    auto lower_max = [&](int64_t m) {
      range->max = std::min(range->max, m);
      range->has_max = true;
    };
    switch (op) {
      case BinaryOp::kGt:
        raise_min(v == kMaxTime ? v : v + 1);
        break;
      case BinaryOp::kGte:
        raise_min(v);
        break;
      case BinaryOp::kLt:
        lower_max(v == kMinTime ? v : v - 1);
        break;
      case BinaryOp::kLte:
        lower_max(v);
        break;
      case BinaryOp::kEq:
        raise_min(v);
        lower_max(v);
        break;
      default:
        return absl::InvalidArgumentError("invalid time comparison operator: !=");
    }
    return nullptr;
  }
  if (MentionsTime(e)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid time condition: ", influxql::ToString(e),
                     " (time bounds must be comparisons joined by AND)"));
  }
  return expr;
}

bool IsNumeric(const Value& v) {
  return std::holds_alternative<double>(v) || std::holds_alternative<int64_t>(v) ||
         std::holds_alternative<uint64_t>(v);
}

double AsDouble(const Value& v) {
  if (std::holds_alternative<double>(v)) return std::get<double>(v);
  if (std::holds_alternative<int64_t>(v)) return static_cast<double>(std::get<int64_t>(v));
  return static_cast<double>(std::get<uint64_t>(v));
}

template <typename T>
Value Compare(BinaryOp op, const T& a, const T& b) {
  switch (op) {
    case BinaryOp::kEq:
      return a == b;
    case BinaryOp::kNeq:
      return a != b;
    case BinaryOp::kLt:
      return a < b;
    case BinaryOp::kLte:
      return a <= b;
    case BinaryOp::kGt:
      return a > b;
    case BinaryOp::kGte:
      return a >= b;
    default:
      return Value{};
  }
}

Value IntegerArithmetic(BinaryOp op, int64_t a, int64_t b) {
  // Wrapping, as Go's int64 arithmetic.
  auto wrap = [](uint64_t v) { return static_cast<int64_t>(v); };
  switch (op) {
    case BinaryOp::kAdd:
      return wrap(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
    case BinaryOp::kSub:
      return wrap(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
    case BinaryOp::kMul:
      return wrap(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
    case BinaryOp::kDiv:  // InfluxQL divides integers as floats.
      if (b == 0) return 0.0;
      return static_cast<double>(a) / static_cast<double>(b);
    case BinaryOp::kMod:
      if (b == 0 || (a == std::numeric_limits<int64_t>::min() && b == -1)) return int64_t{0};
      return a % b;
    case BinaryOp::kBitAnd:
      return a & b;
    case BinaryOp::kBitOr:
      return a | b;
    case BinaryOp::kBitXor:
      return a ^ b;
    default:
      return Compare(op, a, b);
  }
}

Value FloatArithmetic(BinaryOp op, double a, double b) {
  switch (op) {
    case BinaryOp::kAdd:
      return a + b;
    case BinaryOp::kSub:
      return a - b;
    case BinaryOp::kMul:
      return a * b;
    case BinaryOp::kDiv:  // InfluxQL: division by zero gives 0.
      return b == 0 ? 0.0 : a / b;
    case BinaryOp::kMod:
      return b == 0 ? 0.0 : std::fmod(a, b);
    default:
      return Compare(op, a, b);
  }
}

}  // namespace

absl::StatusOr<int64_t> ParseTimeLiteral(std::string_view text) {
  const std::string input(text);
  absl::Time t;
  std::string error;
  // RFC 3339; absl accepts "Z" for %Ez.
  if (absl::ParseTime("%Y-%m-%d%ET%H:%M:%E*S%Ez", input, &t, &error) ||
      absl::ParseTime("%Y-%m-%d %H:%M:%E*S", input, absl::UTCTimeZone(), &t, &error) ||
      absl::ParseTime("%Y-%m-%d", input, absl::UTCTimeZone(), &t, &error)) {
    if (t < absl::FromUnixNanos(kMinTime) || t > absl::FromUnixNanos(kMaxTime)) {
      return absl::InvalidArgumentError(absl::StrCat("time out of range: '", input, "'"));
    }
    return absl::ToUnixNanos(t);
  }
  return absl::InvalidArgumentError(absl::StrCat("invalid time: '", input, "'"));
}

absl::StatusOr<int64_t> EvalTimeExpr(const Expr& expr, int64_t now_ns) {
  switch (expr.kind) {
    case Expr::Kind::kParen:
      return EvalTimeExpr(*expr.lhs, now_ns);
    case Expr::Kind::kCall:
      if (expr.name == "now" && expr.args.empty()) return now_ns;
      break;
    case Expr::Kind::kString:
      return ParseTimeLiteral(expr.name);
    case Expr::Kind::kInteger:
    case Expr::Kind::kDuration:
      return expr.integer;
    case Expr::Kind::kNumber:
      if (std::isfinite(expr.number) && std::fabs(expr.number) < 9.2e18) {
        return static_cast<int64_t>(expr.number);
      }
      break;
    case Expr::Kind::kBinary:
      if (expr.op == BinaryOp::kAdd || expr.op == BinaryOp::kSub) {
        auto a = EvalTimeExpr(*expr.lhs, now_ns);
        if (!a.ok()) return a.status();
        auto b = EvalTimeExpr(*expr.rhs, now_ns);
        if (!b.ok()) return b.status();
        int64_t result;
        bool overflow = expr.op == BinaryOp::kAdd ? __builtin_add_overflow(*a, *b, &result)
                                                  : __builtin_sub_overflow(*a, *b, &result);
        if (overflow) return absl::InvalidArgumentError("time out of range");
        return result;
      }
      break;
    default:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("invalid time expression: ", influxql::ToString(expr)));
}

absl::StatusOr<SplitCondition> SplitTimeCondition(const Expr* condition, int64_t now_ns) {
  SplitCondition split;
  if (condition == nullptr) return split;
  auto rest = ExtractTime(influxql::Clone(*condition), now_ns, &split.range);
  if (!rest.ok()) return rest.status();
  split.rest = *std::move(rest);
  return split;
}

void PushDownTagMatchers(std::unique_ptr<Expr>* condition, const IsTagKey& is_tag,
                         std::vector<TagMatcher>* matchers) {
  if (*condition == nullptr) return;
  Expr& e = **condition;
  if (e.kind == Expr::Kind::kParen) {
    PushDownTagMatchers(&e.lhs, is_tag, matchers);
    if (e.lhs == nullptr) condition->reset();
    return;
  }
  if (e.kind != Expr::Kind::kBinary) return;
  if (e.op == BinaryOp::kAnd) {
    PushDownTagMatchers(&e.lhs, is_tag, matchers);
    PushDownTagMatchers(&e.rhs, is_tag, matchers);
    if (e.lhs == nullptr && e.rhs == nullptr) {
      condition->reset();
    } else if (e.lhs == nullptr) {
      *condition = std::move(e.rhs);
    } else if (e.rhs == nullptr) {
      *condition = std::move(e.lhs);
    }
    return;
  }
  const Expr* key = e.lhs.get();
  const Expr* value = e.rhs.get();
  bool swapped = false;
  if (key->kind != Expr::Kind::kVarRef) {
    std::swap(key, value);
    swapped = true;
  }
  if (key->kind != Expr::Kind::kVarRef || !is_tag(*key)) return;
  TagMatcher matcher;
  matcher.key = key->name;
  if ((e.op == BinaryOp::kEq || e.op == BinaryOp::kNeq) && value->kind == Expr::Kind::kString) {
    matcher.op = e.op == BinaryOp::kEq ? TagMatcher::Op::kEqual : TagMatcher::Op::kNotEqual;
  } else if ((e.op == BinaryOp::kRegexMatch || e.op == BinaryOp::kRegexNoMatch) && !swapped &&
             value->kind == Expr::Kind::kRegex) {
    matcher.op =
        e.op == BinaryOp::kRegexMatch ? TagMatcher::Op::kRegexMatch : TagMatcher::Op::kRegexNoMatch;
  } else {
    return;
  }
  matcher.value = value->name;
  matchers->push_back(std::move(matcher));
  condition->reset();
}

absl::StatusOr<Evaluator> Evaluator::Create(const Expr* expr) {
  Evaluator evaluator;
  std::function<absl::Status(const Expr&)> visit = [&](const Expr& e) -> absl::Status {
    if (e.kind == Expr::Kind::kRegex && !evaluator.regexes_.contains(&e)) {
      auto re = std::make_shared<RE2>(e.name, RE2::Quiet);
      if (!re->ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("invalid regular expression /", e.name, "/: ", re->error()));
      }
      evaluator.regexes_[&e] = std::move(re);
    }
    for (const Expr* child : {e.lhs.get(), e.rhs.get()}) {
      if (child != nullptr) {
        if (absl::Status s = visit(*child); !s.ok()) return s;
      }
    }
    for (const auto& arg : e.args) {
      if (absl::Status s = visit(*arg); !s.ok()) return s;
    }
    return absl::OkStatus();
  };
  if (expr != nullptr) {
    if (absl::Status s = visit(*expr); !s.ok()) return s;
  }
  return evaluator;
}

Value ApplyBinary(BinaryOp op, const Value& lhs, const Value& rhs) {
  if (op == BinaryOp::kAnd || op == BinaryOp::kOr) {
    bool a = std::holds_alternative<bool>(lhs) && std::get<bool>(lhs);
    bool b = std::holds_alternative<bool>(rhs) && std::get<bool>(rhs);
    return op == BinaryOp::kAnd ? (a && b) : (a || b);
  }
  if (std::holds_alternative<std::monostate>(lhs) || std::holds_alternative<std::monostate>(rhs)) {
    return Value{};
  }
  if (std::holds_alternative<int64_t>(lhs) && std::holds_alternative<int64_t>(rhs)) {
    return IntegerArithmetic(op, std::get<int64_t>(lhs), std::get<int64_t>(rhs));
  }
  if (std::holds_alternative<uint64_t>(lhs) && std::holds_alternative<uint64_t>(rhs) &&
      op != BinaryOp::kDiv) {
    uint64_t a = std::get<uint64_t>(lhs), b = std::get<uint64_t>(rhs);
    switch (op) {
      case BinaryOp::kAdd:
        return a + b;
      case BinaryOp::kSub:
        return a - b;
      case BinaryOp::kMul:
        return a * b;
      case BinaryOp::kMod:
        return b == 0 ? uint64_t{0} : a % b;
      case BinaryOp::kBitAnd:
        return a & b;
      case BinaryOp::kBitOr:
        return a | b;
      case BinaryOp::kBitXor:
        return a ^ b;
      default:
        return Compare(op, a, b);
    }
  }
  if (IsNumeric(lhs) && IsNumeric(rhs)) return FloatArithmetic(op, AsDouble(lhs), AsDouble(rhs));
  if (std::holds_alternative<std::string>(lhs) && std::holds_alternative<std::string>(rhs)) {
    if (op == BinaryOp::kAdd) return std::get<std::string>(lhs) + std::get<std::string>(rhs);
    return Compare(op, std::get<std::string>(lhs), std::get<std::string>(rhs));
  }
  if (std::holds_alternative<bool>(lhs) && std::holds_alternative<bool>(rhs)) {
    bool a = std::get<bool>(lhs), b = std::get<bool>(rhs);
    switch (op) {
      case BinaryOp::kEq:
        return a == b;
      case BinaryOp::kNeq:
        return a != b;
      case BinaryOp::kBitAnd:
        return a && b;
      case BinaryOp::kBitOr:
        return a || b;
      case BinaryOp::kBitXor:
        return a != b;
      default:
        return Value{};
    }
  }
  return Value{};
}

Value Evaluator::Eval(const Expr& expr, const Lookup& lookup) const {
  switch (expr.kind) {
    case Expr::Kind::kVarRef:
      return lookup(expr);
    case Expr::Kind::kParen:
      return Eval(*expr.lhs, lookup);
    case Expr::Kind::kNumber:
      return expr.number;
    case Expr::Kind::kInteger:
    case Expr::Kind::kDuration:
      return expr.integer;
    case Expr::Kind::kString:
      return expr.name;
    case Expr::Kind::kBoolean:
      return expr.boolean;
    case Expr::Kind::kBinary: {
      if (expr.op == BinaryOp::kRegexMatch || expr.op == BinaryOp::kRegexNoMatch) {
        Value subject = Eval(*expr.lhs, lookup);
        auto it = regexes_.find(expr.rhs.get());
        if (!std::holds_alternative<std::string>(subject) || it == regexes_.end()) return Value{};
        bool found = RE2::PartialMatch(std::get<std::string>(subject), *it->second);
        return expr.op == BinaryOp::kRegexMatch ? found : !found;
      }
      return ApplyBinary(expr.op, Eval(*expr.lhs, lookup), Eval(*expr.rhs, lookup));
    }
    default:
      return Value{};
  }
}

}  // namespace edgetsdb::query
