// The InfluxQL scanner, matching InfluxDB 1.x's (influxql/scanner.go) where it matters to users:
//
//   identifiers   [A-Za-z_][A-Za-z0-9_]* or "double quoted" with \" \\ \n \' escapes; keywords
//                 (SELECT, FROM, ...) are case-insensitive and reserved unless quoted
//   strings       'single quoted', same escapes; a raw newline ends the text with an error
//   numbers       123 (kInteger), 1.5 and .5 (kNumber); no exponents: 1e3 scans as a duration
//                 literal and fails as one, as in InfluxDB
//   durations     a digit run followed by letters: 10ns 5u 5µ 10ms 10s 10m 1h 2d 1w 1h30m
//   regexes       /.../ with \/ for a slash; only scanned where the parser asks (ScanRegex), since
//                 elsewhere '/' is division
//   comments      -- to the end of the line, /* ... */
//   whitespace    space, tab, \n, \r; nothing else (a form feed is an illegal character)
//
// The scanner never fails: bad input becomes a kBad token carrying the message, which the parser
// reports if it reaches it. Positions are byte offsets; LineAndChar turns one into InfluxDB's
// 1-based line and character (counting UTF-8 code points, as Go's runes).
#ifndef EDGETSDB_QUERY_INFLUXQL_LEXER_H_
#define EDGETSDB_QUERY_INFLUXQL_LEXER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace edgetsdb::query::influxql {

enum class Tok : uint8_t {
  kEof,
  kIllegal,  // text: the offending character.
  kBad,      // A malformed literal or comment; text: the message.

  // Literals; text holds the (unescaped) value.
  kIdent,
  kBoundParam,  // $name
  kNumber,
  kInteger,
  kDuration,
  kString,
  kRegex,  // Only from ScanRegex.
  kTrue,
  kFalse,

  // Operators.
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
  kIn,
  kEq,
  kNeq,
  kEqRegex,
  kNeqRegex,
  kLt,
  kLte,
  kGt,
  kGte,

  kLParen,
  kRParen,
  kComma,
  kColon,
  kDoubleColon,
  kSemicolon,
  kDot,

  // Keywords (reserved words), in InfluxDB 1.x's list.
  kAll,
  kAlter,
  kAnalyze,
  kAny,
  kAs,
  kAsc,
  kBegin,
  kBy,
  kCardinality,
  kCreate,
  kContinuous,
  kDatabase,
  kDatabases,
  kDefault,
  kDelete,
  kDesc,
  kDestinations,
  kDiagnostics,
  kDistinct,
  kDrop,
  kDuration_,  // The DURATION keyword (kDuration is a duration literal).
  kEnd,
  kEvery,
  kExact,
  kExplain,
  kField,
  kFor,
  kFrom,
  kGrant,
  kGrants,
  kGroup,
  kGroups,
  kInf,
  kInsert,
  kInto,
  kKey,
  kKeys,
  kKill,
  kLimit,
  kMeasurement,
  kMeasurements,
  kName,
  kOffset,
  kOn,
  kOrder,
  kPassword,
  kPolicy,
  kPolicies,
  kPrivileges,
  kQueries,
  kQuery,
  kRead,
  kReplication,
  kResample,
  kRetention,
  kRevoke,
  kSelect,
  kSeries,
  kSet,
  kShow,
  kShard,
  kShards,
  kSlimit,
  kSoffset,
  kStats,
  kSubscription,
  kSubscriptions,
  kTag,
  kTo,
  kUser,
  kUsers,
  kValues,
  kWhere,
  kWith,
  kWrite,
};

struct Token {
  Tok type = Tok::kEof;
  size_t offset = 0;          // First byte in the text (for kBad: where the problem is).
  size_t end = 0;             // One past the last byte.
  bool space_before = false;  // Whitespace or a comment separates it from the previous token.
  std::string text;
};

// InfluxDB's name for a token type: "SELECT", "+", "EOF", "IDENT".
std::string_view TokName(Tok type);

// How an error message shows the token: its literal text if it has one, else its name (this is
// InfluxDB's tokstr: `found FROMM` for an identifier, `found FROM` for the keyword).
std::string TokenForMessage(const Token& token);

// The keyword an identifier spells (case-insensitively), or kIdent.
Tok LookupKeyword(std::string_view ident);

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  // The next token, skipping whitespace and comments.
  Token Next();

  // Scans a regex literal starting exactly at `offset`, which must hold '/', and continues from
  // its end. Returns kRegex, or kBad for an unterminated one.
  Token ScanRegexAt(size_t offset);

 private:
  Token ScanNumber(size_t start);
  Token ScanQuoted(size_t start, Tok type);
  Token ScanBareIdent(size_t start);

  std::string_view text_;
  size_t pos_ = 0;
};

struct LineAndChar {
  int line = 1;
  int character = 1;
};

// InfluxDB's 1-based position of a byte offset: \r\n, \r and \n each end a line; characters are
// UTF-8 code points.
LineAndChar PositionOf(std::string_view text, size_t offset);

// Parses a duration literal's text ("1h30m", "10ms", "5µ") into nanoseconds. InvalidArgument with
// InfluxDB's message ("invalid duration", "overflowed duration ...") if it is not one.
absl::StatusOr<int64_t> ParseDurationLiteral(std::string_view literal);

// True if the identifier must be double-quoted to scan back as itself (keywords, non-bare text).
bool IdentNeedsQuotes(std::string_view ident);

}  // namespace edgetsdb::query::influxql

#endif  // EDGETSDB_QUERY_INFLUXQL_LEXER_H_
