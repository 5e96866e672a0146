#include "bench/csv_table.h"

#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace edgetsdb::bench {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t k2020 = 1'577'836'800 * kSecond;  // 2020-01-01T00:00:00Z

struct ExpectedColumn {
  std::string name;
  std::vector<double> values;
  size_t missing = 0;
};

struct ExpectedTimestamps {
  std::string name;
  std::vector<int64_t> nanos;
};

// One file's text and everything ParseTable should make of it. `name` is the test's name.
struct ParseCase {
  std::string name;
  std::string text;
  size_t rows = 0;
  std::vector<ExpectedColumn> numeric = {};
  std::vector<std::string> text_columns = {};
  std::vector<std::string> empty_columns = {};
  std::optional<ExpectedTimestamps> timestamps = std::nullopt;
  size_t skipped_lines = 0;
};

void PrintTo(const ParseCase& c, std::ostream* os) { *os << c.name; }

class ParseTableTest : public testing::TestWithParam<ParseCase> {};

TEST_P(ParseTableTest, YieldsExpectedTable) {
  const ParseCase& want = GetParam();
  const Table got = ParseTable(want.text);
  EXPECT_EQ(got.rows, want.rows);
  EXPECT_EQ(got.skipped_lines, want.skipped_lines);
  EXPECT_EQ(got.text_columns, want.text_columns);
  EXPECT_EQ(got.empty_columns, want.empty_columns);
  ASSERT_EQ(got.numeric_columns.size(), want.numeric.size());
  for (size_t c = 0; c < want.numeric.size(); ++c) {
    const NumericColumn& column = got.numeric_columns[c];
    EXPECT_EQ(column.name, want.numeric[c].name);
    EXPECT_EQ(column.missing, want.numeric[c].missing) << column.name;
    ASSERT_EQ(column.values.size(), want.numeric[c].values.size()) << column.name;
    for (size_t i = 0; i < column.values.size(); ++i) {
      // Bits, not values: a NaN cell must come back as a NaN and "-0" as -0.0.
      EXPECT_EQ(std::bit_cast<uint64_t>(column.values[i]),
                std::bit_cast<uint64_t>(want.numeric[c].values[i]))
          << column.name << "[" << i << "]: " << column.values[i] << " vs "
          << want.numeric[c].values[i];
    }
  }
  ASSERT_EQ(got.timestamps.has_value(), want.timestamps.has_value());
  if (want.timestamps) {
    EXPECT_EQ(got.timestamps->name, want.timestamps->name);
    EXPECT_EQ(got.timestamps->nanos, want.timestamps->nanos);
  }
}

std::string CaseName(const testing::TestParamInfo<ParseCase>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(
    Layout, ParseTableTest,
    testing::ValuesIn(std::vector<ParseCase>{
        {.name = "HeaderLineNamesTheColumns",
         .text = "a,b\n1,2\n3,4\n",
         .rows = 2,
         .numeric = {{"a", {1, 3}}, {"b", {2, 4}}}},
        {.name = "FirstLineOfNumbersIsDataAndColumnsAreNumbered",
         .text = "1,2\n3,4\n",
         .rows = 2,
         .numeric = {{"col1", {1, 3}}, {"col2", {2, 4}}}},
        {.name = "SingleColumnWithoutHeaderIsNamedValue",
         .text = "1.5\n-2\n+3\n1e3\n",
         .rows = 4,
         .numeric = {{"value", {1.5, -2, 3, 1000}}}},
        {.name = "SingleColumnWithHeader",
         .text = "temp\n20.5\n21\n",
         .rows = 2,
         .numeric = {{"temp", {20.5, 21}}}},
        {.name = "SingleColumnSkipsAndCountsLinesThatAreNotNumbers",
         .text = "1\nabc\n2\n\n   \n3\n",
         .rows = 4,
         .numeric = {{"value", {1, 2, 3}}},
         .skipped_lines = 1},
        {.name = "NanAndNegativeZeroAreValuesNotMissing",
         .text = "v\nnan\n-0\n",
         .rows = 2,
         .numeric = {{"v", {std::nan(""), -0.0}}}},
        {.name = "QuotedFieldsMayHoldTheDelimiter",
         .text = "\"a,b\",name,v\n\"1\",\"Smith, J\",2\n\"3\",\"Doe, \"\"A\"\"\",4\n",
         .rows = 2,
         .numeric = {{"a,b", {1, 3}}, {"v", {2, 4}}},
         .text_columns = {"name"}},
        {.name = "SemicolonDelimiter",
         .text = "a;b\n1;2\n3;4\n",
         .rows = 2,
         .numeric = {{"a", {1, 3}}, {"b", {2, 4}}}},
        {.name = "TabDelimiter",
         .text = "a\tb\n1\t2\n3\t4\n",
         .rows = 2,
         .numeric = {{"a", {1, 3}}, {"b", {2, 4}}}},
        {.name = "MostFrequentCandidateInFirstLineIsTheDelimiter",
         .text = "a;b;c,d\n1;2;3\n",
         .rows = 1,
         .numeric = {{"a", {1}}, {"b", {2}}, {"c,d", {3}}}},
        {.name = "SpacesAroundFieldsAreTrimmed",
         .text = " a , b \n 1 ,\t2 \n",
         .rows = 1,
         .numeric = {{"a", {1}}, {"b", {2}}}},
        {.name = "CrlfLineEndings",
         .text = "a,b\r\n1,2\r\n3,4\r\n",
         .rows = 2,
         .numeric = {{"a", {1, 3}}, {"b", {2, 4}}}},
        {.name = "ByteOrderMarkIsNotPartOfTheFirstName",
         .text = "\xEF\xBB\xBF"
                 "a,b\n1,2\n",
         .rows = 1,
         .numeric = {{"a", {1}}, {"b", {2}}}},
        {.name = "TextColumnsAreSkipped",
         .text = "id,station,temp\n1,Dongsi,2.5\n2,Tiantan,3.5\n",
         .rows = 2,
         .numeric = {{"id", {1, 2}}, {"temp", {2.5, 3.5}}},
         .text_columns = {"station"}},
        {.name = "OneTextCellMakesTheColumnText",
         .text = "a,b\n1,2\nx,3\n",
         .rows = 2,
         .numeric = {{"b", {2, 3}}},
         .text_columns = {"a"}},
        // R's write.csv: the header has no name for the row-name column.
        {.name = "UnnamedRowNameColumnIsNamedRow",
         .text = "\"x\",\"y\"\n\"1\",10,20\n\"2\",30,40\n",
         .rows = 2,
         .numeric = {{"row", {1, 2}}, {"x", {10, 30}}, {"y", {20, 40}}}},
        {.name = "TrailingDelimiterAddsAnEmptyColumn",
         .text = "a,b,\n1,2,\n",
         .rows = 1,
         .numeric = {{"a", {1}}, {"b", {2}}},
         .empty_columns = {"col3"}},
        {.name = "BlankTextIsAnEmptyTable", .text = "\n \r\n\n"},
    }),
    CaseName);

INSTANTIATE_TEST_SUITE_P(MissingCells, ParseTableTest,
                         testing::ValuesIn(std::vector<ParseCase>{
                             {.name = "NaNullAndEmptyCellsAreSkippedAndCounted",
                              .text = "a,b,c\n1,NA,\n2,null,5\nN/A,n/a,6\n,NULL,7\n",
                              .rows = 4,
                              .numeric = {{"a", {1, 2}, 2}, {"c", {5, 6, 7}, 1}},
                              .empty_columns = {"b"}},
                             {.name = "ShortRowsMissTheirLastCells",
                              .text = "a,b,c\n1,2,3\n4\n5,6\n",
                              .rows = 3,
                              .numeric = {{"a", {1, 4, 5}}, {"b", {2, 6}, 1}, {"c", {3}, 2}}},
                             {.name = "MissingCellsInFirstLineDoNotMakeItAHeader",
                              .text = "1,NA\n2,3\n",
                              .rows = 2,
                              .numeric = {{"col1", {1, 2}}, {"col2", {3}, 1}}},
                             {.name = "SingleColumnMissingLinesAreNotSkippedLines",
                              .text = "v\n1\nNA\n2\n",
                              .rows = 3,
                              .numeric = {{"v", {1, 2}, 1}}},
                         }),
                         CaseName);

INSTANTIATE_TEST_SUITE_P(
    Timestamps, ParseTableTest,
    testing::ValuesIn(std::vector<ParseCase>{
        // The UCI Beijing air-quality layout.
        {.name = "YearMonthDayHourColumnsCombine",
         .text = "No,year,month,day,hour,TEMP,wd\n"
                 "1,2020,1,1,0,-0.7,NNW\n"
                 "2,2020,1,1,1,-1.1,N\n"
                 "3,2020,1,2,23,NA,NA\n",
         .rows = 3,
         .numeric = {{"No", {1, 2, 3}}, {"TEMP", {-0.7, -1.1}, 1}},
         .text_columns = {"wd"},
         .timestamps = ExpectedTimestamps{"year+month+day+hour",
                                          {k2020, k2020 + kHour, k2020 + kDay + 23 * kHour}}},
        {.name = "RowsWithAMissingDatePartHaveNoTimestamp",
         .text = "year,month,day,hour,v\n2020,1,1,0,1\n2020,1,1,NA,2\n2020,1,1,2,3\n",
         .rows = 3,
         .numeric = {{"v", {1, 2, 3}}},
         .timestamps = ExpectedTimestamps{"year+month+day+hour", {k2020, k2020 + 2 * kHour}}},
        {.name = "ImpossibleDatePartsStayNumericColumns",
         .text = "year,month,day,v\n2015,2,30,1\n",
         .rows = 1,
         .numeric = {{"year", {2015}}, {"month", {2}}, {"day", {30}}, {"v", {1}}}},
        // The UCI occupancy layout.
        {.name = "IsoDateTimeColumn",
         .text = "\"date\",\"Temperature\"\n"
                 "\"2015-02-04 17:51:00\",23.18\n"
                 "\"2015-02-04 17:51:59\",23.15\n",
         .rows = 2,
         .numeric = {{"Temperature", {23.18, 23.15}}},
         .timestamps = ExpectedTimestamps{"date",
                                          {1'423'072'260 * kSecond, 1'423'072'319 * kSecond}}},
        {.name = "IsoDateTimeVariants",
         .text = "time,v\n"
                 "2020-01-01T00:00:00.5Z,1\n"
                 "2020-01-01T01:00:00+01:00,2\n"
                 "2020-01-01 02:00+02,3\n"
                 "2020/01/01 00:01,4\n"
                 "2020-01-01t00:00:01.123456789999,5\n"
                 "2020-01-02,6\n",
         .rows = 6,
         .numeric = {{"v", {1, 2, 3, 4, 5, 6}}},
         .timestamps = ExpectedTimestamps{"time",
                                          {k2020 + kSecond / 2, k2020, k2020, k2020 + kMinute,
                                           k2020 + kSecond + 123'456'789, k2020 + kDay}}},
        {.name = "ImpossibleDateIsText",
         .text = "date,v\n2015-02-30,1\n",
         .rows = 1,
         .numeric = {{"v", {1}}},
         .text_columns = {"date"}},
        {.name = "EpochSecondsColumn",
         .text = "timestamp,v\n1577836800,1\n1577836860,2\n",
         .rows = 2,
         .numeric = {{"v", {1, 2}}},
         .timestamps = ExpectedTimestamps{"timestamp", {k2020, k2020 + kMinute}}},
        {.name = "EpochMillisecondsColumn",
         .text = "time,v\n1577836800000,1\n1577836800001,2\n",
         .rows = 2,
         .numeric = {{"v", {1, 2}}},
         .timestamps = ExpectedTimestamps{"time", {k2020, k2020 + 1'000'000}}},
        {.name = "EpochMicrosecondsColumn",
         .text = "time,v\n1577836800000000,1\n1577836800000001,2\n",
         .rows = 2,
         .numeric = {{"v", {1, 2}}},
         .timestamps = ExpectedTimestamps{"time", {k2020, k2020 + 1'000}}},
        {.name = "EpochNanosecondsColumnIsExact",
         .text = "time,v\n1577836800000000000,1\n1577836800000000001,2\n",
         .rows = 2,
         .numeric = {{"v", {1, 2}}},
         .timestamps = ExpectedTimestamps{"time", {k2020, k2020 + 1}}},
        {.name = "FractionalEpochMillisecondsKeepTheirNanoseconds",
         .text = "time,v\n1577836800000.5,1\n",
         .rows = 1,
         .numeric = {{"v", {1}}},
         .timestamps = ExpectedTimestamps{"time", {k2020 + 500'000}}},
        {.name = "NumbersInAColumnNotNamedForTimeAreValues",
         .text = "id,v\n1577836800,1\n",
         .rows = 1,
         .numeric = {{"id", {1577836800}}, {"v", {1}}}},
        {.name = "DateTimesInAnyColumnAreTimestamps",
         .text = "when,v\n2020-01-01 00:00,1\n",
         .rows = 1,
         .numeric = {{"v", {1}}},
         .timestamps = ExpectedTimestamps{"when", {k2020}}},
        {.name = "TimeNamedTextColumnIsText",
         .text = "time,v\nmorning,1\n",
         .rows = 1,
         .numeric = {{"v", {1}}},
         .text_columns = {"time"}},
        {.name = "HeaderlessSingleColumnOfDates",
         .text = "2020-01-01\n2020-01-02\n",
         .rows = 2,
         .timestamps = ExpectedTimestamps{"value", {k2020, k2020 + kDay}}},
    }),
    CaseName);

TEST(IsDataFileNameTest, AcceptsDataExtensionsInAnyCaseAndNoExtension) {
  for (const char* name : {"City-temp.csv", "TEMP.CSV", "datatest.txt", "values.tsv", "values.dat",
                           "values", "dir/sub/values.csv"}) {
    EXPECT_TRUE(IsDataFileName(name)) << name;
  }
}

TEST(IsDataFileNameTest, RejectsDocumentsOtherExtensionsAndHiddenFiles) {
  for (const char* name :
       {"README.md", "README", "readme.txt", "LICENSE", "LICENSE.upstream-repo.md", "PROVENANCE.md",
        "CMakeLists.txt", "notes.md", "values.json", "values.csv.gz", ".hidden.csv"}) {
    EXPECT_FALSE(IsDataFileName(name)) << name;
  }
}

// A fresh folder per test and process: the release and sanitizer builds may run at once.
class TempDirTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) /
           ("csv_table_test_" +
            std::string(testing::UnitTest::GetInstance()->current_test_info()->name()) + "_" +
            std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path Write(const fs::path& relative, const std::string& contents) {
    const fs::path path = dir_ / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }

  fs::path dir_;
};

using ListDataFilesTest = TempDirTest;

TEST_F(ListDataFilesTest, WalksFoldersRecursivelyInSortedOrderKeepingDataFiles) {
  Write("b.csv", "1\n");
  Write("a.txt", "1\n");
  Write("sub/c.dat", "1\n");
  Write("README.md", "");
  Write("notes.md", "");
  Write(".git/x.csv", "1\n");
  Write("sub/.hidden.csv", "1\n");
  const DataFiles got = ListDataFiles({dir_.string()});
  EXPECT_EQ(got.files, (std::vector<fs::path>{dir_ / "a.txt", dir_ / "b.csv", dir_ / "sub/c.dat"}));
  EXPECT_TRUE(got.problems.empty());
}

TEST_F(ListDataFilesTest, KeepsTheOrderOfThePathsGiven) {
  Write("b.csv", "1\n");
  Write("sub/c.dat", "1\n");
  const DataFiles got = ListDataFiles({(dir_ / "sub").string(), (dir_ / "b.csv").string()});
  EXPECT_EQ(got.files, (std::vector<fs::path>{dir_ / "sub/c.dat", dir_ / "b.csv"}));
}

TEST_F(ListDataFilesTest, ReportsMissingPathsAndFilesThatAreNotData) {
  const std::string readme = Write("README.md", "").string();
  const std::string data = Write("b.csv", "1\n").string();
  const std::string missing = (dir_ / "missing.csv").string();
  const DataFiles got = ListDataFiles({readme, missing, data});
  EXPECT_EQ(got.files, (std::vector<fs::path>{data}));
  ASSERT_EQ(got.problems.size(), 2u);
  EXPECT_EQ(got.problems[0].kind, PathProblem::Kind::kNotDataFile);
  EXPECT_EQ(got.problems[0].path, readme);
  EXPECT_EQ(got.problems[1].kind, PathProblem::Kind::kInaccessible);
  EXPECT_EQ(got.problems[1].path, missing);
  EXPECT_FALSE(got.problems[1].detail.empty());
}

using ReadTableTest = TempDirTest;

TEST_F(ReadTableTest, ReadsAndParsesAFile) {
  const fs::path path = Write("t.csv", "time,v\r\n2020-01-01,1.5\r\n2020-01-02,NA\r\n");
  const absl::StatusOr<Table> table = ReadTable(path);
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->rows, 2u);
  ASSERT_EQ(table->numeric_columns.size(), 1u);
  EXPECT_EQ(table->numeric_columns[0].values, std::vector<double>{1.5});
  ASSERT_TRUE(table->timestamps.has_value());
  EXPECT_EQ(table->timestamps->nanos, (std::vector<int64_t>{k2020, k2020 + kDay}));
}

TEST_F(ReadTableTest, MissingFileIsNotFound) {
  EXPECT_EQ(ReadTable(dir_ / "missing.csv").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReadFile(dir_ / "missing.csv").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ReadTableTest, ReadFileReturnsTheBytesUnchanged) {
  const std::string bytes("a\0b\r\n\xEF\xBB\xBF", 8);
  const absl::StatusOr<std::string> got = ReadFile(Write("bytes.dat", bytes));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, bytes);
}

}  // namespace
}  // namespace edgetsdb::bench
