// Line protocol: what every accepted line means, why every refused line is refused, and how a body
// with both is split into points kept and errors reported by line.
#include "db/line_protocol.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "compression/coding.h"
#include "edgetsdb/write_batch.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgetsdb {
namespace {

using ::testing::HasSubstr;
using namespace std::literals;

constexpr int64_t kNow = 1'700'000'000'123'456'789;

// An owning point, compared with floats bit for bit.
struct Point {
  std::string measurement;
  std::vector<std::pair<std::string, std::string>> tags;
  std::vector<std::pair<std::string, FieldValue>> fields;
  int64_t timestamp = kNow;
};

bool operator==(const Point& a, const Point& b) {
  if (a.measurement != b.measurement || a.tags != b.tags || a.timestamp != b.timestamp ||
      a.fields.size() != b.fields.size()) {
    return false;
  }
  for (size_t i = 0; i < a.fields.size(); ++i) {
    const FieldValue& x = a.fields[i].second;
    const FieldValue& y = b.fields[i].second;
    if (a.fields[i].first != b.fields[i].first || x.index() != y.index()) return false;
    if (const double* d = std::get_if<double>(&x)) {
      if (compression::DoubleBits(*d) != compression::DoubleBits(std::get<double>(y))) {
        return false;
      }
    } else if (x != y) {
      return false;
    }
  }
  return true;
}

void PrintTo(const Point& p, std::ostream* os) {
  *os << "{" << ::testing::PrintToString(p.measurement);
  for (const auto& [k, v] : p.tags) {
    *os << " tag " << ::testing::PrintToString(k) << "=" << ::testing::PrintToString(v);
  }
  for (const auto& [k, v] : p.fields) {
    *os << " field " << ::testing::PrintToString(k) << "=";
    std::visit([os](const auto& x) { *os << ::testing::PrintToString(x); }, v);
    *os << "(type " << v.index() << ")";
  }
  *os << " @" << p.timestamp << "}";
}

std::vector<Point> ReadAll(const WriteBatch& batch) {
  std::vector<Point> points;
  WriteBatch::Reader r(batch);
  while (r.Next()) {
    Point p;
    p.measurement = std::string(r.measurement());
    for (const TagView& t : r.tags()) p.tags.emplace_back(t.key, t.value);
    for (const FieldView& f : r.fields()) {
      FieldValue v;
      std::visit(
          [&v](const auto& x) {
            if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::string_view>) {
              v = std::string(x);
            } else {
              v = x;
            }
          },
          f.value);
      p.fields.emplace_back(std::string(f.key), std::move(v));
    }
    p.timestamp = r.timestamp();
    points.push_back(std::move(p));
  }
  EXPECT_TRUE(r.status().ok()) << r.status();
  return points;
}

struct Parsed {
  ParseResult result;
  std::vector<Point> points;
};

Parsed Parse(std::string_view body, Precision precision = Precision::kNanoseconds) {
  WriteBatch batch;
  Parsed parsed;
  parsed.result = ParseLineProtocol(body, precision, kNow, &batch);
  parsed.points = ReadAll(batch);
  EXPECT_EQ(parsed.result.points, batch.point_count());
  return parsed;
}

// --- Valid lines ---------------------------------------------------------------------------------

struct ValidCase {
  std::string line;
  Point point;
};

Point P(std::string measurement, std::vector<std::pair<std::string, std::string>> tags,
        std::vector<std::pair<std::string, FieldValue>> fields, int64_t timestamp = kNow) {
  return Point{std::move(measurement), std::move(tags), std::move(fields), timestamp};
}

const std::vector<ValidCase>& ValidCases() {
  static const auto* cases = new std::vector<ValidCase>{
      // The shapes of a line.
      {"cpu value=1", P("cpu", {}, {{"value", 1.0}})},
      {"cpu value=1 1700000000000000000", P("cpu", {}, {{"value", 1.0}}, 1700000000000000000)},
      {"cpu,host=a value=1 5", P("cpu", {{"host", "a"}}, {{"value", 1.0}}, 5)},
      {"cpu,host=a,region=eu value=1,idle=2 5",
       P("cpu", {{"host", "a"}, {"region", "eu"}}, {{"value", 1.0}, {"idle", 2.0}}, 5)},
      {"cpu,region=eu,host=a value=1",
       P("cpu", {{"host", "a"}, {"region", "eu"}}, {{"value", 1.0}})},
      {"cpu value=1 -5", P("cpu", {}, {{"value", 1.0}}, -5)},
      {"cpu value=1 0", P("cpu", {}, {{"value", 1.0}}, 0)},
      {"cpu value=1 -9223372036854775808",
       P("cpu", {}, {{"value", 1.0}}, std::numeric_limits<int64_t>::min())},
      {"cpu value=1 9223372036854775807",
       P("cpu", {}, {{"value", 1.0}}, std::numeric_limits<int64_t>::max())},
      {"cpu value=1 000000000000000000000005", P("cpu", {}, {{"value", 1.0}}, 5)},
      {"cpu a=1,b=2,a=3", P("cpu", {}, {{"b", 2.0}, {"a", 3.0}})},  // Last value wins.
      // Whitespace.
      {"cpu  value=1   5", P("cpu", {}, {{"value", 1.0}}, 5)},
      {"   cpu value=1", P("cpu", {}, {{"value", 1.0}})},
      {"cpu value=1   ", P("cpu", {}, {{"value", 1.0}})},
      {"\tcpu \tvalue=1 \t5\t", P("cpu", {}, {{"value", 1.0}}, 5)},
      {"cpu,host=a \t value=1", P("cpu", {{"host", "a"}}, {{"value", 1.0}})},
      // Floats in every form.
      {"m v=0", P("m", {}, {{"v", 0.0}})},
      {"m v=-0", P("m", {}, {{"v", -0.0}})},
      {"m v=-0.0", P("m", {}, {{"v", -0.0}})},
      {"m v=21.53", P("m", {}, {{"v", 21.53}})},
      {"m v=-3.25", P("m", {}, {{"v", -3.25}})},
      {"m v=1.", P("m", {}, {{"v", 1.0}})},
      {"m v=.5", P("m", {}, {{"v", 0.5}})},
      {"m v=-.5", P("m", {}, {{"v", -0.5}})},
      {"m v=007.50", P("m", {}, {{"v", 7.5}})},
      {"m v=1e3", P("m", {}, {{"v", 1000.0}})},
      {"m v=1E3", P("m", {}, {{"v", 1000.0}})},
      {"m v=1e+3", P("m", {}, {{"v", 1000.0}})},
      {"m v=1.5e-3", P("m", {}, {{"v", 0.0015}})},
      {"m v=6.02E+23", P("m", {}, {{"v", 6.02e23}})},
      {"m v=1.e2", P("m", {}, {{"v", 100.0}})},
      {"m v=.5e1", P("m", {}, {{"v", 5.0}})},
      {"m v=1.7976931348623157e308", P("m", {}, {{"v", std::numeric_limits<double>::max()}})},
      {"m v=4.9e-324", P("m", {}, {{"v", std::numeric_limits<double>::denorm_min()}})},
      {"m v=1e-400", P("m", {}, {{"v", 0.0}})},  // Too small for a double: zero, as in Go.
      {"m v=-1e-400", P("m", {}, {{"v", -0.0}})},
      {"m v=0.000000000000000000000000000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000000000000000000000000000000000000000000000000001",
       P("m", {}, {{"v", 0.0}})},
      {"m v=0.1,w=0.2,x=0.30000000000000004",
       P("m", {}, {{"v", 0.1}, {"w", 0.2}, {"x", 0.30000000000000004}})},
      // Integers.
      {"m v=1i", P("m", {}, {{"v", int64_t{1}}})},
      {"m v=-12i", P("m", {}, {{"v", int64_t{-12}}})},
      {"m v=0i", P("m", {}, {{"v", int64_t{0}}})},
      {"m v=-0i", P("m", {}, {{"v", int64_t{0}}})},
      {"m v=9223372036854775807i", P("m", {}, {{"v", std::numeric_limits<int64_t>::max()}})},
      {"m v=-9223372036854775808i", P("m", {}, {{"v", std::numeric_limits<int64_t>::min()}})},
      {"m v=0u", P("m", {}, {{"v", uint64_t{0}}})},
      {"m v=12u", P("m", {}, {{"v", uint64_t{12}}})},
      {"m v=18446744073709551615u", P("m", {}, {{"v", std::numeric_limits<uint64_t>::max()}})},
      // Booleans, every spelling.
      {"m a=t,b=T,c=true,d=True,e=TRUE",
       P("m", {}, {{"a", true}, {"b", true}, {"c", true}, {"d", true}, {"e", true}})},
      {"m a=f,b=F,c=false,d=False,e=FALSE",
       P("m", {}, {{"a", false}, {"b", false}, {"c", false}, {"d", false}, {"e", false}})},
      // Strings.
      {R"(m s="hello")", P("m", {}, {{"s", "hello"s}})},
      {R"(m s="")", P("m", {}, {{"s", ""s}})},
      {R"(m s="a \"quoted\" word")", P("m", {}, {{"s", R"(a "quoted" word)"s}})},
      {R"(m s="back\\slash")", P("m", {}, {{"s", R"(back\slash)"s}})},
      {R"(m s="C:\path\to")", P("m", {}, {{"s", R"(C:\path\to)"s}})},  // Not an escape.
      {R"(m s="\\")", P("m", {}, {{"s", R"(\)"s}})},
      {R"(m s="\\\"")", P("m", {}, {{"s", R"(\")"s}})},
      {R"(m s="ends with \\" 5)", P("m", {}, {{"s", R"(ends with \)"s}}, 5)},
      {R"(m s="a,b c=d",n=1i)", P("m", {}, {{"s", "a,b c=d"s}, {"n", int64_t{1}}})},
      {"m s=\"tab\there\"", P("m", {}, {{"s", "tab\there"s}})},
      {R"(m s="  padded  " 5)", P("m", {}, {{"s", "  padded  "s}}, 5)},
      {R"(m s="#not a comment")", P("m", {}, {{"s", "#not a comment"s}})},
      {"m s=\"caf\xc3\xa9 \xf0\x9f\x8c\xa1\"",
       P("m", {}, {{"s", "caf\xc3\xa9 \xf0\x9f\x8c\xa1"s}})},
      // Escapes in names.
      {R"(cp\ u value=1)", P("cp u", {}, {{"value", 1.0}})},
      {R"(cp\,u value=1)", P("cp,u", {}, {{"value", 1.0}})},
      {R"(c=pu value=1)", P("c=pu", {}, {{"value", 1.0}})},       // '=' needs no escape here...
      {R"(c\=pu value=1)", P(R"(c\=pu)", {}, {{"value", 1.0}})},  // ... so \ stays.
      {R"(cpu\\ value=1)", P(R"(cpu\)", {}, {{"value", 1.0}})},
      {R"(cpu\\\,x value=1)", P(R"(cpu\,x)", {}, {{"value", 1.0}})},
      {R"(c\pu value=1)", P(R"(c\pu)", {}, {{"value", 1.0}})},
      {R"(cpu,ho\ st=a value=1)", P("cpu", {{"ho st", "a"}}, {{"value", 1.0}})},
      {R"(cpu,ho\=st=a value=1)", P("cpu", {{"ho=st", "a"}}, {{"value", 1.0}})},
      {R"(cpu,ho\,st=a value=1)", P("cpu", {{"ho,st", "a"}}, {{"value", 1.0}})},
      {R"(cpu,host=a\ b value=1)", P("cpu", {{"host", "a b"}}, {{"value", 1.0}})},
      {R"(cpu,host=a\,b value=1)", P("cpu", {{"host", "a,b"}}, {{"value", 1.0}})},
      {R"(cpu,host=a\=b value=1)", P("cpu", {{"host", "a=b"}}, {{"value", 1.0}})},
      {R"(cpu,path=C:\temp value=1)", P("cpu", {{"path", R"(C:\temp)"}}, {{"value", 1.0}})},
      {R"(cpu,path=end\\ value=1)", P("cpu", {{"path", R"(end\)"}}, {{"value", 1.0}})},
      {R"(cpu,q="x" value=1)", P("cpu", {{"q", R"("x")"}}, {{"value", 1.0}})},
      {R"(cpu,host=a\  value=1)", P("cpu", {{"host", "a "}}, {{"value", 1.0}})},
      {R"(cpu va\ lue=1)", P("cpu", {}, {{"va lue", 1.0}})},
      {R"(cpu va\=lue=1)", P("cpu", {}, {{"va=lue", 1.0}})},
      {R"(cpu va\,lue=1)", P("cpu", {}, {{"va,lue", 1.0}})},
      {R"(cpu \ value=1)", P("cpu", {}, {{" value", 1.0}})},
      {"temp\xc3\xa9rature,lieu=caf\xc3\xa9 \xf0\x9f\x8c\xa1=21.5",
       P("temp\xc3\xa9rature", {{"lieu", "caf\xc3\xa9"}}, {{"\xf0\x9f\x8c\xa1", 21.5}})},
      {"c\rpu value=1", P("c\rpu", {}, {{"value", 1.0}})},  // A lone CR is an ordinary byte.
      {"m#hash,tag=#x #f=1", P("m#hash", {{"tag", "#x"}}, {{"#f", 1.0}})},
  };
  return *cases;
}

TEST(LineProtocolTest, ValidLinesMeanWhatTheySay) {
  for (const ValidCase& c : ValidCases()) {
    SCOPED_TRACE(c.line);
    const Parsed parsed = Parse(c.line);
    EXPECT_EQ(parsed.result.error_count, 0u)
        << (parsed.result.errors.empty() ? "" : parsed.result.errors[0].reason);
    ASSERT_EQ(parsed.points.size(), 1u);
    EXPECT_EQ(parsed.points[0], c.point);
  }
}

// An escaped space is part of the measurement, so this is a measurement with no fields.
TEST(LineProtocolTest, EscapedSpaceBeforeFieldsJoinsThem) {
  const Parsed parsed = Parse(R"(cpu\ value=1)");
  ASSERT_EQ(parsed.result.errors.size(), 1u);
  EXPECT_THAT(parsed.result.errors[0].reason, HasSubstr("missing fields"));
}

// The same lines, all in one body, with CRLF line ends, comments and blank lines between them.
TEST(LineProtocolTest, ValidLinesTogetherInOneBody) {
  std::string body = "# generated by a test\r\n\r\n";
  std::vector<Point> expected;
  for (const ValidCase& c : ValidCases()) {
    if (c.line.find('\r') != std::string::npos) continue;
    body += c.line + "\r\n  # a comment\n\n";
    expected.push_back(c.point);
  }
  const Parsed parsed = Parse(body);
  EXPECT_EQ(parsed.result.error_count, 0u);
  EXPECT_EQ(parsed.points, expected);
}

// --- Invalid lines -------------------------------------------------------------------------------

struct InvalidCase {
  std::string line;
  std::string reason;
};

const std::vector<InvalidCase>& InvalidCases() {
  static const auto* cases = new std::vector<InvalidCase>{
      {"cpu", "missing fields"},
      {"cpu,host=a", "missing fields"},
      {"cpu,host=a   ", "missing fields"},
      {",host=a value=1", "missing measurement"},
      {"value=1", "missing fields"},  // A measurement named "value=1".
      {"cpu,=a value=1", "missing tag key"},
      {"cpu, value=1", "missing tag key"},
      {"cpu,,host=a value=1", "missing tag key"},
      {"cpu,host value=1", "missing tag value"},
      {"cpu,host= value=1", "missing tag value"},
      {"cpu,host=,r=1 value=1", "missing tag value"},
      {"cpu,host", "missing tag value"},
      {"cpu,a=1=2 value=1", "invalid tag format"},
      {"cpu,a=1,b=2,a=3 value=1", "duplicate tags"},
      {"cpu =1", "missing field key"},
      {"cpu value=1,,idle=2", "missing field key"},
      {"cpu value=1,", "missing field key"},
      {"cpu value", "invalid field format"},
      {"cpu value,idle=1", "invalid field format"},
      {"cpu value=", "missing field value"},
      {"cpu value= 5", "missing field value"},
      {"cpu value=,idle=1", "missing field value"},
      {"cpu value=abc", "invalid boolean"},
      {"cpu value=tru", "invalid boolean"},
      {"cpu value=truee", "invalid boolean"},
      {"cpu value=tRUE", "invalid boolean"},
      {"cpu value=NaN", "invalid boolean"},
      {"cpu value=inf", "invalid boolean"},
      {"cpu value=-inf", "invalid number"},
      {"cpu value=+1", "invalid number"},
      {"cpu value=-", "invalid number"},
      {"cpu value=.", "invalid number"},
      {"cpu value=-.", "invalid number"},
      {"cpu value=1.2.3", "invalid number"},
      {"cpu value=1e", "invalid number"},
      {"cpu value=1e+", "invalid number"},
      {"cpu value=e5", "invalid boolean"},
      {"cpu value=.e5", "invalid number"},
      {"cpu value=1a", "invalid number"},
      {"cpu value=0x10", "invalid number"},
      {"cpu value=1_000", "invalid number"},
      {"cpu value=1e400", "float out of range"},
      {"cpu value=-1e400", "float out of range"},
      {"cpu value=1.5i", "invalid number"},
      {"cpu value=1e3i", "invalid number"},
      {"cpu value=i", "invalid boolean"},
      {"cpu value=-i", "invalid number"},
      {"cpu value=1ii", "invalid number"},
      {"cpu value=9223372036854775808i", "integer out of range"},
      {"cpu value=-9223372036854775809i", "integer out of range"},
      {"cpu value=99999999999999999999999i", "integer out of range"},
      {"cpu value=18446744073709551616u", "unsigned out of range"},
      {"cpu value=-1u", "invalid number"},
      {"cpu value=1.0u", "invalid number"},
      {"cpu value=1iu", "invalid number"},
      {R"(cpu value="abc)", "unbalanced quotes"},
      {R"(cpu value="abc\")", "unbalanced quotes"},
      {R"(cpu value=")", "unbalanced quotes"},
      {R"(cpu value="a"b)", "invalid field format"},
      {R"(cpu value="a""b")", "invalid field format"},
      {"cpu value=1 12a", "bad timestamp"},
      {"cpu value=1 1.5", "bad timestamp"},
      {"cpu value=1 1e9", "bad timestamp"},
      {"cpu value=1 +5", "bad timestamp"},
      {"cpu value=1 -", "bad timestamp"},
      {"cpu value=1 1 2", "bad timestamp"},
      {"cpu value=1 idle=2", "bad timestamp"},
      {"cpu value=1 9223372036854775808", "bad timestamp"},
      {"cpu value=1 -9223372036854775809", "bad timestamp"},
      {"cpu value=1\t5", "invalid number"},  // A tab does not end a value.
      {"cpu value=NaN", "invalid boolean"},
      {std::string(kMaxNameBytes + 1, 'm') + " value=1", "measurement too long"},
      {"cpu," + std::string(kMaxNameBytes + 1, 'k') + "=v value=1", "tag key too long"},
      {"cpu,k=" + std::string(kMaxTagValueBytes + 1, 'v') + " value=1", "tag value too long"},
      {"cpu " + std::string(kMaxNameBytes + 1, 'f') + "=1", "field key too long"},
      {"cpu s=\"" + std::string(kMaxStringFieldBytes + 1, 's') + "\"", "string field too long"},
  };
  return *cases;
}

TEST(LineProtocolTest, InvalidLinesAreRefusedWithInfluxDBsReasons) {
  for (const InvalidCase& c : InvalidCases()) {
    SCOPED_TRACE(c.line.substr(0, 80));
    const Parsed parsed = Parse(c.line);
    EXPECT_TRUE(parsed.points.empty());
    ASSERT_EQ(parsed.result.error_count, 1u);
    ASSERT_EQ(parsed.result.errors.size(), 1u);
    EXPECT_EQ(parsed.result.errors[0].line, 1u);
    const std::string& reason = parsed.result.errors[0].reason;
    EXPECT_THAT(reason, HasSubstr(": " + c.reason));
    EXPECT_THAT(reason, ::testing::StartsWith("line 1: unable to parse '"));
    EXPECT_LT(reason.size(), 160u) << "reasons stay short";
  }
}

TEST(LineProtocolTest, TooManyTagsOrFields) {
  std::string tags = "cpu";
  for (size_t i = 0; i <= kMaxTagsPerPoint; ++i) absl::StrAppend(&tags, ",t", i, "=x");
  std::string fields = "cpu ";
  for (size_t i = 0; i <= kMaxFieldsPerPoint; ++i) {
    absl::StrAppend(&fields, i ? ",f" : "f", i, "=1");
  }
  EXPECT_THAT(Parse(tags + " v=1").result.errors.at(0).reason, HasSubstr("too many tags"));
  EXPECT_THAT(Parse(fields).result.errors.at(0).reason, HasSubstr("too many fields"));
}

TEST(LineProtocolTest, ErrorReasonQuotesTheLineShortly) {
  const Parsed parsed = Parse("cpu value=1\ncpu,host=a value=\n");
  ASSERT_EQ(parsed.result.errors.size(), 1u);
  EXPECT_EQ(parsed.result.errors[0].line, 2u);
  EXPECT_EQ(parsed.result.errors[0].reason,
            "line 2: unable to parse 'cpu,host=a value=': missing field value");

  const std::string long_line = "cpu,host=" + std::string(200, 'h') + " value=x";
  const Parsed long_parsed = Parse(long_line);
  ASSERT_EQ(long_parsed.result.errors.size(), 1u);
  EXPECT_EQ(long_parsed.result.errors[0].reason,
            "line 1: unable to parse '" + long_line.substr(0, 64) + "...': invalid boolean");
}

// --- Bodies --------------------------------------------------------------------------------------

TEST(LineProtocolTest, PartialWriteKeepsGoodLinesAndNamesBadOnes) {
  const std::string body =
      "cpu,host=a value=1 1\n"  // 1
      "cpu,host=b value= 2\n"   // 2: bad
      "\n"                      // 3
      "# comment\n"             // 4
      "cpu,host=c value=3 3\n"  // 5
      "cpu,host=d value=x 4\n"  // 6: bad
      "cpu,host=e value=5 5";   // 7, no final newline
  const Parsed parsed = Parse(body);
  EXPECT_EQ(parsed.result.points, 3u);
  EXPECT_EQ(parsed.result.error_count, 2u);
  ASSERT_EQ(parsed.result.errors.size(), 2u);
  EXPECT_EQ(parsed.result.errors[0].line, 2u);
  EXPECT_THAT(parsed.result.errors[0].reason, HasSubstr("line 2: "));
  EXPECT_THAT(parsed.result.errors[0].reason, HasSubstr("missing field value"));
  EXPECT_EQ(parsed.result.errors[1].line, 6u);
  EXPECT_THAT(parsed.result.errors[1].reason, HasSubstr("invalid boolean"));
  const std::vector<Point> expected = {
      P("cpu", {{"host", "a"}}, {{"value", 1.0}}, 1),
      P("cpu", {{"host", "c"}}, {{"value", 3.0}}, 3),
      P("cpu", {{"host", "e"}}, {{"value", 5.0}}, 5),
  };
  EXPECT_EQ(parsed.points, expected);
}

TEST(LineProtocolTest, OnlyTheFirstErrorsAreKeptButAllAreCounted) {
  std::string body;
  for (int i = 0; i < 250; ++i) body += (i % 2 ? "cpu value=1\n" : "cpu\n");
  const Parsed parsed = Parse(body);
  EXPECT_EQ(parsed.result.points, 125u);
  EXPECT_EQ(parsed.result.error_count, 125u);
  ASSERT_EQ(parsed.result.errors.size(), kMaxReportedErrors);
  for (size_t i = 0; i < kMaxReportedErrors; ++i)
    EXPECT_EQ(parsed.result.errors[i].line, 2 * i + 1);
}

TEST(LineProtocolTest, EmptyAndBlankBodies) {
  for (std::string_view body :
       {""sv, "\n"sv, "\r\n\r\n"sv, "   \n\t\n"sv, "# only a comment"sv, "#\n#\n"sv}) {
    const Parsed parsed = Parse(body);
    EXPECT_EQ(parsed.result.points, 0u);
    EXPECT_EQ(parsed.result.error_count, 0u);
  }
}

TEST(LineProtocolTest, CrlfLineEndsAreAccepted) {
  const Parsed parsed = Parse("cpu value=1 1\r\ncpu s=\"x\" 2\r\ncpu b=t\r\ncpu v=1i 3\r");
  EXPECT_EQ(parsed.result.error_count, 0u);
  const std::vector<Point> expected = {
      P("cpu", {}, {{"value", 1.0}}, 1),
      P("cpu", {}, {{"s", "x"s}}, 2),
      P("cpu", {}, {{"b", true}}),
      P("cpu", {}, {{"v", int64_t{1}}}, 3),
  };
  EXPECT_EQ(parsed.points, expected);
}

// Line protocol cannot carry a newline inside a value: the line ends there.
TEST(LineProtocolTest, NewlineEndsAStringValue) {
  const Parsed parsed = Parse("cpu s=\"one\ntwo\" 5\ncpu value=1 6");
  ASSERT_EQ(parsed.result.errors.size(), 2u);
  EXPECT_EQ(parsed.result.errors[0].line, 1u);
  EXPECT_THAT(parsed.result.errors[0].reason, HasSubstr("unbalanced quotes"));
  EXPECT_EQ(parsed.result.errors[1].line, 2u);
  EXPECT_EQ(parsed.points, std::vector<Point>{P("cpu", {}, {{"value", 1.0}}, 6)});
}

TEST(LineProtocolTest, CommentsAndLineNumbers) {
  const Parsed parsed = Parse(
      "# header\n"
      "   # indented comment\n"
      "#cpu value=1\n"
      "\n"
      "cpu value=\n");
  ASSERT_EQ(parsed.result.errors.size(), 1u);
  EXPECT_EQ(parsed.result.errors[0].line, 5u);
  EXPECT_TRUE(parsed.points.empty());
}

// --- Precision -----------------------------------------------------------------------------------

TEST(LineProtocolTest, ParsePrecisionTakesInfluxDBsNames) {
  const struct {
    std::string_view text;
    Precision precision;
  } kValid[] = {
      {"", Precision::kNanoseconds},    {"ns", Precision::kNanoseconds},
      {"n", Precision::kNanoseconds},   {"u", Precision::kMicroseconds},
      {"us", Precision::kMicroseconds}, {"ms", Precision::kMilliseconds},
      {"s", Precision::kSeconds},       {"m", Precision::kMinutes},
      {"h", Precision::kHours},
  };
  for (const auto& c : kValid) {
    const absl::StatusOr<Precision> p = ParsePrecision(c.text);
    ASSERT_TRUE(p.ok()) << c.text;
    EXPECT_EQ(*p, c.precision) << c.text;
  }
  for (std::string_view bad : {"x", "S", "NS", "sec", "µs", " s", "mss", "d"}) {
    EXPECT_EQ(ParsePrecision(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(LineProtocolTest, TimestampsAreScaledByPrecision) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  const struct {
    Precision precision;
    std::string timestamp;
    int64_t ns;  // 0 with an empty `error`.
    std::string error;
  } kCases[] = {
      {Precision::kNanoseconds, "1700000000123456789", 1700000000123456789, ""},
      {Precision::kMicroseconds, "1700000000123456", 1700000000123456000, ""},
      {Precision::kMilliseconds, "1700000000123", 1700000000123000000, ""},
      {Precision::kSeconds, "1700000000", 1700000000000000000, ""},
      {Precision::kMinutes, "28333333", 28333333LL * 60'000'000'000, ""},
      {Precision::kHours, "472222", 472222LL * 3'600'000'000'000, ""},
      {Precision::kSeconds, "-1", -1'000'000'000, ""},
      {Precision::kSeconds, "9223372036", 9223372036000000000, ""},
      {Precision::kSeconds, "9223372037", 0, "time outside range"},
      {Precision::kSeconds, "-9223372037", 0, "time outside range"},
      {Precision::kMilliseconds, "9223372036854", 9223372036854000000, ""},
      {Precision::kMilliseconds, "9223372036855", 0, "time outside range"},
      {Precision::kMicroseconds, std::to_string(kMax / 1000 + 1), 0, "time outside range"},
      {Precision::kHours, "2562047", 2562047LL * 3'600'000'000'000, ""},
      {Precision::kHours, "2562048", 0, "time outside range"},
      {Precision::kHours, "-2562048", 0, "time outside range"},
      {Precision::kMinutes, "153722867", 153722867LL * 60'000'000'000, ""},
      {Precision::kMinutes, "153722868", 0, "time outside range"},
      {Precision::kHours, "9223372036854775807", 0, "time outside range"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.timestamp);
    const Parsed parsed = Parse("cpu value=1 " + c.timestamp, c.precision);
    if (c.error.empty()) {
      ASSERT_EQ(parsed.points.size(), 1u);
      EXPECT_EQ(parsed.points[0].timestamp, c.ns);
    } else {
      ASSERT_EQ(parsed.result.errors.size(), 1u);
      EXPECT_THAT(parsed.result.errors[0].reason, HasSubstr(c.error));
    }
  }
}

TEST(LineProtocolTest, MissingTimestampIsNowWhateverThePrecision) {
  for (Precision p : {Precision::kNanoseconds, Precision::kSeconds, Precision::kHours}) {
    const Parsed parsed = Parse("cpu value=1", p);
    ASSERT_EQ(parsed.points.size(), 1u);
    EXPECT_EQ(parsed.points[0].timestamp, kNow);
  }
}

// --- Writing lines back --------------------------------------------------------------------------

void ExpectRoundTrip(const Point& point) {
  std::vector<TagView> tags;
  for (const auto& [k, v] : point.tags) tags.push_back({k, v});
  std::vector<FieldView> fields;
  for (const auto& [k, v] : point.fields) {
    FieldView f{k, false};
    std::visit(
        [&f](const auto& x) {
          if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::string>) {
            f.value = std::string_view(x);
          } else {
            f.value = x;
          }
        },
        v);
    fields.push_back(f);
  }
  std::string line;
  AppendLineProtocol(point.measurement, tags, fields, point.timestamp, &line);
  SCOPED_TRACE(line);
  const Parsed parsed = Parse(line);
  EXPECT_EQ(parsed.result.error_count, 0u)
      << (parsed.result.errors.empty() ? "" : parsed.result.errors[0].reason);
  EXPECT_EQ(parsed.points, std::vector<Point>{point});
}

TEST(LineProtocolTest, EscapingRoundTrips) {
  const std::string kNasty[] = {
      "plain",
      "a b",
      "a,b",
      "a=b",
      R"(a\b)",
      R"(a\)",
      R"(\)",
      R"(\\)",
      R"(a\,b)",
      R"(a\ b)",
      R"(a\=b)",
      R"(a"b)",
      "\"",
      " lead",
      "trail ",
      "  ",
      ",",
      "=",
      "a\tb",
      "#x",
      "x#",
      "caf\xc3\xa9",
      std::string("nul\0byte", 8),
      "\xff\xfe",
      "cr\rx",
  };
  for (const std::string& s : kNasty) {
    ExpectRoundTrip(P("m" + s, {{"k" + s, s}}, {{"f" + s, s}, {s, 1.0}}, 42));
    if (s[0] != '#') ExpectRoundTrip(P(s, {{s, s + "v"}}, {{s, int64_t{-1}}}, -42));
  }
  ExpectRoundTrip(P("m", {}, {{"s", R"(" \" \\ \)"s}}, 0));
}

TEST(LineProtocolTest, EveryValueRoundTrips) {
  ExpectRoundTrip(P("m", {},
                    {{"a", 0.0},
                     {"b", -0.0},
                     {"c", 0.1},
                     {"d", 1e308},
                     {"e", std::numeric_limits<double>::denorm_min()},
                     {"f", -std::numeric_limits<double>::max()},
                     {"g", 1.0 / 3.0},
                     {"h", std::numeric_limits<int64_t>::min()},
                     {"i", std::numeric_limits<int64_t>::max()},
                     {"j", std::numeric_limits<uint64_t>::max()},
                     {"k", true},
                     {"l", false},
                     {"n", ""s}},
                    std::numeric_limits<int64_t>::min()));
}

// Random names and values from an alphabet of the bytes that matter to the grammar.
TEST(LineProtocolTest, RandomPointsRoundTrip) {
  std::mt19937_64 rng(1);
  const std::string kAlphabet = std::string(R"(ab,= \"#)") + "\t\r";
  const auto random_string = [&](size_t min_size) {
    std::string s(min_size + rng() % 6, ' ');
    for (char& ch : s) ch = kAlphabet[rng() % kAlphabet.size()];
    return s;
  };
  for (int i = 0; i < 2000; ++i) {
    Point p;
    // Line protocol cannot start a measurement with '#' (a comment) or a blank (skipped), nor
    // the first field key with a tab (skipped with the separator).
    do {
      p.measurement = random_string(1);
    } while (p.measurement[0] == '#' || p.measurement[0] == '\t' || p.measurement[0] == ' ');
    for (int t = static_cast<int>(rng() % 3); t > 0; --t) {
      std::string key = random_string(1);
      bool repeated = false;
      for (const auto& [k, v] : p.tags) repeated |= k == key;
      if (!repeated) p.tags.emplace_back(key, random_string(1));
    }
    std::sort(p.tags.begin(), p.tags.end());
    for (int f = 1 + static_cast<int>(rng() % 3); f > 0; --f) {
      std::string key = random_string(1);
      if (p.fields.empty() && key[0] == '\t') key[0] = 'a';
      bool repeated = false;
      for (const auto& [k, v] : p.fields) repeated |= k == key;
      if (repeated) continue;
      switch (rng() % 4) {
        case 0: {
          uint64_t bits = rng();
          if (((bits >> 52) & 0x7ff) == 0x7ff) bits ^= uint64_t{1} << 62;  // Not NaN or inf.
          p.fields.emplace_back(key, compression::BitsDouble(bits));
          break;
        }
        case 1:
          p.fields.emplace_back(key, static_cast<int64_t>(rng()));
          break;
        case 2:
          p.fields.emplace_back(key, rng());
          break;
        default:
          p.fields.emplace_back(key, random_string(0));
      }
    }
    p.timestamp = static_cast<int64_t>(rng());
    ExpectRoundTrip(p);
    if (HasFailure()) break;
  }
}

}  // namespace
}  // namespace edgetsdb
