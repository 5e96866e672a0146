// A recursive-descent InfluxQL parser following InfluxDB 1.x's (influxql/parser.go) grammar and
// error messages. Binary expressions are parsed with an operator stack, which builds the same
// trees as InfluxDB's insertion algorithm (left associative, five levels).
//
// Robustness: every recursion passes through Enter(), which bounds the nesting of parentheses,
// calls and signs (kMaxExprDepth); the depth of the built tree, which left-associative chains
// like `a OR b OR c ...` grow without nesting, is bounded by kMaxExprTreeDepth so that the
// recursive walks over it (ToString, Clone, the executor's) stay shallow. The tokens of the
// input are examined once each (a regex is rescanned from its slash once), so the time is
// linear in the text.
#include "query/influxql/parser.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "query/influxql/lexer.h"
#include "re2/re2.h"

namespace edgetsdb::query::influxql {
namespace {

// Left-deep chains (`h = 'a' OR h = 'b' OR ...`) count one level per operator; 1000 allows the
// long OR lists dashboards generate while keeping recursive walks far from the stack's end.
constexpr int kMaxTreeDepth = kMaxExprTreeDepth;

constexpr std::string_view kExpectedExpr = "identifier, string, number, bool";
constexpr std::string_view kExpectedStatement =
    "SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL";
constexpr std::string_view kExpectedShow =
    "CONTINUOUS, DATABASES, DIAGNOSTICS, FIELD, GRANTS, MEASUREMENT, MEASUREMENTS, QUERIES, "
    "RETENTION, SERIES, SHARD, SHARDS, STATS, SUBSCRIPTIONS, TAG, USERS";

// InfluxDB's Token.Precedence(); 0: not a binary operator (IN is not one in 1.x expressions).
int Precedence(Tok type) {
  switch (type) {
    case Tok::kOr:
      return 1;
    case Tok::kAnd:
      return 2;
    case Tok::kEq:
    case Tok::kNeq:
    case Tok::kEqRegex:
    case Tok::kNeqRegex:
    case Tok::kLt:
    case Tok::kLte:
    case Tok::kGt:
    case Tok::kGte:
      return 3;
    case Tok::kAdd:
    case Tok::kSub:
    case Tok::kBitOr:
    case Tok::kBitXor:
      return 4;
    case Tok::kMul:
    case Tok::kDiv:
    case Tok::kMod:
    case Tok::kBitAnd:
      return 5;
    default:
      return 0;
  }
}

BinaryOp ToBinaryOp(Tok type) {
  switch (type) {
    case Tok::kAdd:
      return BinaryOp::kAdd;
    case Tok::kSub:
      return BinaryOp::kSub;
    case Tok::kMul:
      return BinaryOp::kMul;
    case Tok::kDiv:
      return BinaryOp::kDiv;
    case Tok::kMod:
      return BinaryOp::kMod;
    case Tok::kBitAnd:
      return BinaryOp::kBitAnd;
    case Tok::kBitOr:
      return BinaryOp::kBitOr;
    case Tok::kBitXor:
      return BinaryOp::kBitXor;
    case Tok::kAnd:
      return BinaryOp::kAnd;
    case Tok::kOr:
      return BinaryOp::kOr;
    case Tok::kEq:
      return BinaryOp::kEq;
    case Tok::kNeq:
      return BinaryOp::kNeq;
    case Tok::kEqRegex:
      return BinaryOp::kRegexMatch;
    case Tok::kNeqRegex:
      return BinaryOp::kRegexNoMatch;
    case Tok::kLt:
      return BinaryOp::kLt;
    case Tok::kLte:
      return BinaryOp::kLte;
    case Tok::kGt:
      return BinaryOp::kGt;
    default:
      return BinaryOp::kGte;
  }
}

bool IsWhereOnlyOp(BinaryOp op) {
  switch (op) {
    case BinaryOp::kEq:
    case BinaryOp::kNeq:
    case BinaryOp::kRegexMatch:
    case BinaryOp::kRegexNoMatch:
    case BinaryOp::kLt:
    case BinaryOp::kLte:
    case BinaryOp::kGt:
    case BinaryOp::kGte:
    case BinaryOp::kAnd:
    case BinaryOp::kOr:
      return true;
    default:
      return false;
  }
}

std::string_view OpTextForMessage(BinaryOp op) {
  switch (op) {
    case BinaryOp::kEq:
      return "=";
    case BinaryOp::kNeq:
      return "!=";
    case BinaryOp::kRegexMatch:
      return "=~";
    case BinaryOp::kRegexNoMatch:
      return "!~";
    case BinaryOp::kLt:
      return "<";
    case BinaryOp::kLte:
      return "<=";
    case BinaryOp::kGt:
      return ">";
    case BinaryOp::kGte:
      return ">=";
    case BinaryOp::kAnd:
      return "AND";
    case BinaryOp::kOr:
      return "OR";
    default:
      return "?";
  }
}

// The first comparison or logical operator in a field expression, walking as InfluxDB's
// validateField does (it stops at the first one found, parents before children).
const Expr* FindWhereOnlyOp(const Expr& expr) {
  switch (expr.kind) {
    case Expr::Kind::kBinary:
      if (IsWhereOnlyOp(expr.op)) return &expr;
      if (const Expr* found = FindWhereOnlyOp(*expr.lhs)) return found;
      return FindWhereOnlyOp(*expr.rhs);
    case Expr::Kind::kParen:
      return FindWhereOnlyOp(*expr.lhs);
    case Expr::Kind::kCall:
      for (const auto& arg : expr.args) {
        if (const Expr* found = FindWhereOnlyOp(*arg)) return found;
      }
      return nullptr;
    default:
      return nullptr;
  }
}

// Time zone names as the IANA database spells them. The executor loads the zone; the parser only
// refuses names that could reach outside the zoneinfo directory.
bool PlausibleTimeZoneName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '/') return false;
  if (name.find("..") != std::string_view::npos) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' ||
           c == '+';
  });
}

std::unique_ptr<Expr> NewExpr(Expr::Kind kind) {
  auto expr = std::make_unique<Expr>();
  expr->kind = kind;
  return expr;
}

// An expression under construction with the depth of its tree.
struct Node {
  std::unique_ptr<Expr> expr;
  int depth = 0;
};

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text), lexer_(text) { tok_ = lexer_.Next(); }

  absl::StatusOr<Query> ParseQuery();
  absl::StatusOr<std::unique_ptr<Expr>> ParseOnlyExpr();

 private:
  // Tokens.
  Tok type() const { return tok_.type; }
  void Advance() { tok_ = lexer_.Next(); }
  bool Accept(Tok type) {
    if (tok_.type != type) return false;
    Advance();
    return true;
  }
  bool IsIdentNamed(std::string_view lower_name) const {
    return tok_.type == Tok::kIdent && absl::AsciiStrToLower(tok_.text) == lower_name;
  }

  // Errors: the first one is kept; every parse function returns false after recording it.
  // They are out of line so that their message building does not widen the frames of the
  // recursive functions (the stack a deeply nested expression needs).
  ABSL_ATTRIBUTE_NOINLINE bool FailRaw(std::string message);
  ABSL_ATTRIBUTE_NOINLINE bool Fail(size_t offset, std::string_view message);
  // "found X, expected Y", unless the token is itself malformed: then what is wrong with it.
  ABSL_ATTRIBUTE_NOINLINE bool Unexpected(std::string_view expected);
  bool Expect(Tok type) { return Accept(type) || Unexpected(TokName(type)); }
  ABSL_ATTRIBUTE_NOINLINE bool Unsupported(size_t offset, std::string_view what);
  ABSL_ATTRIBUTE_NOINLINE bool FailNesting();
  ABSL_ATTRIBUTE_NOINLINE bool FailTreeDepth(size_t offset);

  // Guards recursion; pair each successful Enter with a Leave.
  bool Enter() { return ++nesting_ <= kMaxExprDepth || FailNesting(); }
  void Leave() { --nesting_; }
  bool CheckDepth(const Node& node, size_t offset) {
    return node.depth <= kMaxTreeDepth || FailTreeDepth(offset);
  }

  // Statements.
  bool ParseStatement(Statement* out);
  bool ParseSelect(SelectStatement* out);
  bool ParseShow(Statement* out);
  bool ParseShowMeasurements(ShowMeasurements* out);
  bool ParseShowTagKeys(ShowTagKeys* out);
  bool ParseShowTagValues(ShowTagValues* out);
  bool ParseShowFieldKeys(ShowFieldKeys* out);
  bool ParseShowSeries(ShowSeries* out);
  bool ParseCreate(Statement* out);
  bool ParseDrop(Statement* out);

  // Clauses.
  bool ParseIdent(std::string* out);
  bool ParseIdentList(std::vector<std::string>* out);
  bool ParseSegmentedIdents(std::vector<std::string>* out, bool* regex_follows);
  bool ParseOnDatabase(std::string* out);
  bool ParseSources(std::vector<Measurement>* out, bool select);
  bool ParseSource(Measurement* out, bool select);
  bool ParseOptionalFrom(std::vector<Measurement>* out);
  bool ParseCondition(std::unique_ptr<Expr>* out);
  bool ParseFields(std::vector<Field>* out);
  bool ParseDimensions(SelectStatement* out);
  bool ParseFill(SelectStatement* out);
  bool ParseOrderBy(bool* descending);
  bool ParseOptionalInt(Tok keyword, int64_t* out);
  bool ParseTimeZone(std::string* out);
  bool ParseDuration(int64_t* out);
  bool ParseRegexLiteral(std::string* pattern);

  // Expressions.
  bool ParseExpr(Node* out);
  ABSL_ATTRIBUTE_NOINLINE bool ParseOperators(Node* inout);
  bool ParseUnary(Node* out);
  ABSL_ATTRIBUTE_NOINLINE bool ParseLiteral(Node* out);
  ABSL_ATTRIBUTE_NOINLINE bool ParseDistinct(Node* out);
  ABSL_ATTRIBUTE_NOINLINE bool ParseRegexOperand(Node* out);
  ABSL_ATTRIBUTE_NOINLINE bool ParseNegativeInteger(Node* out);
  bool ParseCallArgs(std::string name, Node* out);
  ABSL_ATTRIBUTE_NOINLINE bool ParseVarRef(Node* out);
  bool ParseSigned(Node* out);

  std::string_view text_;
  Lexer lexer_;
  Token tok_;
  int nesting_ = 0;
  absl::Status error_;
};

bool Parser::FailRaw(std::string message) {
  if (error_.ok()) error_ = absl::InvalidArgumentError(std::move(message));
  return false;
}

bool Parser::Fail(size_t offset, std::string_view message) {
  const LineAndChar at = PositionOf(text_, offset);
  return FailRaw(absl::StrCat(std::string(message), " at line ", at.line, ", char ", at.character));
}

bool Parser::Unexpected(std::string_view expected) {
  if (tok_.type == Tok::kBad) return Fail(tok_.offset, tok_.text);
  if (tok_.type == Tok::kBoundParam) {
    return Fail(tok_.offset, absl::StrCat("bound parameters are not supported: ", tok_.text));
  }
  return Fail(tok_.offset,
              absl::StrCat("found ", TokenForMessage(tok_), ", expected ", std::string(expected)));
}

bool Parser::Unsupported(size_t offset, std::string_view what) {
  return Fail(offset, absl::StrCat(std::string(what), " is not supported"));
}

bool Parser::FailNesting() {
  return Fail(tok_.offset, absl::StrCat("expression nested too deeply (the limit is ",
                                        kMaxExprDepth, " levels)"));
}

bool Parser::FailTreeDepth(size_t offset) {
  return Fail(offset, absl::StrCat("expression too complex (the limit is ", kMaxTreeDepth,
                                   " levels of operators)"));
}

absl::StatusOr<Query> Parser::ParseQuery() {
  Query query;
  bool need_semicolon = false;
  for (;;) {
    if (type() == Tok::kEof) return query;
    if (Accept(Tok::kSemicolon)) {
      need_semicolon = false;
      continue;
    }
    if (need_semicolon) {
      Unexpected(";");
      return error_;
    }
    if (query.statements.size() >= kMaxStatements) {
      Fail(tok_.offset, absl::StrCat("too many statements (the limit is ", kMaxStatements, ")"));
      return error_;
    }
    Statement statement;
    if (!ParseStatement(&statement)) return error_;
    query.statements.push_back(std::move(statement));
    need_semicolon = true;
  }
}

absl::StatusOr<std::unique_ptr<Expr>> Parser::ParseOnlyExpr() {
  Node node;
  if (!ParseExpr(&node)) return error_;
  if (type() != Tok::kEof) {
    Unexpected("EOF");
    return error_;
  }
  return std::move(node.expr);
}

bool Parser::ParseStatement(Statement* out) {
  const size_t start = tok_.offset;
  switch (type()) {
    case Tok::kSelect: {
      Advance();
      SelectStatement select;
      if (!ParseSelect(&select)) return false;
      *out = std::move(select);
      return true;
    }
    case Tok::kShow:
      Advance();
      return ParseShow(out);
    case Tok::kCreate:
      Advance();
      return ParseCreate(out);
    case Tok::kDrop:
      Advance();
      return ParseDrop(out);
    case Tok::kDelete:
    case Tok::kExplain:
    case Tok::kGrant:
    case Tok::kRevoke:
    case Tok::kAlter:
    case Tok::kSet:
    case Tok::kKill:
      return Unsupported(start, TokName(type()));
    default:
      return Unexpected(kExpectedStatement);
  }
}

// SELECT fields [INTO ...] FROM sources [WHERE] [GROUP BY] [fill()] [ORDER BY] [LIMIT] [OFFSET]
// [SLIMIT] [SOFFSET] [tz()]: InfluxDB's clause order.
bool Parser::ParseSelect(SelectStatement* out) {
  if (!ParseFields(&out->fields)) return false;
  if (type() == Tok::kInto) return Unsupported(tok_.offset, "SELECT ... INTO");
  if (!Accept(Tok::kFrom)) return Unexpected("FROM");
  if (!ParseSources(&out->sources, /*select=*/true)) return false;
  if (!ParseCondition(&out->condition)) return false;
  if (!ParseDimensions(out)) return false;
  if (IsIdentNamed("fill") && !ParseFill(out)) return false;
  if (!ParseOrderBy(&out->order_desc)) return false;
  if (!ParseOptionalInt(Tok::kLimit, &out->limit)) return false;
  if (!ParseOptionalInt(Tok::kOffset, &out->offset)) return false;
  if (!ParseOptionalInt(Tok::kSlimit, &out->slimit)) return false;
  if (!ParseOptionalInt(Tok::kSoffset, &out->soffset)) return false;
  if (IsIdentNamed("tz") && !ParseTimeZone(&out->timezone)) return false;
  return true;
}

bool Parser::ParseShow(Statement* out) {
  const size_t start = tok_.offset;
  switch (type()) {
    case Tok::kDatabases:
      Advance();
      *out = ShowDatabases{};
      return true;
    case Tok::kMeasurements: {
      Advance();
      ShowMeasurements show;
      if (!ParseShowMeasurements(&show)) return false;
      *out = std::move(show);
      return true;
    }
    case Tok::kMeasurement:
      return Unsupported(start, "SHOW MEASUREMENT CARDINALITY");
    case Tok::kTag: {
      Advance();
      if (Accept(Tok::kKeys)) {
        ShowTagKeys show;
        if (!ParseShowTagKeys(&show)) return false;
        *out = std::move(show);
        return true;
      }
      if (Accept(Tok::kValues)) {
        if (type() == Tok::kExact || type() == Tok::kCardinality) {
          return Unsupported(tok_.offset, "SHOW TAG VALUES CARDINALITY");
        }
        ShowTagValues show;
        if (!ParseShowTagValues(&show)) return false;
        *out = std::move(show);
        return true;
      }
      if (type() == Tok::kKey) return Unsupported(tok_.offset, "SHOW TAG KEY CARDINALITY");
      return Unexpected("KEY, KEYS, VALUES");
    }
    case Tok::kField: {
      Advance();
      if (Accept(Tok::kKeys)) {
        ShowFieldKeys show;
        if (!ParseShowFieldKeys(&show)) return false;
        *out = std::move(show);
        return true;
      }
      if (type() == Tok::kKey) return Unsupported(tok_.offset, "SHOW FIELD KEY CARDINALITY");
      return Unexpected("KEY, KEYS");
    }
    case Tok::kSeries: {
      Advance();
      if (type() == Tok::kExact || type() == Tok::kCardinality) {
        return Unsupported(tok_.offset, "SHOW SERIES CARDINALITY");
      }
      ShowSeries show;
      if (!ParseShowSeries(&show)) return false;
      *out = std::move(show);
      return true;
    }
    case Tok::kRetention: {
      Advance();
      if (!Accept(Tok::kPolicies)) return Unexpected("POLICIES");
      ShowRetentionPolicies show;
      if (Accept(Tok::kOn) && !ParseIdent(&show.database)) return false;
      *out = std::move(show);
      return true;
    }
    case Tok::kContinuous:
      return Unsupported(start, "SHOW CONTINUOUS QUERIES");
    case Tok::kShard:
      return Unsupported(start, "SHOW SHARD GROUPS");
    case Tok::kDiagnostics:
    case Tok::kGrants:
    case Tok::kQueries:
    case Tok::kShards:
    case Tok::kStats:
    case Tok::kSubscriptions:
    case Tok::kUsers:
      return Unsupported(start, absl::StrCat("SHOW ", std::string(TokName(type()))));
    default:
      return Unexpected(kExpectedShow);
  }
}

bool Parser::ParseOnDatabase(std::string* out) {
  if (!Accept(Tok::kOn)) return true;
  return ParseIdent(out);
}

bool Parser::ParseOptionalFrom(std::vector<Measurement>* out) {
  if (!Accept(Tok::kFrom)) return true;
  return ParseSources(out, /*select=*/false);
}

// SHOW MEASUREMENTS [ON db] [WITH MEASUREMENT = name | =~ /regex/] [WHERE] [ORDER BY] [LIMIT]
// [OFFSET]
bool Parser::ParseShowMeasurements(ShowMeasurements* out) {
  if (!ParseOnDatabase(&out->database)) return false;
  if (Accept(Tok::kWith)) {
    if (!Expect(Tok::kMeasurement)) return false;
    if (!Accept(Tok::kEq) && !Accept(Tok::kEqRegex)) return Unexpected("=, =~");
    Measurement measurement;
    if (!ParseSource(&measurement, /*select=*/false)) return false;
    out->measurement = std::move(measurement);
  }
  bool descending = false;
  return ParseCondition(&out->condition) && ParseOrderBy(&descending) &&
         ParseOptionalInt(Tok::kLimit, &out->limit) && ParseOptionalInt(Tok::kOffset, &out->offset);
}

// SHOW TAG KEYS [ON db] [FROM] [WHERE] [ORDER BY] [LIMIT] [OFFSET] [SLIMIT] [SOFFSET]
bool Parser::ParseShowTagKeys(ShowTagKeys* out) {
  bool descending = false;
  return ParseOnDatabase(&out->database) && ParseOptionalFrom(&out->sources) &&
         ParseCondition(&out->condition) && ParseOrderBy(&descending) &&
         ParseOptionalInt(Tok::kLimit, &out->limit) &&
         ParseOptionalInt(Tok::kOffset, &out->offset) &&
         ParseOptionalInt(Tok::kSlimit, &out->slimit) &&
         ParseOptionalInt(Tok::kSoffset, &out->soffset);
}

// SHOW TAG VALUES [ON db] [FROM] WITH KEY (= | != | =~ | !~ | IN) ... [WHERE] [ORDER BY] [LIMIT]
// [OFFSET]
bool Parser::ParseShowTagValues(ShowTagValues* out) {
  if (!ParseOnDatabase(&out->database) || !ParseOptionalFrom(&out->sources)) return false;
  if (!Expect(Tok::kWith) || !Expect(Tok::kKey)) return false;
  switch (type()) {
    case Tok::kIn:
      Advance();
      out->key_op = ShowTagValues::KeyOp::kIn;
      if (!Expect(Tok::kLParen) || !ParseIdentList(&out->keys) || !Expect(Tok::kRParen)) {
        return false;
      }
      break;
    case Tok::kEq:
    case Tok::kNeq: {
      out->key_op = type() == Tok::kEq ? ShowTagValues::KeyOp::kEq : ShowTagValues::KeyOp::kNeq;
      Advance();
      std::string key;
      if (!ParseIdent(&key)) return false;
      out->keys.push_back(std::move(key));
      break;
    }
    case Tok::kEqRegex:
    case Tok::kNeqRegex: {
      out->key_op = type() == Tok::kEqRegex ? ShowTagValues::KeyOp::kRegexMatch
                                            : ShowTagValues::KeyOp::kRegexNoMatch;
      Advance();
      if (!ParseRegexLiteral(&out->key_regex)) return false;
      break;
    }
    default:
      return Unexpected("IN, =, =~");
  }
  bool descending = false;
  return ParseCondition(&out->condition) && ParseOrderBy(&descending) &&
         ParseOptionalInt(Tok::kLimit, &out->limit) && ParseOptionalInt(Tok::kOffset, &out->offset);
}

// SHOW FIELD KEYS [ON db] [FROM] [ORDER BY] [LIMIT] [OFFSET]
bool Parser::ParseShowFieldKeys(ShowFieldKeys* out) {
  bool descending = false;
  return ParseOnDatabase(&out->database) && ParseOptionalFrom(&out->sources) &&
         ParseOrderBy(&descending) && ParseOptionalInt(Tok::kLimit, &out->limit) &&
         ParseOptionalInt(Tok::kOffset, &out->offset);
}

// SHOW SERIES [ON db] [FROM] [WHERE] [ORDER BY] [LIMIT] [OFFSET]
bool Parser::ParseShowSeries(ShowSeries* out) {
  bool descending = false;
  return ParseOnDatabase(&out->database) && ParseOptionalFrom(&out->sources) &&
         ParseCondition(&out->condition) && ParseOrderBy(&descending) &&
         ParseOptionalInt(Tok::kLimit, &out->limit) && ParseOptionalInt(Tok::kOffset, &out->offset);
}

bool Parser::ParseCreate(Statement* out) {
  const size_t start = tok_.offset;
  switch (type()) {
    case Tok::kDatabase:
      break;
    case Tok::kContinuous:
      return Unsupported(start, "CREATE CONTINUOUS QUERY");
    case Tok::kUser:
      return Unsupported(start, "CREATE USER");
    case Tok::kRetention:
      return Unsupported(start, "CREATE RETENTION POLICY");
    case Tok::kSubscription:
      return Unsupported(start, "CREATE SUBSCRIPTION");
    default:
      return Unexpected("CONTINUOUS, DATABASE, USER, RETENTION, SUBSCRIPTION");
  }
  Advance();
  CreateDatabase create;
  if (!ParseIdent(&create.name)) return false;
  if (Accept(Tok::kWith)) {
    if (type() != Tok::kDuration_ && type() != Tok::kName && type() != Tok::kReplication &&
        type() != Tok::kShard) {
      return Unexpected("DURATION, NAME, REPLICATION, SHARD");
    }
    if (Accept(Tok::kDuration_)) {
      int64_t duration = 0;
      if (!ParseDuration(&duration)) return false;
      create.duration_ns = duration;
    }
    if (Accept(Tok::kReplication)) {
      const size_t offset = tok_.offset;
      if (type() != Tok::kInteger) return Unexpected("integer");
      int64_t n = 0;
      const auto [end, ec] =
          std::from_chars(tok_.text.data(), tok_.text.data() + tok_.text.size(), n);
      constexpr int64_t kMaxReplication = std::numeric_limits<int32_t>::max();
      if (ec != std::errc() || n < 1 || n > kMaxReplication) {
        return Fail(offset, absl::StrCat("invalid value ", tok_.text,
                                         ": must be 1 <= n <= ", kMaxReplication));
      }
      Advance();
      create.replication = n;
    }
    if (Accept(Tok::kShard)) {
      if (!Expect(Tok::kDuration_)) return false;
      int64_t duration = 0;
      if (!ParseDuration(&duration)) return false;
      create.shard_duration_ns = duration;
    }
    if (Accept(Tok::kName) && !ParseIdent(&create.retention_policy_name)) return false;
  }
  *out = std::move(create);
  return true;
}

bool Parser::ParseDrop(Statement* out) {
  const size_t start = tok_.offset;
  switch (type()) {
    case Tok::kDatabase: {
      Advance();
      DropDatabase drop;
      if (!ParseIdent(&drop.name)) return false;
      *out = std::move(drop);
      return true;
    }
    case Tok::kContinuous:
      return Unsupported(start, "DROP CONTINUOUS QUERY");
    case Tok::kRetention:
      return Unsupported(start, "DROP RETENTION POLICY");
    case Tok::kMeasurement:
    case Tok::kSeries:
    case Tok::kShard:
    case Tok::kSubscription:
    case Tok::kUser:
      return Unsupported(start, absl::StrCat("DROP ", std::string(TokName(type()))));
    default:
      return Unexpected(
          "CONTINUOUS, DATABASE, MEASUREMENT, RETENTION, SERIES, SHARD, "
          "SUBSCRIPTION, USER");
  }
}

bool Parser::ParseIdent(std::string* out) {
  if (type() != Tok::kIdent) return Unexpected("identifier");
  *out = std::move(tok_.text);
  Advance();
  return true;
}

bool Parser::ParseIdentList(std::vector<std::string>* out) {
  do {
    std::string ident;
    if (!ParseIdent(&ident)) return false;
    out->push_back(std::move(ident));
  } while (Accept(Tok::kComma));
  return true;
}

// `a`, `a.b`, `a.b.c`, `a..c`; with `regex_follows` set when the last dot is followed by a
// regex (`db.rp./cpu.*/`). The dot must touch the identifier before it, as in InfluxDB.
bool Parser::ParseSegmentedIdents(std::vector<std::string>* out, bool* regex_follows) {
  *regex_follows = false;
  const size_t start = tok_.offset;
  std::string ident;
  if (!ParseIdent(&ident)) return false;
  out->push_back(std::move(ident));
  while (type() == Tok::kDot && !tok_.space_before) {
    const size_t after_dot = tok_.end;
    const char next = after_dot < text_.size() ? text_[after_dot] : '\0';
    Advance();
    if (next == '/') {
      *regex_follows = true;
      break;
    }
    if (next == ':') break;  // As InfluxDB: `b.::integer` is b cast to integer.
    if (next == '.') {
      out->push_back("");
      continue;
    }
    if (!ParseIdent(&ident)) return false;
    out->push_back(std::move(ident));
    if (out->size() > 3) break;
  }
  if (out->size() > 3) {
    // Quoted as InfluxDB's QuoteIdent(segments...) does: every non-empty segment but the last.
    std::vector<std::string> quoted;
    for (size_t i = 0; i < out->size(); ++i) {
      const std::string& segment = (*out)[i];
      const bool last = i + 1 == out->size();
      if (segment.empty()) {
        quoted.push_back(i == 0 || last ? "\"\"" : "");
      } else {
        std::string q = QuoteIdent(segment);
        if (!last && q.front() != '"') q = "\"" + q + "\"";
        quoted.push_back(std::move(q));
      }
    }
    return Fail(start, absl::StrCat("too many segments in ", absl::StrJoin(quoted, ".")));
  }
  return true;
}

bool Parser::ParseSources(std::vector<Measurement>* out, bool select) {
  do {
    Measurement measurement;
    if (!ParseSource(&measurement, select)) return false;
    out->push_back(std::move(measurement));
  } while (Accept(Tok::kComma));
  return true;
}

// /regex/ | [db.[rp].]name | [db.[rp].]/regex/ | rp.name.
bool Parser::ParseSource(Measurement* out, bool select) {
  if (type() == Tok::kDiv) {
    out->is_regex = true;
    return ParseRegexLiteral(&out->regex);
  }
  if (select && type() == Tok::kLParen) return Unsupported(tok_.offset, "a subquery");
  std::vector<std::string> idents;
  bool regex_follows = false;
  if (!ParseSegmentedIdents(&idents, &regex_follows)) return false;
  if (idents.size() == 3) {
    out->database = std::move(idents[0]);
    out->retention_policy = std::move(idents[1]);
    out->name = std::move(idents[2]);
    return true;
  }
  if (regex_follows) {
    out->is_regex = true;
    if (!ParseRegexLiteral(&out->regex)) return false;
    if (idents.size() == 1) {
      out->retention_policy = std::move(idents[0]);
    } else {
      out->database = std::move(idents[0]);
      out->retention_policy = std::move(idents[1]);
    }
    return true;
  }
  if (idents.size() == 1) {
    out->name = std::move(idents[0]);
  } else {
    out->retention_policy = std::move(idents[0]);
    out->name = std::move(idents[1]);
  }
  return true;
}

// A regex literal where one is required; the current token is the '/' that starts it (the
// scanner read it as division). The pattern must compile (RE2, which reads Go's syntax).
bool Parser::ParseRegexLiteral(std::string* pattern) {
  if (type() != Tok::kDiv) return Unexpected("regex");
  Token regex = lexer_.ScanRegexAt(tok_.offset);
  if (regex.type == Tok::kBad) return Fail(regex.offset, regex.text);
  RE2::Options options;
  options.set_log_errors(false);
  const RE2 compiled(regex.text, options);
  if (!compiled.ok()) {
    return Fail(regex.offset, absl::StrCat("error parsing regexp: ", compiled.error()));
  }
  *pattern = std::move(regex.text);
  Advance();
  return true;
}

bool Parser::ParseCondition(std::unique_ptr<Expr>* out) {
  if (!Accept(Tok::kWhere)) return true;
  Node node;
  if (!ParseExpr(&node)) return false;
  *out = std::move(node.expr);
  return true;
}

bool Parser::ParseFields(std::vector<Field>* out) {
  do {
    Field field;
    const size_t start = tok_.offset;
    if (type() == Tok::kDiv) {
      field.expr = NewExpr(Expr::Kind::kRegex);
      if (!ParseRegexLiteral(&field.expr->name)) return false;
    } else {
      Node node;
      if (!ParseExpr(&node)) return false;
      if (const Expr* bad = FindWhereOnlyOp(*node.expr)) {
        const LineAndChar at = PositionOf(text_, start);
        return FailRaw(absl::StrCat("invalid operator ", std::string(OpTextForMessage(bad->op)),
                                    " in SELECT clause at line ", at.line, ", char ", at.character,
                                    "; operator is intended for WHERE clause"));
      }
      field.expr = std::move(node.expr);
    }
    if (Accept(Tok::kAs) && !ParseIdent(&field.alias)) return false;
    out->push_back(std::move(field));
  } while (Accept(Tok::kComma));
  return true;
}

// GROUP BY time(interval[, offset]), tag, "tag", /regex/, *
bool Parser::ParseDimensions(SelectStatement* out) {
  if (!Accept(Tok::kGroup)) return true;
  if (!Expect(Tok::kBy)) return false;
  bool have_time = false;
  do {
    const size_t start = tok_.offset;
    if (type() == Tok::kDiv) {
      std::string pattern;
      if (!ParseRegexLiteral(&pattern)) return false;
      out->group_by_regexes.push_back(std::move(pattern));
      continue;
    }
    Node node;
    if (!ParseExpr(&node)) return false;
    const Expr* dimension = node.expr.get();
    while (dimension->kind == Expr::Kind::kParen) dimension = dimension->lhs.get();
    switch (dimension->kind) {
      case Expr::Kind::kVarRef:
        if (dimension->name == "time") {
          return Fail(start, "time() is a function and expects at least one argument");
        }
        out->group_by_tags.push_back(dimension->name);
        break;
      case Expr::Kind::kWildcard:
        out->group_by_all_tags = true;
        break;
      case Expr::Kind::kCall: {
        if (dimension->name != "time")
          return Fail(start, "only time() calls allowed in dimensions");
        if (have_time) return Fail(start, "multiple time dimensions not allowed");
        have_time = true;
        const auto& args = dimension->args;
        if (args.empty() || args.size() > 2) {
          return Fail(start, "time dimension expected 1 or 2 arguments");
        }
        if (args[0]->kind != Expr::Kind::kDuration) {
          return Fail(start, "time dimension must have duration argument");
        }
        // As InfluxDB: a zero or negative interval means no time grouping.
        out->group_by_interval_ns = std::max<int64_t>(0, args[0]->integer);
        if (args.size() == 2) {
          if (args[1]->kind == Expr::Kind::kCall && args[1]->name == "now") {
            return Unsupported(start, "GROUP BY time() with a now() offset");
          }
          if (args[1]->kind != Expr::Kind::kDuration) {
            return Fail(start, "time dimension offset must be duration or now()");
          }
          out->group_by_offset_ns = args[1]->integer;
        }
        break;
      }
      default:
        return Fail(start, "only time and tag dimensions allowed");
    }
  } while (Accept(Tok::kComma));
  return true;
}

// fill(null | none | previous | linear | <number>), InfluxDB's messages.
bool Parser::ParseFill(SelectStatement* out) {
  const size_t start = tok_.offset;
  Node node;
  if (!ParseExpr(&node)) return false;
  const Expr& fill = *node.expr;
  if (fill.kind != Expr::Kind::kCall) return Fail(start, "fill must be a function call");
  if (fill.args.size() != 1) {
    return Fail(start, "fill requires an argument, e.g.: 0, null, none, previous, linear");
  }
  const Expr& arg = *fill.args[0];
  const std::string option = arg.kind == Expr::Kind::kVarRef ? ToString(arg) : "";
  if (option == "null") {
    out->fill = SelectStatement::Fill::kNull;
  } else if (option == "none") {
    out->fill = SelectStatement::Fill::kNone;
  } else if (option == "previous") {
    out->fill = SelectStatement::Fill::kPrevious;
  } else if (option == "linear") {
    out->fill = SelectStatement::Fill::kLinear;
  } else if (arg.kind == Expr::Kind::kInteger) {
    out->fill = SelectStatement::Fill::kNumber;
    out->fill_value_is_integer = true;
    out->fill_integer = arg.integer;
    out->fill_value = static_cast<double>(arg.integer);
  } else if (arg.kind == Expr::Kind::kNumber) {
    out->fill = SelectStatement::Fill::kNumber;
    out->fill_value = arg.number;
  } else {
    return Fail(start, "expected number argument in fill()");
  }
  return true;
}

// ORDER BY time [ASC|DESC] | ORDER BY ASC|DESC; InfluxQL orders by time only.
bool Parser::ParseOrderBy(bool* descending) {
  if (!Accept(Tok::kOrder)) return true;
  if (!Expect(Tok::kBy)) return false;
  const size_t start = tok_.offset;
  if (type() == Tok::kAsc || type() == Tok::kDesc) {
    *descending = type() == Tok::kDesc;
    Advance();
  } else if (type() == Tok::kIdent) {
    const bool is_time = tok_.text == "time";
    Advance();
    if (type() == Tok::kAsc || type() == Tok::kDesc) {
      *descending = type() == Tok::kDesc;
      Advance();
    }
    if (!is_time) return Fail(start, "only ORDER BY time supported at this time");
  } else {
    return Unexpected("identifier, ASC, DESC");
  }
  if (type() == Tok::kComma) return Fail(start, "only ORDER BY time supported at this time");
  return true;
}

// LIMIT n and friends. As InfluxDB, a value beyond int64 saturates.
bool Parser::ParseOptionalInt(Tok keyword, int64_t* out) {
  if (!Accept(keyword)) return true;
  if (type() != Tok::kInteger) return Unexpected("integer");
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(tok_.text.data(), tok_.text.data() + tok_.text.size(), n);
  *out = ec == std::errc() ? n : std::numeric_limits<int64_t>::max();
  Advance();
  return true;
}

// tz('Europe/Paris')
bool Parser::ParseTimeZone(std::string* out) {
  const size_t start = tok_.offset;
  Node node;
  if (!ParseExpr(&node)) return false;
  const Expr& tz = *node.expr;
  if (tz.kind != Expr::Kind::kCall) return Fail(start, "tz must be a function call");
  if (tz.args.size() != 1) return Fail(start, "tz requires exactly one argument");
  if (tz.args[0]->kind != Expr::Kind::kString) {
    return Fail(start, "expected string argument in tz()");
  }
  const std::string& name = tz.args[0]->name;
  if (!PlausibleTimeZoneName(name)) {
    return Fail(start, absl::StrCat("unable to find time zone ", name));
  }
  *out = name;
  return true;
}

// A duration literal or INF (0).
bool Parser::ParseDuration(int64_t* out) {
  if (Accept(Tok::kInf)) {
    *out = 0;
    return true;
  }
  if (type() != Tok::kDuration) return Unexpected("duration");
  absl::StatusOr<int64_t> duration = ParseDurationLiteral(tok_.text);
  if (!duration.ok()) return Fail(tok_.offset, std::string(duration.status().message()));
  *out = *duration;
  Advance();
  return true;
}

// Operator precedence by an explicit stack (shunting-yard) rather than one recursion per
// precedence level, so that each level of parentheses costs one ParseExpr frame. Operators of one
// level associate to the left; the trees are those of InfluxDB's insertion algorithm.
bool Parser::ParseExpr(Node* out) {
  if (!ParseUnary(out)) return false;
  // Most expressions (call arguments, parenthesized terms) have no operator: no stacks then.
  return Precedence(type()) == 0 || ParseOperators(out);
}

// Continues the expression whose first operand is `*inout` and replaces it with the whole.
bool Parser::ParseOperators(Node* inout) {
  Node first = std::move(*inout);
  Node* out = inout;
  struct PendingOp {
    Tok type;
    size_t offset;
  };
  std::vector<Node> operands;
  std::vector<PendingOp> ops;  // ops[i] joins operands[i] and operands[i + 1].
  operands.push_back(std::move(first));
  const auto reduce = [&]() {
    const PendingOp op = ops.back();
    ops.pop_back();
    Node rhs = std::move(operands.back());
    operands.pop_back();
    Node& lhs = operands.back();
    Node binary;
    binary.expr = NewExpr(Expr::Kind::kBinary);
    binary.expr->op = ToBinaryOp(op.type);
    binary.depth = 1 + std::max(lhs.depth, rhs.depth);
    binary.expr->lhs = std::move(lhs.expr);
    binary.expr->rhs = std::move(rhs.expr);
    lhs = std::move(binary);
    return CheckDepth(lhs, op.offset);
  };
  for (int precedence = Precedence(type()); precedence != 0; precedence = Precedence(type())) {
    while (!ops.empty() && Precedence(ops.back().type) >= precedence) {
      if (!reduce()) return false;
    }
    const Tok op = type();
    ops.push_back({op, tok_.offset});
    Advance();
    Node rhs;
    if (op == Tok::kEqRegex || op == Tok::kNeqRegex) {
      if (!ParseRegexOperand(&rhs)) return false;
    } else if (!ParseUnary(&rhs)) {
      return false;
    }
    operands.push_back(std::move(rhs));
  }
  while (!ops.empty()) {
    if (!reduce()) return false;
  }
  *out = std::move(operands.back());
  return true;
}

// The recursive path (parentheses, signs, calls) stays in ParseUnary, ParseSigned and
// ParseCallArgs; the leaves are out of line to keep those frames small.
bool Parser::ParseUnary(Node* out) {
  const size_t start = tok_.offset;
  switch (type()) {
    case Tok::kLParen: {
      if (!Enter()) return false;
      Advance();
      Node inner;
      if (!ParseExpr(&inner)) return false;
      if (!Accept(Tok::kRParen)) return Unexpected(")");
      Leave();
      out->expr = NewExpr(Expr::Kind::kParen);
      out->depth = inner.depth + 1;
      out->expr->lhs = std::move(inner.expr);
      return CheckDepth(*out, start);
    }
    case Tok::kIdent:
      // A call only when '(' touches the name, as in InfluxDB (`mean (x)` is not a call).
      if (tok_.end < text_.size() && text_[tok_.end] == '(') {
        std::string name = absl::AsciiStrToLower(tok_.text);
        Advance();
        Advance();
        return ParseCallArgs(std::move(name), out);
      }
      return ParseVarRef(out);
    case Tok::kDistinct:
      return ParseDistinct(out);
    case Tok::kAdd:
    case Tok::kSub:
      return ParseSigned(out);
    default:
      return ParseLiteral(out);
  }
}

// DISTINCT(x) and DISTINCT x are both the call distinct(x).
bool Parser::ParseDistinct(Node* out) {
  Advance();
  if (type() == Tok::kLParen && !tok_.space_before) {
    Advance();
    return ParseCallArgs("distinct", out);
  }
  if (!tok_.space_before) return Unexpected("(, identifier");
  if (type() != Tok::kIdent) return Unexpected("identifier");
  auto ref = NewExpr(Expr::Kind::kVarRef);
  ref->name = std::move(tok_.text);
  Advance();
  out->expr = NewExpr(Expr::Kind::kCall);
  out->expr->name = "distinct";
  out->expr->args.push_back(std::move(ref));
  out->depth = 2;
  return true;
}

bool Parser::ParseLiteral(Node* out) {
  const size_t start = tok_.offset;
  out->depth = 1;
  switch (type()) {
    case Tok::kString:
      out->expr = NewExpr(Expr::Kind::kString);
      out->expr->name = std::move(tok_.text);
      break;
    case Tok::kNumber: {
      double value = 0;
      const auto [end, ec] =
          std::from_chars(tok_.text.data(), tok_.text.data() + tok_.text.size(), value);
      if (ec != std::errc()) return Fail(start, "unable to parse number");
      out->expr = NewExpr(Expr::Kind::kNumber);
      out->expr->number = value;
      break;
    }
    case Tok::kInteger: {
      int64_t value = 0;
      const auto [end, ec] =
          std::from_chars(tok_.text.data(), tok_.text.data() + tok_.text.size(), value);
      if (ec != std::errc()) return Fail(start, "unable to parse integer");
      out->expr = NewExpr(Expr::Kind::kInteger);
      out->expr->integer = value;
      break;
    }
    case Tok::kTrue:
    case Tok::kFalse:
      out->expr = NewExpr(Expr::Kind::kBoolean);
      out->expr->boolean = type() == Tok::kTrue;
      break;
    case Tok::kDuration: {
      absl::StatusOr<int64_t> duration = ParseDurationLiteral(tok_.text);
      if (!duration.ok()) return Fail(start, std::string(duration.status().message()));
      out->expr = NewExpr(Expr::Kind::kDuration);
      out->expr->integer = *duration;
      break;
    }
    case Tok::kMul: {
      Advance();
      out->expr = NewExpr(Expr::Kind::kWildcard);
      if (type() == Tok::kDoubleColon && !tok_.space_before) {
        Advance();
        if (type() == Tok::kField && !tok_.space_before) {
          out->expr->cast = DataType::kField;
        } else if (type() == Tok::kTag && !tok_.space_before) {
          out->expr->cast = DataType::kTag;
        } else {
          return Unexpected("field, tag");
        }
        Advance();
      }
      return true;
    }
    default:
      return Unexpected(kExpectedExpr);
  }
  Advance();
  return true;
}

bool Parser::ParseRegexOperand(Node* out) {
  out->expr = NewExpr(Expr::Kind::kRegex);
  out->depth = 1;
  return ParseRegexLiteral(&out->expr->name);
}

// After '-': the integer, with -9223372036854775808 in range.
bool Parser::ParseNegativeInteger(Node* out) {
  const size_t start = tok_.offset;
  const std::string digits = "-" + tok_.text;
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc()) {
    uint64_t magnitude = 0;
    const auto [end2, ec2] =
        std::from_chars(tok_.text.data(), tok_.text.data() + tok_.text.size(), magnitude);
    if (ec2 == std::errc()) {
      return Fail(start, absl::StrCat("constant -", tok_.text, " underflows int64"));
    }
    return Fail(start, "unable to parse integer");
  }
  out->expr = NewExpr(Expr::Kind::kInteger);
  out->expr->integer = value;
  out->depth = 1;
  Advance();
  return true;
}

// -1, -1.5, -5m are negative literals; -x, -f(x), -(x) become -1 * x, as in InfluxDB (the field
// keeps x's name). A leading + is accepted the same way.
bool Parser::ParseSigned(Node* out) {
  const bool negative = type() == Tok::kSub;
  Advance();
  const size_t start = tok_.offset;
  switch (type()) {
    case Tok::kInteger:
      if (negative) return ParseNegativeInteger(out);
      return ParseLiteral(out);
    case Tok::kNumber:
    case Tok::kDuration:
      if (!ParseLiteral(out)) return false;
      if (negative) {
        if (out->expr->kind == Expr::Kind::kNumber) {
          out->expr->number = -out->expr->number;
        } else {
          out->expr->integer = -out->expr->integer;  // Durations never hold INT64_MIN.
        }
      }
      return true;
    case Tok::kLParen:
    case Tok::kIdent: {
      if (!Enter()) return false;
      Node operand;
      if (!ParseUnary(&operand)) return false;
      Leave();
      auto sign = NewExpr(Expr::Kind::kInteger);
      sign->integer = negative ? -1 : 1;
      out->expr = NewExpr(Expr::Kind::kBinary);
      out->expr->op = BinaryOp::kMul;
      out->expr->lhs = std::move(sign);
      out->expr->rhs = std::move(operand.expr);
      out->depth = operand.depth + 1;
      return CheckDepth(*out, start);
    }
    default:
      return Unexpected("identifier, number, duration, (");
  }
}

// After `name(`: arguments (expressions or regexes) and ')'.
bool Parser::ParseCallArgs(std::string name, Node* out) {
  const size_t start = tok_.offset;
  if (!Enter()) return false;
  auto call = NewExpr(Expr::Kind::kCall);
  call->name = std::move(name);
  int depth = 1;
  if (!Accept(Tok::kRParen)) {
    do {
      Node arg;
      if (type() == Tok::kDiv) {
        if (!ParseRegexOperand(&arg)) return false;
      } else if (!ParseExpr(&arg)) {
        return false;
      }
      depth = std::max(depth, arg.depth + 1);
      call->args.push_back(std::move(arg.expr));
    } while (Accept(Tok::kComma));
    if (!Accept(Tok::kRParen)) return Unexpected(")");
  }
  Leave();
  out->expr = std::move(call);
  out->depth = depth;
  return CheckDepth(*out, start);
}

// name[.name[.name]][::type]
bool Parser::ParseVarRef(Node* out) {
  std::vector<std::string> segments;
  bool regex_follows = false;
  if (!ParseSegmentedIdents(&segments, &regex_follows)) return false;
  if (regex_follows) return Unexpected(kExpectedExpr);
  auto ref = NewExpr(Expr::Kind::kVarRef);
  ref->name = absl::StrJoin(segments, ".");
  if (type() == Tok::kDoubleColon && !tok_.space_before) {
    Advance();
    constexpr std::string_view kCasts = "float, integer, unsigned, string, boolean, field, tag";
    if (tok_.space_before) return Unexpected(kCasts);
    if (type() == Tok::kField) {
      ref->cast = DataType::kField;
    } else if (type() == Tok::kTag) {
      ref->cast = DataType::kTag;
    } else if (type() == Tok::kIdent) {
      const std::string cast = absl::AsciiStrToLower(tok_.text);
      if (cast == "float") {
        ref->cast = DataType::kFloat;
      } else if (cast == "integer") {
        ref->cast = DataType::kInteger;
      } else if (cast == "unsigned") {
        ref->cast = DataType::kUnsigned;
      } else if (cast == "string") {
        ref->cast = DataType::kString;
      } else if (cast == "boolean") {
        ref->cast = DataType::kBoolean;
      } else {
        return Unexpected(kCasts);
      }
    } else {
      return Unexpected(kCasts);
    }
    Advance();
  }
  out->expr = std::move(ref);
  out->depth = 1;
  return true;
}

}  // namespace

absl::StatusOr<Query> ParseQuery(std::string_view text) { return Parser(text).ParseQuery(); }

absl::StatusOr<std::unique_ptr<Expr>> ParseExpr(std::string_view text) {
  return Parser(text).ParseOnlyExpr();
}

}  // namespace edgetsdb::query::influxql
