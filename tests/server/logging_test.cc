#include "server/logging.h"

#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgetsdb::server {
namespace {

const absl::Time kTime = absl::FromUnixMillis(1'700'000'000'123);

TEST(LoggingTest, LogfmtLine) {
  EXPECT_EQ(FormatLogLine(kTime, LogLevel::kInfo, "listening",
                          {{"http_addr", "127.0.0.1:8086"}, {"tls", false}, {"threads", 4}}),
            "ts=2023-11-14T22:13:20.123Z level=info msg=\"listening\" http_addr=127.0.0.1:8086 "
            "tls=false threads=4\n");
}

TEST(LoggingTest, ValuesAreQuotedAndEscapedWhenNeeded) {
  EXPECT_EQ(FormatLogLine(kTime, LogLevel::kError, "write \"failed\"",
                          {{"error", "disk full: a=b"},
                           {"empty", ""},
                           {"path", "C:\\x"},
                           {"lines", "one\ntwo\t\x01"}}),
            "ts=2023-11-14T22:13:20.123Z level=error msg=\"write \\\"failed\\\"\" "
            "error=\"disk full: a=b\" empty=\"\" path=C:\\x lines=\"one\\ntwo\\t\\x01\"\n");
}

TEST(LoggingTest, LevelsFilter) {
  std::ostringstream out;
  Logger logger(out, LogLevel::kWarn);
  EXPECT_FALSE(logger.Enabled(LogLevel::kInfo));
  EXPECT_TRUE(logger.Enabled(LogLevel::kError));
  logger.Debug("d");
  logger.Info("i");
  logger.Warn("w", {{"k", 1}});
  logger.Error("e");
  const std::string text = out.str();
  EXPECT_THAT(text, ::testing::Not(::testing::HasSubstr("msg=\"d\"")));
  EXPECT_THAT(text, ::testing::Not(::testing::HasSubstr("msg=\"i\"")));
  EXPECT_THAT(text, ::testing::HasSubstr("level=warn msg=\"w\" k=1\n"));
  EXPECT_THAT(text, ::testing::HasSubstr("level=error msg=\"e\"\n"));
}

TEST(LoggingTest, ParseLogLevel) {
  EXPECT_EQ(*ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(*ParseLogLevel("info"), LogLevel::kInfo);
  EXPECT_EQ(*ParseLogLevel("warn"), LogLevel::kWarn);
  EXPECT_EQ(*ParseLogLevel("warning"), LogLevel::kWarn);
  EXPECT_EQ(*ParseLogLevel("error"), LogLevel::kError);
  EXPECT_FALSE(ParseLogLevel("INFO").ok());
  EXPECT_FALSE(ParseLogLevel("").ok());
}

}  // namespace
}  // namespace edgetsdb::server
