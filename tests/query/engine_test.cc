// The query engine against answers recorded from InfluxDB 1.6.7 for the same data and queries
// (the differential test, influxql_differential_test, compares with a live InfluxDB).
#include "query/engine.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "db/line_protocol.h"
#include "query/result_format.h"
#include "tests/support/fault_injection_env.h"

namespace edgetsdb::query {
namespace {

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options options;
    options.env = &env_;  // In memory: these tests are about answers, not files.
    auto db = Db::Open(options, "/engine-test");
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    Write(
        "cpu,host=a v=1,i=2i 1000000000000\n"
        "cpu,host=b v=3,i=5i 1000000000000\n"
        "cpu,host=a v=2,i=3i 2000000000000\n"
        "cpu,host=b,dc=x v=4 3000000000000\n"
        "mem,host=a free=10i 1500000000000\n");
    engine_ = std::make_unique<QueryEngine>(db_.get(), QueryLimits());
  }

  void Write(std::string_view lines) {
    WriteBatch batch;
    ParseResult parsed = ParseLineProtocol(lines, Precision::kNanoseconds, 0, &batch);
    ASSERT_EQ(parsed.error_count, 0u);
    ASSERT_TRUE(db_->Write("t", batch).ok());
  }

  std::string Run(std::string_view text, int64_t now_ns = 86'400'000'000'000) {
    QueryRequest request;
    request.text = text;
    request.database = "t";
    request.now_ns = now_ns;
    auto results = engine_->Execute(request);
    if (!results.ok()) return "parse error: " + std::string(results.status().message());
    std::string json = FormatJson(*results, {});
    json.pop_back();  // The newline.
    return json;
  }

  testing::FaultInjectionEnv env_;
  std::unique_ptr<Db> db_;
  std::unique_ptr<QueryEngine> engine_;
};

TEST_F(EngineTest, RawWildcardIncludesTagsAsColumns) {
  EXPECT_EQ(
      Run("SELECT * FROM cpu"),
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","dc","host","i","v"],"values":[["1970-01-01T00:16:40Z",null,"a",2,1],["1970-01-01T00:16:40Z",null,"b",5,3],["1970-01-01T00:33:20Z",null,"a",3,2],["1970-01-01T00:50:00Z","x","b",null,4]]}]}]})");
}

TEST_F(EngineTest, AggregatesWithoutTimeGroupingReportTheRangeStart) {
  EXPECT_EQ(
      Run("SELECT mean(v), max(v) FROM cpu"),
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","mean","max"],"values":[["1970-01-01T00:00:00Z",2.5,4]]}]}]})");
  EXPECT_EQ(
      Run("SELECT mean(v) FROM cpu WHERE time >= 1200s AND time < 3600s"),
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","mean"],"values":[["1970-01-01T00:20:00Z",3]]}]}]})");
}

TEST_F(EngineTest, LoneSelectorReportsItsPointsTime) {
  EXPECT_EQ(
      Run("SELECT max(v) FROM cpu"),
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","max"],"values":[["1970-01-01T00:50:00Z",4]]}]}]})");
  // Two series with a point at the same first time: the series first in key order wins
  // (InfluxDB 1.6's pick depends on its merge order, docs/influxql.md).
  EXPECT_EQ(
      Run("SELECT first(v) FROM cpu"),
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","first"],"values":[["1970-01-01T00:16:40Z",1]]}]}]})");
}

TEST_F(EngineTest, GroupByTimeFillsAndCountsEmptyWindowsAsZero) {
  EXPECT_EQ(
      Run("SELECT count(v) FROM cpu WHERE time >= 0 AND time < 3600s GROUP BY time(10m)"),
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","count"],"values":[["1970-01-01T00:00:00Z",0],["1970-01-01T00:10:00Z",2],["1970-01-01T00:20:00Z",0],["1970-01-01T00:30:00Z",1],["1970-01-01T00:40:00Z",0],["1970-01-01T00:50:00Z",1]]}]}]})");
  EXPECT_EQ(
      Run("SELECT count(v), mean(v) FROM cpu WHERE time >= 0 AND time < 3600s GROUP BY "
          "time(10m) fill(none)"),
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","count","mean"],"values":[["1970-01-01T00:10:00Z",2,2],["1970-01-01T00:30:00Z",1,2],["1970-01-01T00:50:00Z",1,4]]}]}]})");
  EXPECT_EQ(
      Run("SELECT sum(i) FROM cpu WHERE time >= 0 AND time < 3600s GROUP BY time(10m) "
          "fill(linear)"),
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","sum"],"values":[["1970-01-01T00:00:00Z",null],["1970-01-01T00:10:00Z",7],["1970-01-01T00:20:00Z",5],["1970-01-01T00:30:00Z",3],["1970-01-01T00:40:00Z",null],["1970-01-01T00:50:00Z",null]]}]}]})");
  EXPECT_EQ(
      Run("SELECT mean(v) FROM cpu WHERE time >= 1200s AND time < 3600s GROUP BY time(1h)"),
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","mean"],"values":[["1970-01-01T00:00:00Z",3]]}]}]})");
}

TEST_F(EngineTest, LinearFillTruncatesIntegersAsInfluxDb) {
  EXPECT_EQ(
      Run("SELECT count(v) FROM cpu WHERE time >= 0 AND time < 3600s GROUP BY time(10m) "
          "fill(linear)"),
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","count"],"values":[["1970-01-01T00:00:00Z",null],["1970-01-01T00:10:00Z",2],["1970-01-01T00:20:00Z",1],["1970-01-01T00:30:00Z",1],["1970-01-01T00:40:00Z",1],["1970-01-01T00:50:00Z",1]]}]}]})");
}

TEST_F(EngineTest, DerivativeOfAggregatesDefaultsToTheIntervalAsUnit) {
  EXPECT_EQ(
      Run("SELECT derivative(mean(v)) FROM cpu WHERE time >= 0 AND time < 3600s GROUP BY "
          "time(10m)"),
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","derivative"],"values":[["1970-01-01T00:30:00Z",0],["1970-01-01T00:50:00Z",1]]}]}]})");
}

TEST_F(EngineTest, ArithmeticDividesIntegersAsFloats) {
  EXPECT_EQ(
      Run("SELECT v / 2, i / 2, i + 1 FROM cpu"),
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v","i","i_1"],"values":[["1970-01-01T00:16:40Z",0.5,1,3],["1970-01-01T00:16:40Z",1.5,2.5,6],["1970-01-01T00:33:20Z",1,1.5,4],["1970-01-01T00:50:00Z",2,null,null]]}]}]})");
}

TEST_F(EngineTest, GroupByTagAndWildcardAggregates) {
  EXPECT_EQ(
      Run("SELECT v FROM cpu GROUP BY host"),
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"host":"a"},"columns":["time","v"],"values":[["1970-01-01T00:16:40Z",1],["1970-01-01T00:33:20Z",2]]},{"name":"cpu","tags":{"host":"b"},"columns":["time","v"],"values":[["1970-01-01T00:16:40Z",3],["1970-01-01T00:50:00Z",4]]}]}]})");
  EXPECT_EQ(
      Run("SELECT mean(*) FROM cpu"),
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","mean_i","mean_v"],"values":[["1970-01-01T00:00:00Z",3.3333333333333335,2.5]]}]}]})");
}

TEST_F(EngineTest, SeveralMeasurements) {
  EXPECT_EQ(
      Run("SELECT v FROM cpu,mem"),
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[["1970-01-01T00:16:40Z",1],["1970-01-01T00:16:40Z",3],["1970-01-01T00:33:20Z",2],["1970-01-01T00:50:00Z",4]]}]}]})");
  EXPECT_EQ(
      Run("SELECT * FROM /.*/"),
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","dc","free","host","i","v"],"values":[["1970-01-01T00:16:40Z",null,null,"a",2,1],["1970-01-01T00:16:40Z",null,null,"b",5,3],["1970-01-01T00:33:20Z",null,null,"a",3,2],["1970-01-01T00:50:00Z","x",null,"b",null,4]]},{"name":"mem","columns":["time","dc","free","host","i","v"],"values":[["1970-01-01T00:25:00Z",null,10,"a",null,null]]}]}]})");
}

TEST_F(EngineTest, ShowStatements) {
  EXPECT_EQ(
      Run("SHOW SERIES"),
      R"({"results":[{"statement_id":0,"series":[{"columns":["key"],"values":[["cpu,dc=x,host=b"],["cpu,host=a"],["cpu,host=b"],["mem,host=a"]]}]}]})");
  EXPECT_EQ(
      Run("SHOW MEASUREMENTS; SHOW TAG VALUES WITH KEY = host WHERE dc = 'x'"),
      R"({"results":[{"statement_id":0,"series":[{"name":"measurements","columns":["name"],"values":[["cpu"],["mem"]]}]},{"statement_id":1,"series":[{"name":"cpu","columns":["key","value"],"values":[["host","b"]]}]}]})");
  EXPECT_EQ(
      Run("SHOW FIELD KEYS FROM cpu"),
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["fieldKey","fieldType"],"values":[["i","integer"],["v","float"]]}]}]})");
}

TEST_F(EngineTest, AFailedStatementStopsTheQuery) {
  // As InfluxDB 1.x: the statements after a failed one are not run.
  EXPECT_EQ(
      Run("SHOW DATABASES; SELECT mean(v), v FROM cpu; SHOW DATABASES"),
      R"({"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["t"]]}]},{"statement_id":1,"error":"mixing aggregate and non-aggregate queries is not supported"}]})");
  EXPECT_EQ(Run("SELECT v FROM nodb..cpu"),
            R"({"results":[{"statement_id":0,"error":"database not found: nodb"}]})");
}

TEST_F(EngineTest, UnsupportedTimeZonesAreRefusedNotIgnored) {
  EXPECT_EQ(
      Run("SELECT count(v) FROM cpu GROUP BY time(1d) tz('Europe/Paris')"),
      R"({"results":[{"statement_id":0,"error":"tz() is not supported: times are answered in UTC"}]})");
}

TEST_F(EngineTest, TooManyWindowsIsRefused) {
  std::string out = Run("SELECT count(v) FROM cpu WHERE time >= 0 GROUP BY time(1ns)");
  EXPECT_NE(out.find("max-select-buckets limit exceeded"), std::string::npos) << out;
}

}  // namespace
}  // namespace edgetsdb::query
