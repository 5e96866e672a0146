// The InfluxQL scanner: tokens as InfluxDB 1.x scans them, literals and their escapes, durations,
// comments, positions.
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "query/influxql/lexer.h"

namespace edgetsdb::query::influxql {
namespace {

// "TYPE:text" for each token up to EOF (text omitted when empty).
std::vector<std::string> Scan(std::string_view text) {
  Lexer lexer(text);
  std::vector<std::string> out;
  for (int i = 0; i < 100; ++i) {
    const Token token = lexer.Next();
    if (token.type == Tok::kEof) break;
    std::string item(TokName(token.type));
    if (!token.text.empty()) item += ":" + token.text;
    out.push_back(item);
  }
  return out;
}

using Tokens = std::vector<std::string>;

TEST(InfluxqlLexerTest, OperatorsAndPunctuation) {
  EXPECT_EQ(Scan("+ - * / % & | ^ = != <> < <= > >= =~ !~ ( ) , ; . :: :"),
            (Tokens{"+",  "-", "*",  "/",  "%",  "&", "|", "^", "=", "!=", "!=", "<",
                    "<=", ">", ">=", "=~", "!~", "(", ")", ",", ";", ".",  "::", ":"}));
  // No whitespace needed between operators and operands.
  EXPECT_EQ(Scan("a>=1"), (Tokens{"IDENT:a", ">=", "INTEGER:1"}));
  EXPECT_EQ(Scan("a!b"), (Tokens{"IDENT:a", "ILLEGAL:!", "IDENT:b"}));
}

TEST(InfluxqlLexerTest, KeywordsAreCaseInsensitiveAndReserved) {
  EXPECT_EQ(Scan("select SELECT SeLeCt from Where and OR in"),
            (Tokens{"SELECT", "SELECT", "SELECT", "FROM", "WHERE", "AND", "OR", "IN"}));
  EXPECT_EQ(Scan("true FALSE"), (Tokens{"TRUE", "FALSE"}));
  EXPECT_EQ(Scan("DURATION 1h"), (Tokens{"DURATION", "DURATIONVAL:1h"}));
  // Words that are not keywords stay identifiers, keeping their case.
  EXPECT_EQ(Scan("time now fill tz Value _x x_1"),
            (Tokens{"IDENT:time", "IDENT:now", "IDENT:fill", "IDENT:tz", "IDENT:Value", "IDENT:_x",
                    "IDENT:x_1"}));
  EXPECT_EQ(LookupKeyword("Measurements"), Tok::kMeasurements);
  EXPECT_EQ(LookupKeyword("measurementsx"), Tok::kIdent);
  EXPECT_EQ(LookupKeyword("subscriptionsx"), Tok::kIdent);
}

TEST(InfluxqlLexerTest, QuotedIdentifiersUnescape) {
  EXPECT_EQ(Scan(R"("select")"), (Tokens{"IDENT:select"}));
  EXPECT_EQ(Scan(R"("my field" "a\"b" "c\\d" "e\'f")"),
            (Tokens{"IDENT:my field", "IDENT:a\"b", "IDENT:c\\d", "IDENT:e'f"}));
  EXPECT_EQ(Scan(R"("line\nbreak")"), (Tokens{"IDENT:line\nbreak"}));
  EXPECT_EQ(Scan("\"caf\xC3\xA9\""), (Tokens{"IDENT:caf\xC3\xA9"}));
  EXPECT_EQ(Scan(R"("")"), (Tokens{"IDENT"}));
}

TEST(InfluxqlLexerTest, StringsUnescape) {
  EXPECT_EQ(Scan(R"('it\'s' 'a\\b' 'q\"' '')"),
            (Tokens{"STRING:it's", "STRING:a\\b", "STRING:q\"", "STRING"}));
  EXPECT_EQ(Scan("'2020-01-01T00:00:00Z'"), (Tokens{"STRING:2020-01-01T00:00:00Z"}));
}

TEST(InfluxqlLexerTest, MalformedLiteralsBecomeBadTokens) {
  EXPECT_EQ(Scan(R"('a\qb')"),
            (Tokens{"BADTOKEN:bad escape: \\q", "IDENT:b", "BADTOKEN:unterminated string"}));
  EXPECT_EQ(Scan("'abc"), (Tokens{"BADTOKEN:unterminated string"}));
  EXPECT_EQ(Scan("'ab\ncd'"),
            (Tokens{"BADTOKEN:unterminated string", "IDENT:cd", "BADTOKEN:unterminated string"}));
  EXPECT_EQ(Scan("\"abc"), (Tokens{"BADTOKEN:unterminated quoted identifier"}));
  EXPECT_EQ(Scan("'abc\\"), (Tokens{"BADTOKEN:unterminated string"}));
  EXPECT_EQ(Scan("a /* b"), (Tokens{"IDENT:a", "BADTOKEN:unterminated comment"}));
  EXPECT_EQ(Scan("a # b"), (Tokens{"IDENT:a", "ILLEGAL:#", "IDENT:b"}));
  EXPECT_EQ(Scan("\xC3\xA9"), (Tokens{"ILLEGAL:\xC3\xA9"}));
  EXPECT_EQ(Scan("a\fb"), (Tokens{"IDENT:a", "ILLEGAL:\f", "IDENT:b"}));
}

TEST(InfluxqlLexerTest, Numbers) {
  EXPECT_EQ(Scan("123 1.5 .5 0.25 1."),
            (Tokens{"INTEGER:123", "NUMBER:1.5", "NUMBER:.5", "NUMBER:0.25", "NUMBER:1"}));
  // No exponent syntax: the letters make it a duration literal, which the parser rejects.
  EXPECT_EQ(Scan("1e3"), (Tokens{"DURATIONVAL:1e3"}));
  EXPECT_EQ(Scan("1.5h"), (Tokens{"NUMBER:1.5", "IDENT:h"}));
  EXPECT_EQ(Scan("99999999999999999999"), (Tokens{"INTEGER:99999999999999999999"}));
  EXPECT_EQ(Scan("-1"), (Tokens{"-", "INTEGER:1"}));
}

TEST(InfluxqlLexerTest, Durations) {
  EXPECT_EQ(Scan("10ns 5u 5\xC2\xB5 10ms 10s 10m 1h 2d 1w 1h30m"),
            (Tokens{"DURATIONVAL:10ns", "DURATIONVAL:5u", "DURATIONVAL:5\xC2\xB5",
                    "DURATIONVAL:10ms", "DURATIONVAL:10s", "DURATIONVAL:10m", "DURATIONVAL:1h",
                    "DURATIONVAL:2d", "DURATIONVAL:1w", "DURATIONVAL:1h30m"}));
}

TEST(InfluxqlLexerTest, CommentsAndWhitespace) {
  EXPECT_EQ(Scan("a -- comment\nb"), (Tokens{"IDENT:a", "IDENT:b"}));
  EXPECT_EQ(Scan("a--b"), (Tokens{"IDENT:a"}));
  EXPECT_EQ(Scan("a /* x * / y **/ b"), (Tokens{"IDENT:a", "IDENT:b"}));
  EXPECT_EQ(Scan("a\t\r\n b"), (Tokens{"IDENT:a", "IDENT:b"}));
  Lexer lexer("a.b .c");
  EXPECT_FALSE(lexer.Next().space_before);
  EXPECT_FALSE(lexer.Next().space_before);
  EXPECT_FALSE(lexer.Next().space_before);
  EXPECT_TRUE(lexer.Next().space_before);
}

TEST(InfluxqlLexerTest, BoundParameters) {
  EXPECT_EQ(Scan("$x $"), (Tokens{"BOUNDPARAM:$x", "BOUNDPARAM:$"}));
}

TEST(InfluxqlLexerTest, RegexOnlyWhereAsked) {
  const std::string_view text = R"(a =~ /x\/y\d/ b)";
  Lexer lexer(text);
  EXPECT_EQ(lexer.Next().type, Tok::kIdent);
  EXPECT_EQ(lexer.Next().type, Tok::kEqRegex);
  const Token slash = lexer.Next();
  ASSERT_EQ(slash.type, Tok::kDiv);
  const Token regex = lexer.ScanRegexAt(slash.offset);
  EXPECT_EQ(regex.type, Tok::kRegex);
  EXPECT_EQ(regex.text, R"(x/y\d)");
  const Token after = lexer.Next();
  EXPECT_EQ(after.type, Tok::kIdent);
  EXPECT_EQ(after.text, "b");

  struct Case {
    std::string_view text;
    Tok type;
    std::string_view pattern;
  };
  const Case cases[] = {
      {"//", Tok::kRegex, ""},
      {R"(/a\\/)", Tok::kBad, "unterminated regex"},  // \\/ is \ then an escaped slash.
      {R"(/a\\//)", Tok::kRegex, R"(a\/)"},
      {"/abc", Tok::kBad, "unterminated regex"},
      {"/a\nb/", Tok::kBad, "unterminated regex"},
      {R"(/^(a|b)$/)", Tok::kRegex, "^(a|b)$"},
  };
  for (const Case& c : cases) {
    Lexer l(c.text);
    const Token t = l.ScanRegexAt(0);
    EXPECT_EQ(t.type, c.type) << c.text;
    EXPECT_EQ(t.text, c.pattern) << c.text;
  }
}

TEST(InfluxqlLexerTest, PositionsAreOneBasedLinesAndCodePoints) {
  const std::string_view text = "ab\ncd\r\nef\rg\xC3\xA9h";
  EXPECT_EQ(PositionOf(text, 0).line, 1);
  EXPECT_EQ(PositionOf(text, 0).character, 1);
  EXPECT_EQ(PositionOf(text, 1).character, 2);
  EXPECT_EQ(PositionOf(text, 3).line, 2);
  EXPECT_EQ(PositionOf(text, 3).character, 1);
  EXPECT_EQ(PositionOf(text, 7).line, 3);  // \r\n counts once.
  EXPECT_EQ(PositionOf(text, 10).line, 4);
  const size_t h = text.find('h');
  EXPECT_EQ(PositionOf(text, h).character, 3);  // é is one character.
  EXPECT_EQ(PositionOf(text, 1000).line, 4);
}

TEST(InfluxqlLexerTest, DurationLiterals) {
  struct Case {
    std::string_view text;
    int64_t ns;
  };
  const Case valid[] = {
      {"1ns", 1},
      {"5u", 5'000},
      {"5\xC2\xB5", 5'000},
      {"10ms", 10'000'000},
      {"10s", 10'000'000'000},
      {"10m", 600'000'000'000},
      {"1h", 3'600'000'000'000},
      {"2d", 172'800'000'000'000},
      {"1w", 604'800'000'000'000},
      {"1h30m", 5'400'000'000'000},
      {"1m1s1ms1u1ns", 61'001'001'001},
      {"0s", 0},
      {"-5m", -300'000'000'000},
      {"9223372036854775807ns", INT64_MAX},
      {"-9223372036854775807ns", -INT64_MAX},
      {"1500000000s", 1'500'000'000'000'000'000},
  };
  for (const Case& c : valid) {
    const absl::StatusOr<int64_t> d = ParseDurationLiteral(c.text);
    ASSERT_TRUE(d.ok()) << c.text << ": " << d.status();
    EXPECT_EQ(*d, c.ns) << c.text;
  }
  struct Bad {
    std::string_view text;
    std::string_view message;
  };
  const Bad invalid[] = {
      {"1", "invalid duration"},
      {"s", "invalid duration"},
      {"1e3", "invalid duration"},
      {"5us", "invalid duration"},
      {"1n", "invalid duration"},
      {"1h30", "invalid duration"},
      {"1x", "invalid duration"},
      {"99999999999999999999ns", "invalid duration"},
      {"9223372036854775808ns", "invalid duration"},  // The count must fit an int64.
      {"9223372036854775807ns1ns",
       "overflowed duration 9223372036854775807ns1ns: choose a smaller duration or INF"},
      {"10000000w", "overflowed duration 10000000w: choose a smaller duration or INF"},
      {"106751d1d", "overflowed duration 1d: choose a smaller duration or INF"},
  };
  for (const Bad& c : invalid) {
    const absl::StatusOr<int64_t> d = ParseDurationLiteral(c.text);
    ASSERT_FALSE(d.ok()) << c.text;
    EXPECT_EQ(std::string(d.status().message()), c.message) << c.text;
  }
}

TEST(InfluxqlLexerTest, IdentNeedsQuotes) {
  EXPECT_FALSE(IdentNeedsQuotes("cpu"));
  EXPECT_FALSE(IdentNeedsQuotes("_cpu_1"));
  EXPECT_TRUE(IdentNeedsQuotes("select"));
  EXPECT_TRUE(IdentNeedsQuotes("Key"));
  EXPECT_TRUE(IdentNeedsQuotes("1cpu"));
  EXPECT_TRUE(IdentNeedsQuotes("cpu load"));
  EXPECT_TRUE(IdentNeedsQuotes("cpu.load"));
  EXPECT_TRUE(IdentNeedsQuotes(""));
}

}  // namespace
}  // namespace edgetsdb::query::influxql
