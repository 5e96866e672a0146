// The InfluxQL parser: every statement kind, expression precedence and literals, field names,
// InfluxDB 1.x's error messages, the constructs edgetsdb rejects, and the limits that keep
// untrusted input from exhausting the stack.
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "query/influxql/ast.h"
#include "query/influxql/parser.h"

namespace edgetsdb::query::influxql {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;

// A fully parenthesized rendering that shows the tree's shape: binary nodes as (lhs op rhs),
// Paren nodes as [x], literals tagged by kind.
std::string Shape(const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::kVarRef: {
      static constexpr std::string_view kCasts[] = {
          "", "float", "integer", "unsigned", "string", "boolean", "time", "tag", "field"};
      return e.cast == DataType::kUnknown ? e.name
                                          : e.name + "::" + std::string(kCasts[int(e.cast)]);
    }
    case Expr::Kind::kCall: {
      std::string out = e.name + "(";
      for (size_t i = 0; i < e.args.size(); ++i) {
        if (i > 0) out += ", ";
        out += Shape(*e.args[i]);
      }
      return out + ")";
    }
    case Expr::Kind::kBinary: {
      static constexpr std::string_view kOps[] = {
          "+",  "-", "*",  "/", "%",  "&", "|",  "^",  "AND",
          "OR", "=", "!=", "<", "<=", ">", ">=", "=~", "!~"};
      return absl::StrCat("(", Shape(*e.lhs), " ", std::string(kOps[int(e.op)]), " ", Shape(*e.rhs),
                          ")");
    }
    case Expr::Kind::kParen:
      return absl::StrCat("[", Shape(*e.lhs), "]");
    case Expr::Kind::kNumber:
      return absl::StrCat("f", e.number);
    case Expr::Kind::kInteger:
      return absl::StrCat("i", e.integer);
    case Expr::Kind::kString:
      return absl::StrCat("'", e.name, "'");
    case Expr::Kind::kRegex:
      return absl::StrCat("/", e.name, "/");
    case Expr::Kind::kBoolean:
      return e.boolean ? "true" : "false";
    case Expr::Kind::kDuration:
      return absl::StrCat("d", e.integer);
    case Expr::Kind::kWildcard:
      return e.cast == DataType::kTag ? "*::tag" : e.cast == DataType::kField ? "*::field" : "*";
    case Expr::Kind::kNull:
      return "null";
  }
  return "?";
}

std::string ParseShape(std::string_view text) {
  absl::StatusOr<std::unique_ptr<Expr>> expr = ParseExpr(text);
  if (!expr.ok()) return "ERROR: " + std::string(expr.status().message());
  return Shape(**expr);
}

std::string ParseError(std::string_view text) {
  absl::StatusOr<Query> query = ParseQuery(text);
  if (query.ok()) return "OK";
  EXPECT_EQ(query.status().code(), absl::StatusCode::kInvalidArgument) << text;
  return std::string(query.status().message());
}

template <typename T>
T ParseOne(std::string_view text) {
  absl::StatusOr<Query> query = ParseQuery(text);
  EXPECT_TRUE(query.ok()) << text << ": " << query.status();
  if (!query.ok() || query->statements.size() != 1) {
    ADD_FAILURE() << text << ": expected one statement";
    return T{};
  }
  T* statement = std::get_if<T>(&query->statements[0]);
  if (statement == nullptr) {
    ADD_FAILURE() << text << ": wrong statement kind";
    return T{};
  }
  return std::move(*statement);
}

SelectStatement Select(std::string_view text) { return ParseOne<SelectStatement>(text); }

std::vector<std::string> FieldShapes(const SelectStatement& s) {
  std::vector<std::string> out;
  for (const Field& f : s.fields)
    out.push_back(Shape(*f.expr) + (f.alias.empty() ? "" : " AS " + f.alias));
  return out;
}

using Strings = std::vector<std::string>;

// --- Expressions ---------------------------------------------------------------------------

TEST(InfluxqlParserTest, Precedence) {
  struct Case {
    std::string_view text;
    std::string_view shape;
  };
  const Case cases[] = {
      {"a + b * c", "(a + (b * c))"},
      {"a * b + c", "((a * b) + c)"},
      {"a - b - c", "((a - b) - c)"},
      {"a / b / c", "((a / b) / c)"},
      {"a + b % c - d", "((a + (b % c)) - d)"},
      {"(a + b) * c", "([(a + b)] * c)"},
      {"a | b & c", "(a | (b & c))"},
      {"a ^ b * c", "(a ^ (b * c))"},
      {"a & b | c ^ d", "(((a & b) | c) ^ d)"},
      {"a = 1 OR b = 2 AND c = 3", "((a = i1) OR ((b = i2) AND (c = i3)))"},
      {"a = 1 AND b = 2 OR c = 3", "(((a = i1) AND (b = i2)) OR (c = i3))"},
      {"a + 1 > b * 2", "((a + i1) > (b * i2))"},
      {"a < b = c", "((a < b) = c)"},
      {"x =~ /a/ AND y !~ /b/", "((x =~ /a/) AND (y !~ /b/))"},
      {"x =~ /a/ + 1", "(x =~ (/a/ + i1))"},
      {"time > now() - 1h AND time < now()",
       "((time > (now() - d3600000000000)) AND (time < now()))"},
      {"a OR b OR c OR d", "(((a OR b) OR c) OR d)"},
      {"((a))", "[[a]]"},
  };
  for (const Case& c : cases) EXPECT_EQ(ParseShape(c.text), c.shape) << c.text;
}

TEST(InfluxqlParserTest, Literals) {
  struct Case {
    std::string_view text;
    std::string_view shape;
  };
  const Case cases[] = {
      {"1", "i1"},
      {"-1", "i-1"},
      {"+1", "i1"},
      {"- 1", "i-1"},
      {"1.5", "f1.5"},
      {".5", "f0.5"},
      {"-2.25", "f-2.25"},
      {"9223372036854775807", "i9223372036854775807"},
      {"-9223372036854775808", "i-9223372036854775808"},
      {"true", "true"},
      {"FALSE", "false"},
      {"'abc'", "'abc'"},
      {R"('it\'s')", "'it's'"},
      {"'2020-01-01T00:00:00Z'", "'2020-01-01T00:00:00Z'"},
      {"10s", "d10000000000"},
      {"1h30m", "d5400000000000"},
      {"-5m", "d-300000000000"},
      {"1500000000s", "d1500000000000000000"},
      {"now()", "now()"},
      {"NOW()", "now()"},
      {"now( )", "now()"},
      {"*", "*"},
      {"*::tag", "*::tag"},
      {"*::field", "*::field"},
  };
  for (const Case& c : cases) EXPECT_EQ(ParseShape(c.text), c.shape) << c.text;
}

TEST(InfluxqlParserTest, UnaryMinusOnVariablesMultipliesByMinusOne) {
  EXPECT_EQ(ParseShape("-a"), "(i-1 * a)");
  EXPECT_EQ(ParseShape("+a"), "(i1 * a)");
  EXPECT_EQ(ParseShape("-mean(x)"), "(i-1 * mean(x))");
  EXPECT_EQ(ParseShape("-(a + b)"), "(i-1 * [(a + b)])");
  EXPECT_EQ(ParseShape("2 * -a"), "(i2 * (i-1 * a))");
  EXPECT_EQ(ParseShape("a - -1"), "(a - i-1)");
  EXPECT_EQ(ParseShape("now() - -1h"), "(now() - d-3600000000000)");
}

TEST(InfluxqlParserTest, VariablesAndCasts) {
  struct Case {
    std::string_view text;
    std::string_view shape;
  };
  const Case cases[] = {
      {"value", "value"},
      {R"("my value")", "my value"},
      {R"("select")", "select"},
      {R"("a\"b")", "a\"b"},
      {"a.b", "a.b"},
      {R"("a"."b"."c")", "a.b.c"},
      {"a::float", "a::float"},
      {"a::integer", "a::integer"},
      {"a::unsigned", "a::unsigned"},
      {"a::string", "a::string"},
      {"a::boolean", "a::boolean"},
      {"a::tag", "a::tag"},
      {"a::field", "a::field"},
      {"a::FLOAT", "a::float"},
      {"a.::integer", "a::integer"},  // InfluxDB's reading of a trailing dot.
      {R"("host"::tag = 'a')", "(host::tag = 'a')"},
  };
  for (const Case& c : cases) EXPECT_EQ(ParseShape(c.text), c.shape) << c.text;
}

TEST(InfluxqlParserTest, Calls) {
  struct Case {
    std::string_view text;
    std::string_view shape;
  };
  const Case cases[] = {
      {"MEAN(value)", "mean(value)"},
      {R"(percentile("v", 95))", "percentile(v, i95)"},
      {"non_negative_derivative(max(bytes), 1s)",
       "non_negative_derivative(max(bytes), d1000000000)"},
      {"count(*)", "count(*)"},
      {"top(v, host, 3)", "top(v, host, i3)"},
      {"count(DISTINCT x)", "count(distinct(x))"},
      {"DISTINCT(x)", "distinct(x)"},
      {"DISTINCT x", "distinct(x)"},
      {"f(/re/, 1)", "f(/re/, i1)"},
      {"f(1, /re/)", "f(i1, /re/)"},
      {"f()", "f()"},
      {R"("mean"(x))", "mean(x)"},
      // A space before '(' makes a variable, as in InfluxDB; the parenthesis is then stray.
      {"mean (x)", "ERROR: found (, expected EOF at line 1, char 6"},
  };
  for (const Case& c : cases) EXPECT_EQ(ParseShape(c.text), c.shape) << c.text;
}

TEST(InfluxqlParserTest, ToStringReparsesToTheSameTree) {
  const std::string_view texts[] = {
      "a + b * c",
      "(a + b) * c",
      "2 * -a",
      "-1 * a * b",
      "c - -1 * a",
      "-mean(x) + -(a)",
      "+a",
      "a % +b * c",
      "a / -f(b) * 1 * c",
      R"("my field"::float > 1.5 AND "select" = 'it\'s')",
      "time >= now() - 1h30m AND time < '2020-01-01T00:00:00Z'",
      R"(host =~ /^a\/b$/ OR host !~ /x\\y/)",
      "percentile(v, 95) / 2.0",
      "a % 3 & 1 | 2 ^ 4",
      "x = true OR y = false",
      "count(distinct(x))",
      R"("my func"(x) + "SELECT"(y))",
      "*::tag",
      "d = 0s OR d = 90s OR d = -5m OR d = 1500ms OR d = 7u OR d = 3ns OR d = 2w",
      "n = 0.1 OR n = 1e300 OR n = -0.0",
      "a.b = 1",
      "-9223372036854775808 < x",
      R"('line
break' = "new\nline")",
  };
  for (std::string_view text : texts) {
    absl::StatusOr<std::unique_ptr<Expr>> first = ParseExpr(text);
    if (text.find("1e300") != std::string_view::npos) {
      // No exponent syntax in InfluxQL; build the literal instead.
      ASSERT_FALSE(first.ok());
      first = ParseExpr("n = 0.1 OR n = " + std::string(300, '9') + ".5 OR n = -0.0");
    }
    if (text.find("line\nbreak") != std::string_view::npos) {
      ASSERT_FALSE(first.ok());  // A raw newline ends a string.
      first = ParseExpr(R"('line\nbreak' = "new\nline")");
    }
    ASSERT_TRUE(first.ok()) << text << ": " << first.status();
    const std::string printed = ToString(**first);
    absl::StatusOr<std::unique_ptr<Expr>> second = ParseExpr(printed);
    ASSERT_TRUE(second.ok()) << printed << ": " << second.status();
    EXPECT_TRUE(Equal(**first, **second)) << text << " printed as " << printed;
    EXPECT_EQ(ToString(**second), printed);
    // And a clone is equal.
    EXPECT_TRUE(Equal(**first, *Clone(**first)));
  }
}

TEST(InfluxqlParserTest, ToStringFormats) {
  struct Case {
    std::string_view text;
    std::string_view printed;
  };
  const Case cases[] = {
      {"a+b*2", "a + b * 2"},
      {R"("my field")", R"("my field")"},
      {R"("select")", R"("select")"},
      {"mean(x)", "mean(x)"},
      {"3600s", "1h"},
      {"90m", "90m"},
      {"1500ms", "1500ms"},
      {"14d", "2w"},
      {"0s", "0s"},
      {"-1h", "-1h"},
      {"2.0", "2.0"},
      {"-0.25", "-0.25"},
      {R"('a\'b')", R"('a\'b')"},
      {"x =~ /a\\/b/", "x =~ /a\\/b/"},
      {"x::float", "x::float"},
      {"-x", "-x"},
      {"+x", "+x"},
      {"1 * x", "+x"},
      {"-1 * 5", "-1 * 5"},
      {"a and b", "a AND b"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::unique_ptr<Expr>> expr = ParseExpr(c.text);
    ASSERT_TRUE(expr.ok()) << c.text << ": " << expr.status();
    EXPECT_EQ(ToString(**expr), c.printed) << c.text;
  }
}

// --- Field names -----------------------------------------------------------------------------

TEST(InfluxqlParserTest, FieldNamesFollowInfluxDb) {
  // Column names observed from InfluxDB 1.6 for the same fields.
  struct Case {
    std::string_view field;
    std::string_view name;
  };
  const Case cases[] = {
      {"a", "a"},
      {R"("my field")", "my field"},
      {"a::float", "a"},
      {"mean(x)", "mean"},
      {"MEAN(x)", "mean"},
      {"a + b", "a_b"},
      {"a * b + x", "a_b_x"},
      {"(a + b) * x", "a_b_x"},
      {"a / (b)", "a_b"},
      {"(a)", "a"},
      {"-a", "a"},
      {"a + 1", "a"},
      {"mean(x) * 2", "mean"},
      {"mean(a) + -mean(b)", "mean_mean"},
      {"percentile(v, 95) AS p95", "p95"},
      {"DISTINCT x", "distinct"},
      {"count(DISTINCT x)", "count"},
      {"non_negative_derivative(max(bytes), 1s)", "non_negative_derivative"},
      {"1 + 2", ""},
      {"*", ""},
      {"/re/", ""},
      {"x AS \"select\"", "select"},
  };
  for (const Case& c : cases) {
    const SelectStatement s = Select(absl::StrCat("SELECT ", std::string(c.field), " FROM m"));
    ASSERT_EQ(s.fields.size(), 1u) << c.field;
    EXPECT_EQ(FieldName(s.fields[0]), c.name) << c.field;
  }
}

// --- SELECT ----------------------------------------------------------------------------------

TEST(InfluxqlParserTest, GrafanaTimeSeriesQuery) {
  const SelectStatement s = Select(
      R"(SELECT mean("value") FROM "cpu" WHERE ("host" =~ /^(a|b)$/) AND time >= now() - 6h and )"
      R"(time <= now() GROUP BY time(10s), "host" fill(null) ORDER BY time DESC LIMIT 10)");
  EXPECT_EQ(FieldShapes(s), (Strings{"mean(value)"}));
  ASSERT_EQ(s.sources.size(), 1u);
  EXPECT_EQ(s.sources[0].name, "cpu");
  EXPECT_FALSE(s.sources[0].is_regex);
  ASSERT_NE(s.condition, nullptr);
  EXPECT_EQ(
      Shape(*s.condition),
      "(([(host =~ /^(a|b)$/)] AND (time >= (now() - d21600000000000))) AND (time <= now()))");
  EXPECT_EQ(s.group_by_interval_ns, 10 * kSecond);
  EXPECT_EQ(s.group_by_offset_ns, 0);
  EXPECT_EQ(s.group_by_tags, (Strings{"host"}));
  EXPECT_EQ(s.fill, SelectStatement::Fill::kNull);
  EXPECT_TRUE(s.order_desc);
  EXPECT_EQ(s.limit, 10);
  EXPECT_FALSE(s.has_into);
}

TEST(InfluxqlParserTest, SelectFieldsAndAliases) {
  EXPECT_EQ(FieldShapes(Select(R"(SELECT percentile("v", 95) AS p95 FROM m)")),
            (Strings{"percentile(v, i95) AS p95"}));
  EXPECT_EQ(FieldShapes(Select(R"(SELECT "a" + "b" * 2 FROM m)")), (Strings{"(a + (b * i2))"}));
  EXPECT_EQ(FieldShapes(Select("SELECT a, b AS \"x y\", *, /c.*/ FROM m")),
            (Strings{"a", "b AS x y", "*", "/c.*/"}));
  EXPECT_EQ(FieldShapes(Select("SELECT *::field, host::tag FROM m")),
            (Strings{"*::field", "host::tag"}));
  EXPECT_EQ(FieldShapes(Select("SELECT non_negative_derivative(max(\"bytes\"), 1s) FROM net "
                               "GROUP BY time(1m)")),
            (Strings{"non_negative_derivative(max(bytes), d1000000000)"}));
  EXPECT_EQ(FieldShapes(Select("SELECT count(*) FROM /cpu.*/")), (Strings{"count(*)"}));
}

TEST(InfluxqlParserTest, Sources) {
  struct Case {
    std::string_view from;
    std::string_view database, rp, name, regex;
  };
  const Case cases[] = {
      {"m", "", "", "m", ""},
      {R"("my m")", "", "", "my m", ""},
      {R"("db"."autogen"."m")", "db", "autogen", "m", ""},
      {"db.autogen.m", "db", "autogen", "m", ""},
      {"db..m", "db", "", "m", ""},
      {"autogen.m", "", "autogen", "m", ""},
      {"/cpu.*/", "", "", "", "cpu.*"},
      {"db.rp./cpu.*/", "db", "rp", "", "cpu.*"},
      {"db../cpu/", "db", "", "", "cpu"},
      {"rp./cpu/", "", "rp", "", "cpu"},
      {R"(/a\/b/)", "", "", "", "a/b"},
  };
  for (const Case& c : cases) {
    const SelectStatement s = Select(absl::StrCat("select * from ", std::string(c.from)));
    ASSERT_EQ(s.sources.size(), 1u) << c.from;
    const Measurement& m = s.sources[0];
    EXPECT_EQ(m.database, c.database) << c.from;
    EXPECT_EQ(m.retention_policy, c.rp) << c.from;
    EXPECT_EQ(m.name, c.name) << c.from;
    EXPECT_EQ(m.regex, c.regex) << c.from;
    EXPECT_EQ(m.is_regex, !c.regex.empty()) << c.from;
  }
  const SelectStatement s = Select("SELECT * FROM a, \"b\", /c/");
  ASSERT_EQ(s.sources.size(), 3u);
  EXPECT_EQ(s.sources[1].name, "b");
  EXPECT_TRUE(s.sources[2].is_regex);
  EXPECT_EQ(ToString(Select("SELECT * FROM db..m").sources[0]), "db..m");
  EXPECT_EQ(ToString(Select("SELECT * FROM \"d b\".rp./x\\/y/").sources[0]), "\"d b\".rp./x\\/y/");
  EXPECT_EQ(ToString(Select("SELECT * FROM rp.\"select\"").sources[0]), "rp.\"select\"");
}

TEST(InfluxqlParserTest, GroupBy) {
  SelectStatement s = Select("SELECT mean(v) FROM m GROUP BY time(10m)");
  EXPECT_EQ(s.group_by_interval_ns, 10 * kMinute);
  s = Select("SELECT mean(v) FROM m GROUP BY time(10m, 5m)");
  EXPECT_EQ(s.group_by_interval_ns, 10 * kMinute);
  EXPECT_EQ(s.group_by_offset_ns, 5 * kMinute);
  s = Select("SELECT mean(v) FROM m GROUP BY time(1h, -5m)");
  EXPECT_EQ(s.group_by_interval_ns, kHour);
  EXPECT_EQ(s.group_by_offset_ns, -5 * kMinute);
  s = Select("SELECT mean(v) FROM m GROUP BY host, \"dc\", time(1h), (rack), region::tag");
  EXPECT_EQ(s.group_by_interval_ns, kHour);
  EXPECT_EQ(s.group_by_tags, (Strings{"host", "dc", "rack", "region"}));
  s = Select("SELECT mean(v) FROM m GROUP BY *");
  EXPECT_TRUE(s.group_by_all_tags);
  s = Select("SELECT mean(v) FROM m GROUP BY /^h/, TIME(1m)");
  EXPECT_EQ(s.group_by_regexes, (Strings{"^h"}));
  EXPECT_EQ(s.group_by_interval_ns, kMinute);
  // As InfluxDB: a zero or negative interval is no time grouping.
  EXPECT_EQ(Select("SELECT mean(v) FROM m GROUP BY time(0s)").group_by_interval_ns, 0);
  EXPECT_EQ(Select("SELECT mean(v) FROM m GROUP BY time(-1s)").group_by_interval_ns, 0);
}

TEST(InfluxqlParserTest, Fill) {
  struct Case {
    std::string_view fill;
    SelectStatement::Fill kind;
    double value;
    bool is_integer;
  };
  const Case cases[] = {
      {"fill(null)", SelectStatement::Fill::kNull, 0, false},
      {"fill(none)", SelectStatement::Fill::kNone, 0, false},
      {"fill(\"none\")", SelectStatement::Fill::kNone, 0, false},
      {"FILL(previous)", SelectStatement::Fill::kPrevious, 0, false},
      {"fill(linear)", SelectStatement::Fill::kLinear, 0, false},
      {"fill(0)", SelectStatement::Fill::kNumber, 0, true},
      {"fill(-1)", SelectStatement::Fill::kNumber, -1, true},
      {"fill(1.5)", SelectStatement::Fill::kNumber, 1.5, false},
      {"fill(-1.5)", SelectStatement::Fill::kNumber, -1.5, false},
  };
  for (const Case& c : cases) {
    const SelectStatement s =
        Select(absl::StrCat("SELECT mean(v) FROM m GROUP BY time(1m) ", std::string(c.fill)));
    EXPECT_EQ(s.fill, c.kind) << c.fill;
    EXPECT_EQ(s.fill_value, c.value) << c.fill;
    EXPECT_EQ(s.fill_value_is_integer, c.is_integer) << c.fill;
  }
  EXPECT_EQ(Select("SELECT mean(v) FROM m GROUP BY time(1m) fill(-7)").fill_integer, -7);
  // fill() without GROUP BY parses; the executor decides.
  EXPECT_EQ(Select("SELECT v FROM m fill(0)").fill, SelectStatement::Fill::kNumber);
}

TEST(InfluxqlParserTest, OrderLimitOffsetTimezone) {
  SelectStatement s = Select(
      "SELECT v FROM m WHERE time > 0 ORDER BY time ASC LIMIT 5 OFFSET 6 SLIMIT 7 SOFFSET 8 "
      "tz('Europe/Paris')");
  EXPECT_FALSE(s.order_desc);
  EXPECT_EQ(s.limit, 5);
  EXPECT_EQ(s.offset, 6);
  EXPECT_EQ(s.slimit, 7);
  EXPECT_EQ(s.soffset, 8);
  EXPECT_EQ(s.timezone, "Europe/Paris");
  EXPECT_TRUE(Select("SELECT v FROM m ORDER BY DESC").order_desc);
  EXPECT_TRUE(Select("SELECT v FROM m ORDER BY \"time\" DESC").order_desc);
  // As InfluxDB, a limit beyond int64 saturates.
  EXPECT_EQ(Select("SELECT v FROM m LIMIT 99999999999999999999").limit, INT64_MAX);
}

TEST(InfluxqlParserTest, TimeConditions) {
  struct Case {
    std::string_view where;
    std::string_view shape;
  };
  const Case cases[] = {
      {"time > 1500000000s", "(time > d1500000000000000000)"},
      {"time >= 1500000000000000000", "(time >= i1500000000000000000)"},
      {"time < now() - 1h", "(time < (now() - d3600000000000))"},
      {"time > '2020-01-01T00:00:00Z'", "(time > '2020-01-01T00:00:00Z')"},
      {"time > 1.5", "(time > f1.5)"},
      {"time > now() - 1h AND time < now() + 1d",
       "((time > (now() - d3600000000000)) AND (time < (now() + d86400000000000)))"},
  };
  for (const Case& c : cases) {
    const SelectStatement s = Select(absl::StrCat("SELECT v FROM m WHERE ", std::string(c.where)));
    ASSERT_NE(s.condition, nullptr) << c.where;
    EXPECT_EQ(Shape(*s.condition), c.shape) << c.where;
  }
}

TEST(InfluxqlParserTest, MultipleStatementsAndEmptyOnes) {
  absl::StatusOr<Query> q = ParseQuery("SELECT a FROM m; SELECT b FROM m;");
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->statements.size(), 2u);
  q = ParseQuery(";; SHOW DATABASES ;; ; SHOW DATABASES");
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->statements.size(), 2u);
  for (std::string_view empty : {"", ";", " ; ;", "-- just a comment", "/* c */"}) {
    q = ParseQuery(empty);
    ASSERT_TRUE(q.ok()) << empty << ": " << q.status();
    EXPECT_TRUE(q->statements.empty()) << empty;
  }
  q = ParseQuery("select\n  v -- the value\nfrom /* the measurement */ m");
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->statements.size(), 1u);
}

// --- SHOW, CREATE, DROP ----------------------------------------------------------------------

TEST(InfluxqlParserTest, ShowDatabasesAndRetentionPolicies) {
  ParseOne<ShowDatabases>("SHOW DATABASES");
  EXPECT_EQ(ParseOne<ShowRetentionPolicies>(R"(SHOW RETENTION POLICIES ON "db")").database, "db");
  EXPECT_EQ(ParseOne<ShowRetentionPolicies>("show retention policies").database, "");
}

TEST(InfluxqlParserTest, ShowMeasurements) {
  ShowMeasurements s =
      ParseOne<ShowMeasurements>("SHOW MEASUREMENTS WITH MEASUREMENT =~ /cp.*/ LIMIT 100");
  ASSERT_TRUE(s.measurement.has_value());
  EXPECT_TRUE(s.measurement->is_regex);
  EXPECT_EQ(s.measurement->regex, "cp.*");
  EXPECT_EQ(s.limit, 100);
  s = ParseOne<ShowMeasurements>(
      R"(SHOW MEASUREMENTS ON db WITH MEASUREMENT = "cpu" WHERE "host" = 'a' LIMIT 2 OFFSET 1)");
  EXPECT_EQ(s.database, "db");
  ASSERT_TRUE(s.measurement.has_value());
  EXPECT_EQ(s.measurement->name, "cpu");
  EXPECT_FALSE(s.measurement->is_regex);
  ASSERT_NE(s.condition, nullptr);
  EXPECT_EQ(Shape(*s.condition), "(host = 'a')");
  EXPECT_EQ(s.offset, 1);
  s = ParseOne<ShowMeasurements>("SHOW MEASUREMENTS");
  EXPECT_FALSE(s.measurement.has_value());
  EXPECT_EQ(s.condition, nullptr);
}

TEST(InfluxqlParserTest, ShowTagKeys) {
  ShowTagKeys s = ParseOne<ShowTagKeys>(
      R"(SHOW TAG KEYS ON "db" FROM "cpu", /mem.*/ WHERE host = 'a' LIMIT 3 OFFSET 4 SLIMIT 5 )"
      R"(SOFFSET 6)");
  EXPECT_EQ(s.database, "db");
  ASSERT_EQ(s.sources.size(), 2u);
  EXPECT_EQ(s.sources[0].name, "cpu");
  EXPECT_EQ(s.sources[1].regex, "mem.*");
  ASSERT_NE(s.condition, nullptr);
  EXPECT_EQ(s.limit, 3);
  EXPECT_EQ(s.offset, 4);
  EXPECT_EQ(s.slimit, 5);
  EXPECT_EQ(s.soffset, 6);
  s = ParseOne<ShowTagKeys>("SHOW TAG KEYS");
  EXPECT_TRUE(s.sources.empty());
}

TEST(InfluxqlParserTest, ShowTagValues) {
  ShowTagValues s =
      ParseOne<ShowTagValues>(R"(SHOW TAG VALUES FROM "cpu" WITH KEY = "host" WHERE "dc" = 'us')");
  ASSERT_EQ(s.sources.size(), 1u);
  EXPECT_EQ(s.key_op, ShowTagValues::KeyOp::kEq);
  EXPECT_EQ(s.keys, (Strings{"host"}));
  ASSERT_NE(s.condition, nullptr);
  EXPECT_EQ(Shape(*s.condition), "(dc = 'us')");

  s = ParseOne<ShowTagValues>(R"(SHOW TAG VALUES WITH KEY IN ("a","b"))");
  EXPECT_EQ(s.key_op, ShowTagValues::KeyOp::kIn);
  EXPECT_EQ(s.keys, (Strings{"a", "b"}));

  s = ParseOne<ShowTagValues>("SHOW TAG VALUES ON db WITH KEY =~ /ho.*/ LIMIT 10 OFFSET 2");
  EXPECT_EQ(s.database, "db");
  EXPECT_EQ(s.key_op, ShowTagValues::KeyOp::kRegexMatch);
  EXPECT_EQ(s.key_regex, "ho.*");
  EXPECT_EQ(s.limit, 10);
  EXPECT_EQ(s.offset, 2);

  EXPECT_EQ(ParseOne<ShowTagValues>("SHOW TAG VALUES WITH KEY != host").key_op,
            ShowTagValues::KeyOp::kNeq);
  EXPECT_EQ(ParseOne<ShowTagValues>("SHOW TAG VALUES WITH KEY !~ /x/").key_op,
            ShowTagValues::KeyOp::kRegexNoMatch);
}

TEST(InfluxqlParserTest, ShowFieldKeysAndSeries) {
  ShowFieldKeys f = ParseOne<ShowFieldKeys>(R"(SHOW FIELD KEYS FROM "cpu")");
  ASSERT_EQ(f.sources.size(), 1u);
  EXPECT_EQ(f.sources[0].name, "cpu");
  f = ParseOne<ShowFieldKeys>("SHOW FIELD KEYS ON db LIMIT 1 OFFSET 2");
  EXPECT_EQ(f.database, "db");
  EXPECT_EQ(f.limit, 1);
  EXPECT_EQ(f.offset, 2);

  ShowSeries s =
      ParseOne<ShowSeries>("SHOW SERIES ON db FROM cpu WHERE host = 'a' LIMIT 5 OFFSET 1");
  EXPECT_EQ(s.database, "db");
  ASSERT_EQ(s.sources.size(), 1u);
  ASSERT_NE(s.condition, nullptr);
  EXPECT_EQ(s.limit, 5);
  EXPECT_EQ(s.offset, 1);
  ParseOne<ShowSeries>("SHOW SERIES");
}

TEST(InfluxqlParserTest, CreateAndDropDatabase) {
  CreateDatabase c = ParseOne<CreateDatabase>(R"(CREATE DATABASE "my db")");
  EXPECT_EQ(c.name, "my db");
  EXPECT_FALSE(c.duration_ns.has_value());
  c = ParseOne<CreateDatabase>("CREATE DATABASE db WITH DURATION 30d");
  ASSERT_TRUE(c.duration_ns.has_value());
  EXPECT_EQ(*c.duration_ns, 30 * 24 * kHour);
  c = ParseOne<CreateDatabase>(
      "CREATE DATABASE db WITH DURATION INF REPLICATION 1 SHARD DURATION 1h NAME rp");
  EXPECT_EQ(c.duration_ns, 0);
  EXPECT_EQ(c.replication, 1);
  EXPECT_EQ(c.shard_duration_ns, kHour);
  EXPECT_EQ(c.retention_policy_name, "rp");
  c = ParseOne<CreateDatabase>("CREATE DATABASE db WITH NAME rp");
  EXPECT_FALSE(c.duration_ns.has_value());
  EXPECT_EQ(c.retention_policy_name, "rp");
  EXPECT_EQ(ParseOne<DropDatabase>("DROP DATABASE db").name, "db");
}

// --- Errors ----------------------------------------------------------------------------------

TEST(InfluxqlParserTest, ErrorMessagesMatchInfluxDb) {
  // The messages are InfluxDB 1.6's (without its "error parsing query: " prefix). Positions
  // are those of the offending token's first character; InfluxDB's own are sometimes one or two
  // characters off for EOF, strings and regexes, and missing for some messages.
  struct Case {
    std::string_view text;
    std::string_view message;
  };
  const Case cases[] = {
      {"SELECT x FROMM m", "found FROMM, expected FROM at line 1, char 10"},
      {"SELECT x FROM m SELECT y FROM m", "found SELECT, expected ; at line 1, char 17"},
      {"foo",
       "found foo, expected SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, "
       "ALTER, SET, KILL at line 1, char 1"},
      {"SHOW foo",
       "found foo, expected CONTINUOUS, DATABASES, DIAGNOSTICS, FIELD, GRANTS, "
       "MEASUREMENT, MEASUREMENTS, QUERIES, RETENTION, SERIES, SHARD, SHARDS, STATS, "
       "SUBSCRIPTIONS, TAG, USERS at line 1, char 6"},
      {"CREATE foo",
       "found foo, expected CONTINUOUS, DATABASE, USER, RETENTION, SUBSCRIPTION at line 1, char 8"},
      {"DROP foo",
       "found foo, expected CONTINUOUS, DATABASE, MEASUREMENT, RETENTION, SERIES, "
       "SHARD, SUBSCRIPTION, USER at line 1, char 6"},
      {"SHOW TAG foo", "found foo, expected KEY, KEYS, VALUES at line 1, char 10"},
      {"SHOW FIELD foo", "found foo, expected KEY, KEYS at line 1, char 12"},
      {"SHOW RETENTION foo", "found foo, expected POLICIES at line 1, char 16"},
      {"SHOW MEASUREMENTS WITH MEASUREMENT != x", "found !=, expected =, =~ at line 1, char 36"},
      {"SHOW TAG VALUES WITH KEY =~ x", "found x, expected regex at line 1, char 29"},
      {"SHOW TAG VALUES WITH KEY = 'a'", "found a, expected identifier at line 1, char 28"},
      {"SHOW MEASUREMENTS ON *", "found *, expected identifier at line 1, char 22"},
      {"SELECT x FROM m WHERE (a = 1", "found EOF, expected ) at line 1, char 29"},
      {"SELECT mean(x FROM m", "found FROM, expected ) at line 1, char 15"},
      {"SELECT x::foo FROM m",
       "found foo, expected float, integer, unsigned, string, boolean, "
       "field, tag at line 1, char 11"},
      {"SELECT *::foo FROM m", "found foo, expected field, tag at line 1, char 11"},
      {"SELECT x FROM m LIMIT -1", "found -, expected integer at line 1, char 23"},
      {"SELECT x FROM m WHERE x = 99999999999999999999",
       "unable to parse integer at line 1, char 27"},
      {"SELECT x FROM m WHERE x = -9223372036854775809",
       // InfluxDB gives no position here.
       "constant -9223372036854775809 underflows int64 at line 1, char 28"},
      {"SELECT x FROM m WHERE a IN (1,2)", "found IN, expected ; at line 1, char 25"},
      {"SELECT x FROM m ORDER BY y",
       "only ORDER BY time supported at this time at line 1, char 26"},
      {"SELECT x FROM m ORDER BY time ASC, time DESC",
       "only ORDER BY time supported at this time at line 1, char 26"},
      {"SELECT x > 1 FROM m",
       "invalid operator > in SELECT clause at line 1, char 8; operator is intended for WHERE "
       "clause"},
      {"SELECT a, mean(b) OR c FROM m",
       "invalid operator OR in SELECT clause at line 1, char 11; operator is intended for WHERE "
       "clause"},
      {"SELECT x FROM m WHERE y =~ /(/",
       // RE2's wording of Go's "missing closing ): `(`".
       "error parsing regexp: missing ): ( at line 1, char 28"},
      {"SELECT x FROM m WHERE y = 1h30", "invalid duration at line 1, char 27"},
      {"SELECT 1e3 FROM m", "invalid duration at line 1, char 8"},
      {"SELECT x FROM \"m", "unterminated quoted identifier at line 1, char 15"},
      {"SELECT x FROM m WHERE a = 'abc", "unterminated string at line 1, char 27"},
      {"SELECT x FROM m WHERE a = 'a\\qb'", "bad escape: \\q at line 1, char 29"},
      {"SELECT x FROM m WHERE a =~ /abc", "unterminated regex at line 1, char 28"},
      {"SELECT x /* c FROM m", "unterminated comment at line 1, char 10"},
      {"SELECT x FROM m WHERE a = $x", "bound parameters are not supported: $x at line 1, char 27"},
      {"SELECT x FROM m WHERE a # 1", "found #, expected ; at line 1, char 25"},
      {"select", "found EOF, expected identifier, string, number, bool at line 1, char 7"},
      {"SHOW TAG VALUES", "found EOF, expected WITH at line 1, char 16"},
      {"SHOW TAG VALUES WITH KEY", "found EOF, expected IN, =, =~ at line 1, char 25"},
      {"SELECT x FROM m GROUP BY time(1h) fill(1, 2)",
       "fill requires an argument, e.g.: 0, null, none, previous, linear at line 1, char 35"},
      {"SELECT x FROM m GROUP BY time(1h) fill(NULL)",
       "expected number argument in fill() at line 1, char 35"},
      {"SELECT x FROM m GROUP BY time(1h) fill", "fill must be a function call at line 1, char 35"},
      {"SELECT x FROM m tz(1)", "expected string argument in tz() at line 1, char 17"},
      {"SELECT x FROM m tz('../../etc/passwd')",
       "unable to find time zone ../../etc/passwd at line 1, char 17"},
      {"SELECT x FROM m GROUP BY 'a'", "only time and tag dimensions allowed at line 1, char 26"},
      {"SELECT x FROM m GROUP BY a + b", "only time and tag dimensions allowed at line 1, char 26"},
      {"SELECT x FROM m GROUP BY time(1h, 2h, 3h)",
       "time dimension expected 1 or 2 arguments at line 1, char 26"},
      {"SELECT x FROM m GROUP BY time()",
       "time dimension expected 1 or 2 arguments at line 1, char 26"},
      {"SELECT x FROM m GROUP BY time(x)",
       "time dimension must have duration argument at line 1, char 26"},
      {"SELECT x FROM m GROUP BY time(1h), time(2h)",
       "multiple time dimensions not allowed at line 1, char 36"},
      {"SELECT x FROM m GROUP BY time",
       "time() is a function and expects at least one argument "
       "at line 1, char 26"},
      {"SELECT x FROM m GROUP BY time(1h), fill(0)",
       "only time() calls allowed in dimensions at line 1, char 36"},
      {"SELECT x FROM a.b.c.d", R"(too many segments in "a"."b"."c".d at line 1, char 15)"},
      {"SELECT x FROM a..c.\"d e\"", R"(too many segments in "a".."c"."d e" at line 1, char 15)"},
      {"SELECT x FROM m WHERE a = 1.5.5", "found .5, expected ; at line 1, char 30"},
      {"SELECT field FROM m",
       "found FIELD, expected identifier, string, number, bool at line 1, "
       "char 8"},
      {"SELECT - 'a' FROM m",
       "found a, expected identifier, number, duration, ( at line 1, char 10"},
      {"CREATE DATABASE db WITH",
       "found EOF, expected DURATION, NAME, REPLICATION, SHARD at line "
       "1, char 24"},
      {"CREATE DATABASE db WITH REPLICATION 0",
       "invalid value 0: must be 1 <= n <= 2147483647 at line 1, char 37"},
      {"CREATE DATABASE db WITH DURATION 1x", "invalid duration at line 1, char 34"},
      {"SELECT x FROM m\nWHERE\n  y ==",
       "found =, expected identifier, string, number, bool at "
       "line 3, char 6"},
      {"SELECT \xC3\xA9 FROM m",
       "found \xC3\xA9, expected identifier, string, number, bool at "
       "line 1, char 8"},
      {"SELECT \"\xC3\xA9\" FRO m", "found FRO, expected FROM at line 1, char 12"},
  };
  for (const Case& c : cases) EXPECT_EQ(ParseError(c.text), c.message) << c.text;
}

TEST(InfluxqlParserTest, UnsupportedConstructsAreNamed) {
  struct Case {
    std::string_view text;
    std::string_view message;
  };
  const Case cases[] = {
      {"SELECT x INTO y FROM m", "SELECT ... INTO is not supported at line 1, char 10"},
      {"SELECT x FROM (SELECT y FROM m)", "a subquery is not supported at line 1, char 15"},
      {"DELETE FROM m", "DELETE is not supported at line 1, char 1"},
      {"EXPLAIN SELECT x FROM m", "EXPLAIN is not supported at line 1, char 1"},
      {"GRANT ALL TO u", "GRANT is not supported at line 1, char 1"},
      {"REVOKE ALL FROM u", "REVOKE is not supported at line 1, char 1"},
      {"ALTER RETENTION POLICY rp ON db DURATION 1h", "ALTER is not supported at line 1, char 1"},
      {"SET PASSWORD FOR u = 'x'", "SET is not supported at line 1, char 1"},
      {"KILL QUERY 1", "KILL is not supported at line 1, char 1"},
      {"CREATE CONTINUOUS QUERY cq ON db BEGIN SELECT mean(x) INTO y FROM m GROUP BY time(1h) END",
       "CREATE CONTINUOUS QUERY is not supported at line 1, char 8"},
      {"CREATE USER u WITH PASSWORD 'p'", "CREATE USER is not supported at line 1, char 8"},
      {"CREATE RETENTION POLICY rp ON db DURATION 1h REPLICATION 1",
       "CREATE RETENTION POLICY is not supported at line 1, char 8"},
      {"DROP MEASUREMENT m", "DROP MEASUREMENT is not supported at line 1, char 6"},
      {"DROP SERIES FROM m", "DROP SERIES is not supported at line 1, char 6"},
      {"DROP RETENTION POLICY rp ON db",
       "DROP RETENTION POLICY is not supported at line 1, char 6"},
      {"SHOW STATS", "SHOW STATS is not supported at line 1, char 6"},
      {"SHOW USERS", "SHOW USERS is not supported at line 1, char 6"},
      {"SHOW DIAGNOSTICS", "SHOW DIAGNOSTICS is not supported at line 1, char 6"},
      {"SHOW CONTINUOUS QUERIES", "SHOW CONTINUOUS QUERIES is not supported at line 1, char 6"},
      {"SHOW QUERIES", "SHOW QUERIES is not supported at line 1, char 6"},
      {"SHOW SHARDS", "SHOW SHARDS is not supported at line 1, char 6"},
      {"SHOW SHARD GROUPS", "SHOW SHARD GROUPS is not supported at line 1, char 6"},
      {"SHOW GRANTS FOR u", "SHOW GRANTS is not supported at line 1, char 6"},
      {"SHOW SUBSCRIPTIONS", "SHOW SUBSCRIPTIONS is not supported at line 1, char 6"},
      {"SHOW SERIES CARDINALITY", "SHOW SERIES CARDINALITY is not supported at line 1, char 13"},
      {"SHOW SERIES EXACT CARDINALITY",
       "SHOW SERIES CARDINALITY is not supported at line 1, char 13"},
      {"SHOW MEASUREMENT CARDINALITY",
       "SHOW MEASUREMENT CARDINALITY is not supported at line 1, char 6"},
      {"SHOW TAG VALUES CARDINALITY WITH KEY = a",
       "SHOW TAG VALUES CARDINALITY is not supported at line 1, char 17"},
      {"SHOW TAG KEY CARDINALITY", "SHOW TAG KEY CARDINALITY is not supported at line 1, char 10"},
      {"SHOW FIELD KEY CARDINALITY",
       "SHOW FIELD KEY CARDINALITY is not supported at line 1, char 12"},
      {"SELECT mean(x) FROM m GROUP BY time(1h, now())",
       "GROUP BY time() with a now() offset is not supported at line 1, char 32"},
      // One bad statement fails the whole query, as in InfluxDB.
      {"SHOW DATABASES; DROP SERIES FROM m", "DROP SERIES is not supported at line 1, char 22"},
  };
  for (const Case& c : cases) EXPECT_EQ(ParseError(c.text), c.message) << c.text;
}

// --- Limits on untrusted input ---------------------------------------------------------------

TEST(InfluxqlParserTest, DeepNestingIsAnErrorNotACrash) {
  for (std::string_view open : {"(", "-(", "f(", "f(1, "}) {
    std::string text = "SELECT ";
    for (int i = 0; i < 100'000; ++i) text += open;
    text += "x FROM m";
    const std::string message = ParseError(text);
    EXPECT_NE(message.find("expression nested too deeply (the limit is 200 levels)"),
              std::string::npos)
        << open << ": " << message;
  }
  // Within the limit it parses.
  std::string text = "SELECT ";
  for (int i = 0; i < kMaxExprDepth; ++i) text += "(";
  text += "x";
  for (int i = 0; i < kMaxExprDepth; ++i) text += ")";
  text += " FROM m";
  EXPECT_EQ(ParseError(text), "OK");
}

TEST(InfluxqlParserTest, LongOperatorChainsAreBounded) {
  auto chain = [](int terms) {
    std::string text = "SELECT v FROM m WHERE host = 'h0'";
    for (int i = 1; i < terms; ++i) absl::StrAppend(&text, " OR host = 'h", i, "'");
    return text;
  };
  // A dashboard's long OR list parses...
  EXPECT_EQ(ParseError(chain(900)), "OK");
  // ...but a chain deeper than the tree limit is refused rather than built.
  EXPECT_NE(ParseError(chain(5000)).find("expression too complex"), std::string::npos);
  std::string sum = "SELECT a";
  for (int i = 0; i < 100'000; ++i) sum += " + a";
  sum += " FROM m";
  EXPECT_NE(ParseError(sum).find("expression too complex"), std::string::npos);
}

TEST(InfluxqlParserTest, StatementCountIsBounded) {
  std::string text;
  for (size_t i = 0; i < kMaxStatements; ++i) text += "SHOW DATABASES;";
  absl::StatusOr<Query> q = ParseQuery(text);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->statements.size(), kMaxStatements);
  text += "SHOW DATABASES";
  EXPECT_NE(ParseError(text).find("too many statements (the limit is 1000)"), std::string::npos);
}

TEST(InfluxqlParserTest, WideInputsParse) {
  // Many fields, arguments and sources: wide is fine, only depth is limited.
  std::string text = "SELECT f(";
  for (int i = 0; i < 10'000; ++i) absl::StrAppend(&text, i == 0 ? "" : ", ", "a", i);
  text += ")";
  for (int i = 0; i < 10'000; ++i) absl::StrAppend(&text, ", b", i);
  text += " FROM m0";
  for (int i = 1; i < 10'000; ++i) absl::StrAppend(&text, ", m", i);
  const SelectStatement s = Select(text);
  EXPECT_EQ(s.fields.size(), 10'001u);
  EXPECT_EQ(s.fields[0].expr->args.size(), 10'000u);
  EXPECT_EQ(s.sources.size(), 10'000u);
}

TEST(InfluxqlParserTest, DeepTreesAreFreedWithoutRecursion) {
  // Far deeper than the parser builds: the destructor must not recurse per level.
  auto root = std::make_unique<Expr>();
  root->kind = Expr::Kind::kVarRef;
  root->name = "x";
  for (int i = 0; i < 1'000'000; ++i) {
    auto parent = std::make_unique<Expr>();
    parent->kind = i % 2 ? Expr::Kind::kParen : Expr::Kind::kCall;
    if (i % 2) {
      parent->lhs = std::move(root);
    } else {
      parent->args.push_back(std::move(root));
    }
    root = std::move(parent);
  }
  root.reset();
  SUCCEED();
}

TEST(InfluxqlParserTest, ParseExprRequiresTheWholeText) {
  EXPECT_EQ(ParseShape("a b"), "ERROR: found b, expected EOF at line 1, char 3");
  EXPECT_EQ(ParseShape(""),
            "ERROR: found EOF, expected identifier, string, number, bool at line "
            "1, char 1");
}

}  // namespace
}  // namespace edgetsdb::query::influxql
