#include "query/influxql/lexer.h"

#include <algorithm>
#include <array>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace edgetsdb::query::influxql {
namespace {

constexpr std::string_view kMicro = "\xC2\xB5";  // µ (U+00B5) in UTF-8.

bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentChar(char c) { return IsLetter(c) || IsDigit(c) || c == '_'; }
bool IsWhitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Indexed by Tok; the order must follow the enum.
constexpr std::string_view kTokNames[] = {
    "EOF",
    "ILLEGAL",
    "BADTOKEN",
    "IDENT",
    "BOUNDPARAM",
    "NUMBER",
    "INTEGER",
    "DURATIONVAL",
    "STRING",
    "REGEX",
    "TRUE",
    "FALSE",
    "+",
    "-",
    "*",
    "/",
    "%",
    "&",
    "|",
    "^",
    "AND",
    "OR",
    "IN",
    "=",
    "!=",
    "=~",
    "!~",
    "<",
    "<=",
    ">",
    ">=",
    "(",
    ")",
    ",",
    ":",
    "::",
    ";",
    ".",
    "ALL",
    "ALTER",
    "ANALYZE",
    "ANY",
    "AS",
    "ASC",
    "BEGIN",
    "BY",
    "CARDINALITY",
    "CREATE",
    "CONTINUOUS",
    "DATABASE",
    "DATABASES",
    "DEFAULT",
    "DELETE",
    "DESC",
    "DESTINATIONS",
    "DIAGNOSTICS",
    "DISTINCT",
    "DROP",
    "DURATION",
    "END",
    "EVERY",
    "EXACT",
    "EXPLAIN",
    "FIELD",
    "FOR",
    "FROM",
    "GRANT",
    "GRANTS",
    "GROUP",
    "GROUPS",
    "INF",
    "INSERT",
    "INTO",
    "KEY",
    "KEYS",
    "KILL",
    "LIMIT",
    "MEASUREMENT",
    "MEASUREMENTS",
    "NAME",
    "OFFSET",
    "ON",
    "ORDER",
    "PASSWORD",
    "POLICY",
    "POLICIES",
    "PRIVILEGES",
    "QUERIES",
    "QUERY",
    "READ",
    "REPLICATION",
    "RESAMPLE",
    "RETENTION",
    "REVOKE",
    "SELECT",
    "SERIES",
    "SET",
    "SHOW",
    "SHARD",
    "SHARDS",
    "SLIMIT",
    "SOFFSET",
    "STATS",
    "SUBSCRIPTION",
    "SUBSCRIPTIONS",
    "TAG",
    "TO",
    "USER",
    "USERS",
    "VALUES",
    "WHERE",
    "WITH",
    "WRITE",
};
static_assert(std::size(kTokNames) == static_cast<size_t>(Tok::kWrite) + 1,
              "kTokNames must name every Tok");

// Every word that scans as something other than an identifier: the keywords, the word
// operators, and the boolean literals. Sorted for binary search.
struct KeywordEntry {
  std::string_view word;
  Tok type;
};
constexpr KeywordEntry kKeywords[] = {
    {"all", Tok::kAll},
    {"alter", Tok::kAlter},
    {"analyze", Tok::kAnalyze},
    {"and", Tok::kAnd},
    {"any", Tok::kAny},
    {"as", Tok::kAs},
    {"asc", Tok::kAsc},
    {"begin", Tok::kBegin},
    {"by", Tok::kBy},
    {"cardinality", Tok::kCardinality},
    {"continuous", Tok::kContinuous},
    {"create", Tok::kCreate},
    {"database", Tok::kDatabase},
    {"databases", Tok::kDatabases},
    {"default", Tok::kDefault},
    {"delete", Tok::kDelete},
    {"desc", Tok::kDesc},
    {"destinations", Tok::kDestinations},
    {"diagnostics", Tok::kDiagnostics},
    {"distinct", Tok::kDistinct},
    {"drop", Tok::kDrop},
    {"duration", Tok::kDuration_},
    {"end", Tok::kEnd},
    {"every", Tok::kEvery},
    {"exact", Tok::kExact},
    {"explain", Tok::kExplain},
    {"false", Tok::kFalse},
    {"field", Tok::kField},
    {"for", Tok::kFor},
    {"from", Tok::kFrom},
    {"grant", Tok::kGrant},
    {"grants", Tok::kGrants},
    {"group", Tok::kGroup},
    {"groups", Tok::kGroups},
    {"in", Tok::kIn},
    {"inf", Tok::kInf},
    {"insert", Tok::kInsert},
    {"into", Tok::kInto},
    {"key", Tok::kKey},
    {"keys", Tok::kKeys},
    {"kill", Tok::kKill},
    {"limit", Tok::kLimit},
    {"measurement", Tok::kMeasurement},
    {"measurements", Tok::kMeasurements},
    {"name", Tok::kName},
    {"offset", Tok::kOffset},
    {"on", Tok::kOn},
    {"or", Tok::kOr},
    {"order", Tok::kOrder},
    {"password", Tok::kPassword},
    {"policies", Tok::kPolicies},
    {"policy", Tok::kPolicy},
    {"privileges", Tok::kPrivileges},
    {"queries", Tok::kQueries},
    {"query", Tok::kQuery},
    {"read", Tok::kRead},
    {"replication", Tok::kReplication},
    {"resample", Tok::kResample},
    {"retention", Tok::kRetention},
    {"revoke", Tok::kRevoke},
    {"select", Tok::kSelect},
    {"series", Tok::kSeries},
    {"set", Tok::kSet},
    {"shard", Tok::kShard},
    {"shards", Tok::kShards},
    {"show", Tok::kShow},
    {"slimit", Tok::kSlimit},
    {"soffset", Tok::kSoffset},
    {"stats", Tok::kStats},
    {"subscription", Tok::kSubscription},
    {"subscriptions", Tok::kSubscriptions},
    {"tag", Tok::kTag},
    {"to", Tok::kTo},
    {"true", Tok::kTrue},
    {"user", Tok::kUser},
    {"users", Tok::kUsers},
    {"values", Tok::kValues},
    {"where", Tok::kWhere},
    {"with", Tok::kWith},
    {"write", Tok::kWrite},
};
constexpr size_t kLongestKeyword = 13;  // "subscriptions"

constexpr bool KeywordsSorted() {
  for (size_t i = 1; i < std::size(kKeywords); ++i) {
    if (!(kKeywords[i - 1].word < kKeywords[i].word)) return false;
  }
  return true;
}
static_assert(KeywordsSorted(), "kKeywords must be sorted for binary search");

Token Make(Tok type, size_t offset, size_t end, std::string text = {}) {
  Token token;
  token.type = type;
  token.offset = offset;
  token.end = end;
  token.text = std::move(text);
  return token;
}

// Bytes of the UTF-8 sequence starting at text[i] (1 for invalid bytes), so that an illegal
// character or a bad escape is shown whole.
size_t Utf8Length(std::string_view text, size_t i) {
  const unsigned char c = static_cast<unsigned char>(text[i]);
  size_t n = c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  size_t available = 1;
  while (available < n && i + available < text.size() &&
         (static_cast<unsigned char>(text[i + available]) & 0xC0) == 0x80) {
    ++available;
  }
  return available;
}

}  // namespace

std::string_view TokName(Tok type) {
  const size_t i = static_cast<size_t>(type);
  return i < std::size(kTokNames) ? kTokNames[i] : std::string_view("?");
}

std::string TokenForMessage(const Token& token) {
  switch (token.type) {
    case Tok::kIdent:
    case Tok::kBoundParam:
    case Tok::kNumber:
    case Tok::kInteger:
    case Tok::kDuration:
    case Tok::kString:
    case Tok::kIllegal:
      if (!token.text.empty()) return token.text;
      break;
    default:
      break;
  }
  return std::string(TokName(token.type));
}

Tok LookupKeyword(std::string_view ident) {
  if (ident.size() > kLongestKeyword) return Tok::kIdent;
  char lower[kLongestKeyword];
  for (size_t i = 0; i < ident.size(); ++i) {
    const char c = ident[i];
    lower[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  const std::string_view word(lower, ident.size());
  const auto* it = std::lower_bound(
      std::begin(kKeywords), std::end(kKeywords), word,
      [](const KeywordEntry& entry, std::string_view w) { return entry.word < w; });
  if (it != std::end(kKeywords) && it->word == word) return it->type;
  return Tok::kIdent;
}

bool IdentNeedsQuotes(std::string_view ident) {
  if (ident.empty() || LookupKeyword(ident) != Tok::kIdent) return true;
  if (IsDigit(ident[0])) return true;
  return !std::all_of(ident.begin(), ident.end(), IsIdentChar);
}

Token Lexer::Next() {
  bool space = false;
  // Skip whitespace and comments.
  for (;;) {
    if (pos_ >= text_.size()) {
      Token eof = Make(Tok::kEof, text_.size(), text_.size());
      eof.space_before = space;
      return eof;
    }
    const char c = text_[pos_];
    if (IsWhitespace(c)) {
      ++pos_;
      space = true;
    } else if (c == '-' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '-') {
      const size_t newline = text_.find_first_of("\r\n", pos_);
      pos_ = newline == std::string_view::npos ? text_.size() : newline;
      space = true;
    } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '*') {
      const size_t close = text_.find("*/", pos_ + 2);
      if (close == std::string_view::npos) {
        const size_t start = pos_;
        pos_ = text_.size();
        Token bad = Make(Tok::kBad, start, text_.size(), "unterminated comment");
        bad.space_before = space;
        return bad;
      }
      pos_ = close + 2;
      space = true;
    } else {
      break;
    }
  }

  const size_t start = pos_;
  const char c = text_[pos_];
  Token token;
  if (IsLetter(c) || c == '_') {
    token = ScanBareIdent(start);
  } else if (IsDigit(c) || (c == '.' && pos_ + 1 < text_.size() && IsDigit(text_[pos_ + 1]))) {
    token = ScanNumber(start);
  } else if (c == '"') {
    token = ScanQuoted(start, Tok::kIdent);
  } else if (c == '\'') {
    token = ScanQuoted(start, Tok::kString);
  } else if (c == '$') {
    size_t end = pos_ + 1;
    while (end < text_.size() && IsIdentChar(text_[end])) ++end;
    pos_ = end;
    token = Make(Tok::kBoundParam, start, end, std::string(text_.substr(start, end - start)));
  } else {
    auto next_is = [this](char want) { return pos_ + 1 < text_.size() && text_[pos_ + 1] == want; };
    Tok type = Tok::kIllegal;
    size_t length = 1;
    switch (c) {
      case '+':
        type = Tok::kAdd;
        break;
      case '-':
        type = Tok::kSub;
        break;
      case '*':
        type = Tok::kMul;
        break;
      case '/':
        type = Tok::kDiv;
        break;
      case '%':
        type = Tok::kMod;
        break;
      case '&':
        type = Tok::kBitAnd;
        break;
      case '|':
        type = Tok::kBitOr;
        break;
      case '^':
        type = Tok::kBitXor;
        break;
      case '(':
        type = Tok::kLParen;
        break;
      case ')':
        type = Tok::kRParen;
        break;
      case ',':
        type = Tok::kComma;
        break;
      case ';':
        type = Tok::kSemicolon;
        break;
      case '.':
        type = Tok::kDot;
        break;
      case '=':
        type = next_is('~') ? Tok::kEqRegex : Tok::kEq;
        length = next_is('~') ? 2 : 1;
        break;
      case '!':
        if (next_is('=')) {
          type = Tok::kNeq;
          length = 2;
        } else if (next_is('~')) {
          type = Tok::kNeqRegex;
          length = 2;
        }
        break;
      case '<':
        if (next_is('=')) {
          type = Tok::kLte;
          length = 2;
        } else if (next_is('>')) {
          type = Tok::kNeq;
          length = 2;
        } else {
          type = Tok::kLt;
        }
        break;
      case '>':
        type = next_is('=') ? Tok::kGte : Tok::kGt;
        length = next_is('=') ? 2 : 1;
        break;
      case ':':
        type = next_is(':') ? Tok::kDoubleColon : Tok::kColon;
        length = next_is(':') ? 2 : 1;
        break;
      default:
        break;
    }
    if (type == Tok::kIllegal) {
      length = Utf8Length(text_, pos_);
      pos_ += length;
      token = Make(Tok::kIllegal, start, pos_, std::string(text_.substr(start, length)));
    } else {
      pos_ += length;
      token = Make(type, start, pos_);
    }
  }
  token.space_before = space;
  return token;
}

Token Lexer::ScanBareIdent(size_t start) {
  size_t end = start;
  while (end < text_.size() && IsIdentChar(text_[end])) ++end;
  pos_ = end;
  const std::string_view word = text_.substr(start, end - start);
  const Tok keyword = LookupKeyword(word);
  if (keyword != Tok::kIdent) return Make(keyword, start, end);
  return Make(Tok::kIdent, start, end, std::string(word));
}

// InfluxDB's scanNumber: digits, then an optional fraction; without a fraction, letters after the
// digits make a duration literal (validated by the parser, as InfluxDB does).
Token Lexer::ScanNumber(size_t start) {
  size_t i = start;
  while (i < text_.size() && IsDigit(text_[i])) ++i;
  if (i < text_.size() && text_[i] == '.') {
    // As in InfluxDB, "1." is the number 1 with its dot consumed.
    std::string literal(text_.substr(start, i - start));
    ++i;
    if (i < text_.size() && IsDigit(text_[i])) {
      const size_t fraction = i;
      while (i < text_.size() && IsDigit(text_[i])) ++i;
      literal += '.';
      literal.append(text_.substr(fraction, i - fraction));
    }
    pos_ = i;
    return Make(Tok::kNumber, start, i, std::move(literal));
  }
  auto unit_char_at = [this](size_t k) -> size_t {  // Bytes of a unit character at k, or 0.
    if (k >= text_.size()) return 0;
    if (IsLetter(text_[k])) return 1;
    if (text_.substr(k, kMicro.size()) == kMicro) return kMicro.size();
    return 0;
  };
  if (unit_char_at(i) == 0) {
    pos_ = i;
    return Make(Tok::kInteger, start, i, std::string(text_.substr(start, i - start)));
  }
  // Letters, then letters and digits: "1h30m" is one token.
  while (size_t n = unit_char_at(i)) i += n;
  for (;;) {
    if (size_t n = unit_char_at(i)) {
      i += n;
    } else if (i < text_.size() && IsDigit(text_[i])) {
      ++i;
    } else {
      break;
    }
  }
  pos_ = i;
  return Make(Tok::kDuration, start, i, std::string(text_.substr(start, i - start)));
}

// A single-quoted string or a double-quoted identifier: \n \\ \" \' are the escapes, anything
// else after a backslash is an error, and so is a raw line break.
Token Lexer::ScanQuoted(size_t start, Tok type) {
  const char quote = text_[start];
  std::string value;
  size_t i = start + 1;
  for (;;) {
    if (i >= text_.size() || text_[i] == '\n' || text_[i] == '\r') {
      pos_ = i;
      return Make(Tok::kBad, start, i,
                  type == Tok::kString ? "unterminated string" : "unterminated quoted identifier");
    }
    const char c = text_[i];
    if (c == quote) {
      pos_ = i + 1;
      return Make(type, start, pos_, std::move(value));
    }
    if (c != '\\') {
      // Copy the run of ordinary bytes at once.
      size_t run = i + 1;
      while (run < text_.size() && text_[run] != quote && text_[run] != '\\' &&
             text_[run] != '\n' && text_[run] != '\r') {
        ++run;
      }
      value.append(text_.substr(i, run - i));
      i = run;
      continue;
    }
    if (i + 1 >= text_.size()) {
      pos_ = text_.size();
      return Make(Tok::kBad, start, pos_,
                  type == Tok::kString ? "unterminated string" : "unterminated quoted identifier");
    }
    switch (text_[i + 1]) {
      case 'n':
        value += '\n';
        break;
      case '\\':
        value += '\\';
        break;
      case '"':
        value += '"';
        break;
      case '\'':
        value += '\'';
        break;
      default: {
        const size_t length = 1 + Utf8Length(text_, i + 1);
        pos_ = std::min(text_.size(), i + length);
        Token bad = Make(Tok::kBad, i, pos_,
                         absl::StrCat("bad escape: ", std::string(text_.substr(i, length))));
        return bad;
      }
    }
    i += 2;
  }
}

// InfluxDB's ScanRegex: \/ is a slash; any other backslash is kept and the character after it is
// read again, so "\\/" is a backslash followed by an escaped slash, not the end of the regex.
Token Lexer::ScanRegexAt(size_t offset) {
  std::string pattern;
  size_t i = offset + 1;
  for (;;) {
    if (i >= text_.size() || text_[i] == '\n' || text_[i] == '\r') {
      pos_ = i;
      return Make(Tok::kBad, offset, i, "unterminated regex");
    }
    const char c = text_[i];
    if (c == '/') {
      pos_ = i + 1;
      return Make(Tok::kRegex, offset, pos_, std::move(pattern));
    }
    if (c == '\\' && i + 1 < text_.size() && text_[i + 1] == '/') {
      pattern += '/';
      i += 2;
    } else {
      pattern += c;
      ++i;
    }
  }
}

LineAndChar PositionOf(std::string_view text, size_t offset) {
  LineAndChar position;
  offset = std::min(offset, text.size());
  for (size_t i = 0; i < offset; ++i) {
    const char c = text[i];
    if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < offset && text[i + 1] == '\n') ++i;
      ++position.line;
      position.character = 1;
    } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++position.character;
    }
  }
  return position;
}

absl::StatusOr<int64_t> ParseDurationLiteral(std::string_view literal) {
  const absl::Status invalid = absl::InvalidArgumentError("invalid duration");
  if (literal.size() < 2) return invalid;
  size_t i = 0;
  const bool negative = literal[0] == '-';
  if (negative) ++i;
  // Accumulate as a negative number so that -9223372036854775808ns fits.
  int64_t total = 0;
  while (i < literal.size()) {
    const size_t start = i;
    while (i < literal.size() && IsDigit(literal[i])) ++i;
    if (i >= literal.size() || i == start) return invalid;
    int64_t count = 0;
    for (size_t k = start; k < i; ++k) {
      if (__builtin_mul_overflow(count, 10, &count) ||
          __builtin_add_overflow(count, literal[k] - '0', &count)) {
        return invalid;  // As InfluxDB: the digits do not fit an int64.
      }
    }
    int64_t unit = 0;
    std::string_view unit_text = literal.substr(i, 1);
    if (literal[i] == 'n' && i + 1 < literal.size() && literal[i + 1] == 's') {
      unit = 1;
      unit_text = literal.substr(i, 2);
      i += 2;
    } else if (literal[i] == 'm' && i + 1 < literal.size() && literal[i + 1] == 's') {
      unit = 1'000'000;
      unit_text = literal.substr(i, 2);
      i += 2;
    } else if (literal[i] == 'u') {
      unit = 1'000;
      ++i;
    } else if (literal.substr(i, kMicro.size()) == kMicro) {
      unit = 1'000;
      unit_text = kMicro;
      i += kMicro.size();
    } else {
      switch (literal[i]) {
        case 'm':
          unit = 60'000'000'000;
          break;
        case 's':
          unit = 1'000'000'000;
          break;
        case 'h':
          unit = 3'600'000'000'000;
          break;
        case 'd':
          unit = 86'400'000'000'000;
          break;
        case 'w':
          unit = 604'800'000'000'000;
          break;
        default:
          return invalid;
      }
      ++i;
    }
    int64_t part = 0;
    if (__builtin_mul_overflow(count, -unit, &part) ||
        __builtin_add_overflow(total, part, &total)) {
      return absl::InvalidArgumentError(absl::StrCat("overflowed duration ", count,
                                                     std::string(unit_text),
                                                     ": choose a smaller duration or INF"));
    }
  }
  if (negative) return total;
  if (total == std::numeric_limits<int64_t>::min()) {
    return absl::InvalidArgumentError(absl::StrCat("overflowed duration ", std::string(literal),
                                                   ": choose a smaller duration or INF"));
  }
  return -total;
}

}  // namespace edgetsdb::query::influxql
