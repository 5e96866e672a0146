// Levelled, structured logs for the server: one logfmt line per event, written whole to one
// stream (stderr in `edgetsdb serve`), so that the lines of concurrent threads never interleave
// and tools (and tests) can read fields by name:
//
//   ts=2026-01-02T03:04:05.678Z level=info msg="listening" http_addr=127.0.0.1:8086 tls=false
//
// msg is always quoted; other values only when they hold a space, '=', '"', a control byte or
// nothing at all. Inside quotes, '"' and '\' are escaped and control bytes written as \n, \t or
// \xHH, so a line never breaks.
//
// Threads: a Logger is safe to use from any number of threads.
#ifndef EDGETSDB_SERVER_LOGGING_H_
#define EDGETSDB_SERVER_LOGGING_H_

#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace edgetsdb::server {

enum class LogLevel : uint8_t { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// "debug", "info", "warn" (or "warning"), "error"; InvalidArgument otherwise.
absl::StatusOr<LogLevel> ParseLogLevel(std::string_view text);
std::string_view LogLevelName(LogLevel level);

// A key and its value, already text. Numbers and other absl::StrCat-able values convert.
struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v) {}
  LogField(std::string_view k, bool v) : key(k), value(v ? "true" : "false") {}
  template <typename T>
  LogField(std::string_view k, T v) : key(k), value(absl::StrCat(v)) {}

  std::string_view key;
  std::string value;
};

// One log line, with its '\n'. Exposed for tests.
std::string FormatLogLine(absl::Time time, LogLevel level, std::string_view msg,
                          std::initializer_list<LogField> fields);

class Logger {
 public:
  // Writes lines at min_level and above to out, which must outlive the Logger.
  Logger(std::ostream& out, LogLevel min_level) : out_(out), min_level_(min_level) {}

  bool Enabled(LogLevel level) const { return level >= min_level_; }

  void Log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields = {});
  void Debug(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kDebug, msg, fields);
  }
  void Info(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kInfo, msg, fields);
  }
  void Warn(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kWarn, msg, fields);
  }
  void Error(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kError, msg, fields);
  }

 private:
  std::ostream& out_;
  const LogLevel min_level_;
  std::mutex mu_;  // One whole line per write.
};

}  // namespace edgetsdb::server

#endif  // EDGETSDB_SERVER_LOGGING_H_
