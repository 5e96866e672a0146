#include "query/result_format.h"

#include <gtest/gtest.h>

namespace edgetsdb::query {
namespace {

std::vector<StatementResult> OneSeries() {
  ResultSeries series;
  series.name = "cpu";
  series.tags = {{"host", "a,b"}, {"region", "eu"}};
  series.columns = {"time", "value", "label"};
  series.has_time = true;
  series.values.push_back({int64_t{1'577'836'800'000'000'000}, 1.5, std::string("x")});
  series.values.push_back({int64_t{1'577'836'800'500'000'000}, Value{}, std::string("y\"z")});
  StatementResult result;
  result.series.push_back(series);
  return {result};
}

TEST(ResultFormatTest, JsonMatchesInfluxDbLayout) {
  EXPECT_EQ(FormatJson(OneSeries(), {}),
            "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"tags\":{\"host\":"
            "\"a,b\",\"region\":\"eu\"},\"columns\":[\"time\",\"value\",\"label\"],\"values\":[["
            "\"2020-01-01T00:00:00Z\",1.5,\"x\"],[\"2020-01-01T00:00:00.5Z\",null,\"y\\\"z\"]]}]}]}"
            "\n");
}

TEST(ResultFormatTest, EmptyStatementAndErrors) {
  StatementResult empty;
  StatementResult failed;
  failed.statement_id = 1;
  failed.error = "database not found: x";
  EXPECT_EQ(FormatJson({empty, failed}, {}),
            "{\"results\":[{\"statement_id\":0},{\"statement_id\":1,\"error\":\"database not "
            "found: x\"}]}\n");
  EXPECT_EQ(FormatJsonError("bad <thing>"), "{\"error\":\"bad \\u003cthing\\u003e\"}\n");
}

TEST(ResultFormatTest, PrettyIndentsLikeGo) {
  StatementResult result;
  ResultSeries series;
  series.name = "m";
  series.columns = {"name"};
  series.values.push_back({std::string("a")});
  result.series.push_back(series);
  EXPECT_EQ(FormatJson({result}, {.pretty = true}),
            "{\n    \"results\": [\n        {\n            \"statement_id\": 0,\n"
            "            \"series\": [\n                {\n                    \"name\": \"m\",\n"
            "                    \"columns\": [\n                        \"name\"\n"
            "                    ],\n                    \"values\": [\n"
            "                        [\n                            \"a\"\n"
            "                        ]\n                    ]\n                }\n"
            "            ]\n        }\n    ]\n}\n");
}

TEST(ResultFormatTest, EpochDividesTime) {
  FormatOptions options;
  options.epoch = *ParseEpoch("ms");
  std::string json = FormatJson(OneSeries(), options);
  EXPECT_NE(json.find("[1577836800500,null"), std::string::npos) << json;
  EXPECT_FALSE(ParseEpoch("weeks").ok());
}

TEST(ResultFormatTest, NumbersAsGoEncodingJson) {
  auto format = [](double v) {
    std::string out;
    AppendJsonNumber(v, &out);
    return out;
  };
  EXPECT_EQ(format(0), "0");
  EXPECT_EQ(format(-2.5), "-2.5");
  EXPECT_EQ(format(0.1), "0.1");
  EXPECT_EQ(format(100), "100");
  EXPECT_EQ(format(1e20), "100000000000000000000");
  EXPECT_EQ(format(1e21), "1e+21");
  EXPECT_EQ(format(1.5e-7), "1.5e-7");
  EXPECT_EQ(format(0.000001), "0.000001");
  EXPECT_EQ(format(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(format(3574530600399617536.0), "3574530600399617500");  // Shortest digits, padded.
  EXPECT_EQ(format(-0.00123), "-0.00123");
  EXPECT_EQ(format(123.456), "123.456");
}

TEST(ResultFormatTest, Rfc3339NanoTrimsZerosAndHandlesPreEpoch) {
  EXPECT_EQ(FormatRfc3339Nano(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339Nano(1'000), "1970-01-01T00:00:00.000001Z");
  EXPECT_EQ(FormatRfc3339Nano(-1), "1969-12-31T23:59:59.999999999Z");
}

TEST(ResultFormatTest, CsvAsInfluxDb) {
  EXPECT_EQ(FormatCsv(OneSeries(), {}),
            "name,tags,time,value,label\n"
            "cpu,\"host=a\\,b,region=eu\",1577836800000000000,1.5,x\n"
            "cpu,\"host=a\\,b,region=eu\",1577836800500000000,,\"y\"\"z\"\n");
}

TEST(ResultFormatTest, ChunksSplitSeriesAndMarkPartial) {
  std::vector<std::string> chunks = FormatJsonChunks(OneSeries(), {}, 1);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_NE(chunks[0].find("\"partial\":true}],\"partial\":true}"), std::string::npos) << chunks[0];
  EXPECT_EQ(chunks[1].find("partial"), std::string::npos) << chunks[1];
}

}  // namespace
}  // namespace edgetsdb::query
