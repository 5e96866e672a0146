// compression_report: bits per value and single-core speed of every float codec, and of the
// timestamp codec, on real data files, cut into chunks the way the storage engine cuts them.
//
//   compression_report [--csv] [--chunk-size N] [--min-time-ms N] PATH...
//
// PATHs are files or folders (walked recursively, in sorted order). A data file is CSV or text:
// one value per line, or delimited columns with an optional header line. Every numeric column is
// encoded with each float codec; a time column (time/timestamp/date/datetime, or year/month/day/
// hour[/minute/second] parts) is encoded with the timestamp codec. Every decode is checked to
// round-trip bit-exactly; a failure is printed on stderr and makes the exit status 1.
//
// Exit status: 0 all good, 1 a round-trip failure or an unreadable file, 2 bad usage or path.

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/types/span.h"
#include "compression/codec.h"
#include "compression/float_codec.h"
#include "compression/timestamp_codec.h"

namespace edgetsdb::bench {
namespace {

namespace fs = std::filesystem;
using compression::Codec;
using Clock = std::chrono::steady_clock;

constexpr char kUsage[] =
    R"(Usage: compression_report [--csv] [--chunk-size N] [--min-time-ms N] PATH...

Reports how well each float codec compresses the numeric columns of data files, and how fast it
encodes and decodes them on one core.

PATH is a file or a folder; folders are walked recursively in sorted order and only files ending
in .csv, .txt, .tsv or .dat, or without extension, are read (README, LICENSE, PROVENANCE and
similar are skipped). A file holds one value per line, or columns separated by commas, tabs or
semicolons (taken from the first line), with or without a header line. A column is numeric when
every non-missing cell is a number; NA, N/A, null and empty cells are missing and skipped. In a
single-column file, lines that are not numbers (blank lines, for example) are skipped.

A column named time, timestamp, date or datetime holding YYYY-MM-DD[ T]HH:MM[:SS[.frac]][Z|+HH:MM]
or epoch numbers (s, ms, us or ns, by magnitude), or year/month/day[/hour/minute/second] columns,
become one timestamp series (UTC nanoseconds) encoded with the timestamp codec instead.

Values are cut into chunks of --chunk-size values (default 1024, at most 65536) and each chunk is
encoded separately, as the storage engine does. Codecs: gorilla, chimp128, decimal, and auto (the
codec EncodeFloatsAuto picks per chunk). Bits per value = encoded bytes * 8 / values. Speeds are
values per second on one core: the median of 3 runs, each repeating the pass for at least
--min-time-ms milliseconds (default 20). Every decode is checked to round-trip bit-exactly.

Options:
  --csv             print one CSV row per file, column and codec instead of tables:
                    file,column,count,codec,bits_per_value,encode_values_per_s,decode_values_per_s
                    (decode_values_per_s is empty when decoding failed)
  --chunk-size N    values per chunk (default 1024)
  --min-time-ms N   minimum duration of one timing run (default 20)
  --help            this text

Exit status: 0 all good; 1 a decode did not round-trip or a file could not be read;
2 bad usage or a path that does not exist.
)";

constexpr std::string_view kProgram = "compression_report";

struct Options {
  bool csv = false;
  size_t chunk_size = 1024;
  std::chrono::nanoseconds min_time = std::chrono::milliseconds(20);
  std::vector<std::string> paths;
};

// ---------------------------------------------------------------------------------------------
// Cells.

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// absl::EqualsIgnoreCase would do, but Debian's Abseil has its own string_view type that a
// std::string_view does not convert to.
bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (absl::ascii_tolower(a[i]) != absl::ascii_tolower(b[i])) return false;
  }
  return true;
}

// Cells that stand for "no measurement". A literal "nan" is not among them: it parses as a NaN
// value, which the codecs must carry bit-exactly like any other.
bool IsMissing(std::string_view cell) {
  return cell.empty() || EqualsIgnoreCase(cell, "NA") || EqualsIgnoreCase(cell, "N/A") ||
         EqualsIgnoreCase(cell, "null");
}

// std::from_chars is exact (correctly rounded) and locale-free, unlike strtod under some locales.
// It rejects a leading '+', which data files do contain, so that is skipped here.
std::optional<double> ParseDouble(std::string_view cell) {
  if (cell.size() > 1 && cell[0] == '+' && cell[1] != '-') cell.remove_prefix(1);
  double value = 0;
  const char* end = cell.data() + cell.size();
  auto [ptr, ec] = std::from_chars(cell.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::optional<int64_t> ParseInt64(std::string_view cell) {
  if (cell.size() > 1 && cell[0] == '+' && cell[1] != '-') cell.remove_prefix(1);
  int64_t value = 0;
  const char* end = cell.data() + cell.size();
  auto [ptr, ec] = std::from_chars(cell.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// Seconds since 1970-01-01T00:00:00 UTC to nanoseconds, or nullopt outside int64 nanoseconds
// (years 1678..2261).
std::optional<int64_t> SecondsToNanos(int64_t seconds, int64_t nanos) {
  int64_t result = 0;
  if (__builtin_mul_overflow(seconds, int64_t{1'000'000'000}, &result) ||
      __builtin_add_overflow(result, nanos, &result)) {
    return std::nullopt;
  }
  return result;
}

// Civil time fields to seconds since the epoch, or nullopt when a field is out of range (a
// CivilSecond normalizes 2015-02-30 to March 2nd; such a date is an error here, not a time).
std::optional<int64_t> CivilToSeconds(int64_t year, int month, int day, int hour, int minute,
                                      int second) {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 ||
      hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) {
    return std::nullopt;
  }
  const absl::CivilDay civil_day(year, month, day);
  if (civil_day.month() != month || civil_day.day() != day) return std::nullopt;
  // A leap second (:60) normalizes to the next minute, which is what a UTC clock reads next.
  const absl::CivilSecond civil(year, month, day, hour, minute, second);
  return civil - absl::CivilSecond(1970, 1, 1, 0, 0, 0);
}

// Reads exactly `min_digits`..`max_digits` decimal digits at *pos.
bool ReadDigits(std::string_view s, size_t* pos, size_t min_digits, size_t max_digits,
                int64_t* value) {
  size_t n = 0;
  int64_t v = 0;
  while (*pos + n < s.size() && n < max_digits && absl::ascii_isdigit(s[*pos + n])) {
    v = v * 10 + (s[*pos + n] - '0');
    ++n;
  }
  if (n < min_digits) return false;
  *pos += n;
  *value = v;
  return true;
}

// Parses ISO-like date-times: YYYY-MM-DD, optionally followed by 'T' or ' ' and HH:MM[:SS[.frac]],
// optionally followed by 'Z' or a UTC offset (+HH:MM, +HHMM, +HH). '/' may replace '-' in the
// date. Returns nanoseconds since the epoch (UTC).
std::optional<int64_t> ParseDateTimeNanos(std::string_view s) {
  // Every accepted form starts with four digits and a separator: a cheap test that rejects
  // numbers before any other work.
  if (s.size() < 8 || !absl::ascii_isdigit(s[0]) || (s[4] != '-' && s[4] != '/')) {
    return std::nullopt;
  }
  size_t pos = 0;
  int64_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, nanos = 0;
  if (!ReadDigits(s, &pos, 4, 4, &year)) return std::nullopt;
  const char date_sep = s[pos++];
  if (!ReadDigits(s, &pos, 1, 2, &month) || pos >= s.size() || s[pos++] != date_sep ||
      !ReadDigits(s, &pos, 1, 2, &day)) {
    return std::nullopt;
  }
  int64_t offset_seconds = 0;
  if (pos < s.size()) {
    const char t = s[pos++];
    if (t != 'T' && t != 't' && t != ' ') return std::nullopt;
    if (!ReadDigits(s, &pos, 1, 2, &hour) || pos >= s.size() || s[pos++] != ':' ||
        !ReadDigits(s, &pos, 2, 2, &minute)) {
      return std::nullopt;
    }
    if (pos < s.size() && s[pos] == ':') {
      ++pos;
      if (!ReadDigits(s, &pos, 2, 2, &second)) return std::nullopt;
      if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
        ++pos;
        // Nanosecond resolution: digits past the ninth are dropped, not rounded, so that a
        // timestamp never moves into the next second.
        size_t digits = 0;
        while (pos < s.size() && absl::ascii_isdigit(s[pos])) {
          if (digits < 9) nanos = nanos * 10 + (s[pos] - '0');
          ++digits;
          ++pos;
        }
        if (digits == 0) return std::nullopt;
        for (size_t i = digits; i < 9; ++i) nanos *= 10;
      }
    }
    if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
      ++pos;
    } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
      const int64_t sign = s[pos++] == '-' ? -1 : 1;
      int64_t offset_hours = 0, offset_minutes = 0;
      if (!ReadDigits(s, &pos, 2, 2, &offset_hours)) return std::nullopt;
      if (pos < s.size() && s[pos] == ':') ++pos;
      if (pos < s.size() && !ReadDigits(s, &pos, 2, 2, &offset_minutes)) return std::nullopt;
      if (offset_hours > 23 || offset_minutes > 59) return std::nullopt;
      offset_seconds = sign * (offset_hours * 3600 + offset_minutes * 60);
    }
    if (pos != s.size()) return std::nullopt;
  }
  const std::optional<int64_t> seconds =
      CivilToSeconds(year, static_cast<int>(month), static_cast<int>(day), static_cast<int>(hour),
                     static_cast<int>(minute), static_cast<int>(second));
  if (!seconds) return std::nullopt;
  return SecondsToNanos(*seconds - offset_seconds, nanos);
}

// ---------------------------------------------------------------------------------------------
// Files.

bool IsDataFileName(const fs::path& path) {
  const std::string name = path.filename().string();
  if (name.empty() || name[0] == '.') return false;
  // Repository documents: with or without extension, they are never data.
  const std::string upper = absl::AsciiStrToUpper(name);
  for (std::string_view doc : {"README", "LICENSE", "LICENCE", "COPYING", "PROVENANCE", "NOTICE",
                               "AUTHORS", "CHANGELOG", "CMAKELISTS"}) {
    if (std::string_view(upper).starts_with(doc)) return false;
  }
  const std::string ext = absl::AsciiStrToLower(path.extension().string());
  return ext.empty() || ext == ".csv" || ext == ".txt" || ext == ".tsv" || ext == ".dat";
}

absl::Status ReadFile(const fs::path& path, std::string* contents) {
  contents->clear();
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return absl::NotFoundError(absl::StrCat("cannot open: ", std::strerror(errno)));
  }
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) contents->append(buffer, n);
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) return absl::DataLossError("read error");
  return absl::OkStatus();
}

// Splits one line at `delimiter` ('\0': the whole line is one field). Quoted fields may hold the
// delimiter; their doubled quotes are left doubled, since such a cell is text either way.
void SplitLine(std::string_view line, char delimiter, std::vector<std::string_view>* fields) {
  fields->clear();
  size_t pos = 0;
  while (true) {
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t') && line[pos] != delimiter) {
      ++pos;
    }
    std::string_view field;
    size_t next;
    if (pos < line.size() && line[pos] == '"') {
      size_t close = pos + 1;
      while (close < line.size()) {
        if (line[close] == '"') {
          if (close + 1 < line.size() && line[close + 1] == '"') {
            close += 2;
            continue;
          }
          break;
        }
        ++close;
      }
      field = line.substr(pos + 1, close - (pos + 1));
      next = delimiter == '\0' ? std::string_view::npos : line.find(delimiter, close);
    } else {
      next = delimiter == '\0' ? std::string_view::npos : line.find(delimiter, pos);
      field = Trim(line.substr(pos, next == std::string_view::npos ? next : next - pos));
    }
    fields->push_back(field);
    if (next == std::string_view::npos) return;
    pos = next + 1;
  }
}

// A header name with its quotes removed and doubled quotes undone.
std::string Unquote(std::string_view field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    out.push_back(field[i]);
    if (field[i] == '"' && i + 1 < field.size() && field[i + 1] == '"') ++i;
  }
  return out;
}

// The delimiter is the most frequent of ',', '\t', ';' outside quotes in the first line; none
// means one value per line.
char DetectDelimiter(std::string_view line) {
  size_t counts[3] = {0, 0, 0};
  constexpr char kCandidates[3] = {',', '\t', ';'};
  bool quoted = false;
  for (char c : line) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    for (int i = 0; i < 3; ++i) counts[i] += c == kCandidates[i];
  }
  int best = -1;
  for (int i = 0; i < 3; ++i) {
    if (counts[i] > 0 && (best < 0 || counts[i] > counts[best])) best = i;
  }
  return best < 0 ? '\0' : kCandidates[best];
}

constexpr std::array<std::string_view, 6> kDateParts = {"year", "month",  "day",
                                                        "hour", "minute", "second"};
constexpr int kYear = 0, kMonth = 1, kDay = 2;

struct Column {
  std::string name;
  bool numeric = true;         // Every non-missing cell so far was a number.
  std::vector<double> values;  // Its non-missing values in row order (dropped once not numeric).
  size_t present = 0;          // Non-missing cells.

  // Timestamp candidates. Every column is watched for date-time strings (that test fails on the
  // first character of a number, so it is cheap); only a time-named one may hold epoch numbers.
  bool time_named = false;
  bool all_datetime = true;  // Every non-missing cell so far was a date-time string.
  std::vector<int64_t> datetime_nanos;
  bool all_int = true;  // Every non-missing cell so far was an int64 (time-named only).
  std::vector<int64_t> ints;

  int date_part = -1;           // Index into kDateParts, or -1.
  std::vector<double> per_row;  // Date parts only: one value per data row, NaN where missing.
};

struct Table {
  size_t rows = 0;
  size_t skipped_lines = 0;  // Unparsable lines of a single-column file.
  bool single_column = false;
  std::vector<Column> columns;

  // The timestamp series chosen for the file, if any, and the columns it came from.
  std::string time_name;
  std::vector<int64_t> timestamps;
  std::vector<bool> is_time_column;
};

bool IsTimeName(std::string_view name) {
  return EqualsIgnoreCase(name, "time") || EqualsIgnoreCase(name, "timestamp") ||
         EqualsIgnoreCase(name, "date") || EqualsIgnoreCase(name, "datetime");
}

void AddCell(Column& col, std::string_view cell, bool single_column, size_t* skipped) {
  if (IsMissing(cell)) {
    if (col.date_part >= 0) col.per_row.push_back(std::nan(""));
    return;
  }
  std::optional<double> value;
  if (col.numeric || col.date_part >= 0 || single_column) value = ParseDouble(cell);
  if (col.date_part >= 0) col.per_row.push_back(value ? *value : std::nan(""));
  if (col.all_datetime) {
    if (std::optional<int64_t> ns = ParseDateTimeNanos(cell)) {
      col.datetime_nanos.push_back(*ns);
    } else {
      col.all_datetime = false;
      col.datetime_nanos = {};
    }
  }
  if (col.time_named && col.all_int) {
    if (std::optional<int64_t> v = ParseInt64(cell)) {
      col.ints.push_back(*v);
    } else {
      col.all_int = false;
      col.ints = {};
    }
  }
  if (value) {
    if (col.numeric) {
      col.values.push_back(*value);
      ++col.present;
    }
  } else if (single_column) {
    // One value per line: a line that is not a number is noise (a blank or a stray label), not
    // a reason to drop the whole file.
    if (!col.all_datetime || col.datetime_nanos.empty()) ++*skipped;
  } else if (col.numeric) {
    col.numeric = false;
    col.values = {};
  }
}

// Epoch numbers to nanoseconds, the unit chosen by the largest magnitude: below 1e11 seconds
// (until year 5138), then milliseconds, microseconds, nanoseconds.
std::optional<std::vector<int64_t>> EpochToNanos(const Column& col) {
  double max_abs = 0;
  for (double v : col.values) max_abs = std::max(max_abs, std::fabs(v));
  if (!std::isfinite(max_abs)) return std::nullopt;
  int64_t scale = 1;
  if (max_abs < 1e11) {
    scale = 1'000'000'000;
  } else if (max_abs < 1e14) {
    scale = 1'000'000;
  } else if (max_abs < 1e17) {
    scale = 1'000;
  }
  std::vector<int64_t> out;
  out.reserve(col.values.size());
  if (col.all_int) {
    // Integers are scaled exactly: a double would lose nanoseconds beyond 2^53.
    for (int64_t v : col.ints) {
      int64_t ns;
      if (__builtin_mul_overflow(v, scale, &ns)) return std::nullopt;
      out.push_back(ns);
    }
  } else {
    // The whole part is scaled as an integer and only the fraction as a double: v * scale in
    // doubles would round 1700000000456.5 ms to ...456499968 ns.
    for (double v : col.values) {
      const double whole = std::trunc(v);
      if (!(std::fabs(whole) < 9e18)) return std::nullopt;
      int64_t ns;
      if (__builtin_mul_overflow(static_cast<int64_t>(whole), scale, &ns) ||
          __builtin_add_overflow(
              ns, static_cast<int64_t>(std::llround((v - whole) * static_cast<double>(scale))),
              &ns)) {
        return std::nullopt;
      }
      out.push_back(ns);
    }
  }
  return out;
}

// Combines year/month/day[/hour/minute/second] columns into one series. Rows where a part is
// missing have no timestamp; a part that is not a whole number in range means these columns are
// not a date after all.
bool CombineDateParts(Table& table) {
  std::array<int, kDateParts.size()> index;
  index.fill(-1);
  for (size_t i = 0; i < table.columns.size(); ++i) {
    const Column& col = table.columns[i];
    if (col.date_part >= 0 && index[col.date_part] < 0 && col.numeric && col.present > 0) {
      index[col.date_part] = static_cast<int>(i);
    }
  }
  if (index[kYear] < 0 || index[kMonth] < 0 || index[kDay] < 0) return false;
  std::vector<int64_t> timestamps;
  for (size_t row = 0; row < table.rows; ++row) {
    std::array<int64_t, kDateParts.size()> field{};
    bool missing = false;
    for (size_t p = 0; p < kDateParts.size(); ++p) {
      if (index[p] < 0) continue;
      const double v = table.columns[index[p]].per_row[row];
      if (std::isnan(v)) {
        missing = true;
        break;
      }
      if (v != std::floor(v) || std::fabs(v) > 1e6) return false;
      field[p] = static_cast<int64_t>(v);
    }
    if (missing) continue;
    const std::optional<int64_t> seconds = CivilToSeconds(
        field[0], static_cast<int>(field[1]), static_cast<int>(field[2]),
        static_cast<int>(field[3]), static_cast<int>(field[4]), static_cast<int>(field[5]));
    if (!seconds) return false;
    const std::optional<int64_t> ns = SecondsToNanos(*seconds, 0);
    if (!ns) return false;
    timestamps.push_back(*ns);
  }
  if (timestamps.empty()) return false;
  std::vector<std::string> names;
  for (size_t p = 0; p < kDateParts.size(); ++p) {
    if (index[p] < 0) continue;
    names.push_back(table.columns[index[p]].name);
    table.is_time_column[index[p]] = true;
  }
  table.time_name = absl::StrJoin(names, "+");
  table.timestamps = std::move(timestamps);
  return true;
}

// Picks the file's timestamp series: a time-named column of date-times or epoch numbers, else
// date-part columns, else any column of date-time strings.
void ChooseTimestamps(Table& table) {
  table.is_time_column.assign(table.columns.size(), false);
  for (size_t i = 0; i < table.columns.size(); ++i) {
    Column& col = table.columns[i];
    if (!col.time_named) continue;
    std::optional<std::vector<int64_t>> ns;
    if (col.all_datetime && !col.datetime_nanos.empty()) {
      ns = std::move(col.datetime_nanos);
    } else if (col.numeric && !col.values.empty()) {
      ns = EpochToNanos(col);
    }
    if (ns) {
      table.time_name = col.name;
      table.timestamps = std::move(*ns);
      table.is_time_column[i] = true;
      return;
    }
  }
  if (CombineDateParts(table)) return;
  for (size_t i = 0; i < table.columns.size(); ++i) {
    Column& col = table.columns[i];
    if (col.all_datetime && !col.datetime_nanos.empty()) {
      table.time_name = col.name;
      table.timestamps = std::move(col.datetime_nanos);
      table.is_time_column[i] = true;
      return;
    }
  }
}

// A header is present unless every field of the first line is a number, a missing cell or a
// date-time.
bool IsHeader(absl::Span<const std::string_view> fields) {
  for (std::string_view field : fields) {
    if (!IsMissing(field) && !ParseDouble(field) && !ParseDateTimeNanos(field)) return true;
  }
  return false;
}

Table ParseTable(std::string_view text) {
  Table table;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // UTF-8 byte order mark
  std::vector<std::string_view> fields;
  char delimiter = '\0';
  bool first_line = true;
  bool first_row = true;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (Trim(line).empty()) continue;

    if (first_line) {
      first_line = false;
      delimiter = DetectDelimiter(line);
      table.single_column = delimiter == '\0';
      SplitLine(line, delimiter, &fields);
      const bool header = IsHeader(fields);
      for (size_t i = 0; i < fields.size(); ++i) {
        Column col;
        if (header) col.name = std::string(Trim(Unquote(fields[i])));
        if (col.name.empty()) {
          col.name = fields.size() == 1 && !header ? "value" : absl::StrCat("col", i + 1);
        }
        col.time_named = header && IsTimeName(col.name);
        const std::string lower = absl::AsciiStrToLower(col.name);
        for (size_t p = 0; p < kDateParts.size(); ++p) {
          if (header && lower == kDateParts[p]) col.date_part = static_cast<int>(p);
        }
        table.columns.push_back(std::move(col));
      }
      if (header) continue;
    } else {
      SplitLine(line, delimiter, &fields);
    }

    // R's write.csv leaves the row-name column out of the header: one more field in the first
    // row than in the header means the first field is that unnamed column.
    if (first_row) {
      first_row = false;
      // A trailing delimiter also adds a field, an empty last one, which shifts nothing.
      if (fields.size() == table.columns.size() + 1 && !table.single_column &&
          !fields.back().empty()) {
        Column row_names;
        row_names.name = "row";
        table.columns.insert(table.columns.begin(), std::move(row_names));
      }
    }
    ++table.rows;
    for (size_t i = 0; i < table.columns.size(); ++i) {
      AddCell(table.columns[i], i < fields.size() ? fields[i] : std::string_view(),
              table.single_column, &table.skipped_lines);
    }
  }
  ChooseTimestamps(table);
  return table;
}

// ---------------------------------------------------------------------------------------------
// Measurements.

constexpr std::array<std::pair<std::string_view, Codec>, 3> kFloatCodecs = {{
    {"gorilla", Codec::kFloatGorilla},
    {"chimp128", Codec::kFloatChimp128},
    {"decimal", Codec::kFloatDecimal},
}};
constexpr size_t kAuto = kFloatCodecs.size();  // Index of `auto` among the reported codecs.
constexpr size_t kReportedCodecs = kFloatCodecs.size() + 1;
constexpr std::array<std::string_view, kReportedCodecs> kCodecNames = {"gorilla", "chimp128",
                                                                       "decimal", "auto"};

std::string FloatCodecName(Codec codec) {
  for (const auto& [name, c] : kFloatCodecs) {
    if (c == codec) return std::string(name);
  }
  return absl::StrCat("codec", static_cast<int>(codec));
}

struct Measurement {
  size_t count = 0;
  uint64_t bytes = 0;
  double encode_per_s = 0;
  double decode_per_s = std::nan("");  // NaN when a decode failed (and so was not timed).
  bool round_trip_ok = true;
  std::vector<std::pair<Codec, size_t>> chosen;  // auto only: chunks per codec picked.

  double BitsPerValue() const { return count == 0 ? 0 : static_cast<double>(bytes) * 8 / count; }
};

// Runs `pass` until min_time has passed, three times, and returns the median rate in values per
// second. The median drops a run disturbed by another process (builds share these machines); the
// minimum duration amortizes the clock reads over many passes on short columns.
template <typename Pass>
double MedianRate(size_t values_per_pass, std::chrono::nanoseconds min_time, const Pass& pass) {
  std::array<double, 3> rates;
  for (double& rate : rates) {
    size_t passes = 0;
    const Clock::time_point start = Clock::now();
    Clock::duration elapsed;
    do {
      pass();
      ++passes;
      elapsed = Clock::now() - start;
    } while (elapsed < min_time);
    rate = static_cast<double>(values_per_pass) * static_cast<double>(passes) /
           std::chrono::duration<double>(elapsed).count();
  }
  std::sort(rates.begin(), rates.end());
  return rates[1];
}

template <typename T>
std::vector<absl::Span<const T>> Chunks(const std::vector<T>& values, size_t chunk_size) {
  std::vector<absl::Span<const T>> chunks;
  for (size_t i = 0; i < values.size(); i += chunk_size) {
    chunks.push_back(absl::MakeConstSpan(values).subspan(i, chunk_size));
  }
  return chunks;
}

template <typename T>
uint64_t Bits(T v) {
  if constexpr (sizeof(T) == 8) {
    return std::bit_cast<uint64_t>(v);
  } else {
    return static_cast<uint64_t>(v);
  }
}

// Compares bit patterns, not values, so that NaN payloads and -0.0 count. Returns an empty string
// when equal, else what differs.
template <typename T>
std::string CompareChunk(absl::Span<const T> want, const std::vector<T>& got) {
  if (got.size() != want.size()) {
    return absl::StrFormat("decoded %d values, expected %d", got.size(), want.size());
  }
  if (std::memcmp(got.data(), want.data(), want.size() * sizeof(T)) == 0) return "";
  for (size_t i = 0; i < want.size(); ++i) {
    if (Bits(got[i]) != Bits(want[i])) {
      return absl::StrFormat("value %d: expected bits 0x%016x, got 0x%016x", i, Bits(want[i]),
                             Bits(got[i]));
    }
  }
  return "";
}

// Encodes every chunk (encode(chunk, out) returns the codec used), verifies that every chunk
// decodes to the same bits, and times both directions. A failure is reported once, on stderr.
template <typename T, typename Encode, typename Decode>
Measurement Measure(const std::vector<T>& values, const Options& options, const Encode& encode,
                    const Decode& decode, std::string_view where) {
  Measurement m;
  m.count = values.size();
  const std::vector<absl::Span<const T>> chunks = Chunks(values, options.chunk_size);
  std::vector<std::string> streams(chunks.size());
  std::vector<Codec> used(chunks.size());
  // Buffers are reused across chunks and passes, as a storage engine's would be.
  const auto encode_all = [&] {
    for (size_t i = 0; i < chunks.size(); ++i) {
      streams[i].clear();
      used[i] = encode(chunks[i], &streams[i]);
    }
  };
  encode_all();
  for (size_t i = 0; i < chunks.size(); ++i) {
    m.bytes += streams[i].size();
    auto it = std::find_if(m.chosen.begin(), m.chosen.end(),
                           [&](const auto& entry) { return entry.first == used[i]; });
    if (it == m.chosen.end()) {
      m.chosen.emplace_back(used[i], 1);
    } else {
      ++it->second;
    }
  }

  std::vector<T> decoded;
  for (size_t i = 0; i < chunks.size() && m.round_trip_ok; ++i) {
    const absl::Status status = decode(used[i], streams[i], chunks[i].size(), &decoded);
    std::string problem;
    if (!status.ok()) {
      problem = absl::StrCat("decode failed: ", status.ToString());
    } else {
      problem = CompareChunk(chunks[i], decoded);
    }
    if (!problem.empty()) {
      m.round_trip_ok = false;
      absl::FPrintF(stderr,
                    "ERROR: ROUND TRIP FAILED: %s, chunk %d of %d (%d values, %d bytes): %s\n",
                    where, i, chunks.size(), chunks[i].size(), streams[i].size(), problem);
    }
  }

  m.encode_per_s = MedianRate(values.size(), options.min_time, encode_all);
  if (m.round_trip_ok) {
    // Statuses were checked above; counting failures keeps the calls from being discarded.
    size_t failures = 0;
    m.decode_per_s = MedianRate(values.size(), options.min_time, [&] {
      for (size_t i = 0; i < chunks.size(); ++i) {
        failures += !decode(used[i], streams[i], chunks[i].size(), &decoded).ok();
      }
    });
    if (failures > 0) {
      m.round_trip_ok = false;
      m.decode_per_s = std::nan("");
      absl::FPrintF(stderr, "ERROR: ROUND TRIP FAILED: %s: a repeated decode failed\n", where);
    }
  }
  return m;
}

Measurement MeasureFloats(const std::vector<double>& values, size_t codec_index,
                          const Options& options, std::string_view where) {
  const auto decode = [](Codec codec, std::string_view data, size_t count,
                         std::vector<double>* out) {
    return compression::DecodeFloats(codec, data, count, out);
  };
  if (codec_index == kAuto) {
    return Measure(
        values, options,
        [](absl::Span<const double> chunk, std::string* out) {
          return compression::EncodeFloatsAuto(chunk, out);
        },
        decode, where);
  }
  const Codec codec = kFloatCodecs[codec_index].second;
  return Measure(
      values, options,
      [codec](absl::Span<const double> chunk, std::string* out) {
        compression::EncodeFloats(codec, chunk, out);
        return codec;
      },
      decode, where);
}

Measurement MeasureTimestamps(const std::vector<int64_t>& timestamps, const Options& options,
                              std::string_view where) {
  return Measure(
      timestamps, options,
      [](absl::Span<const int64_t> chunk, std::string* out) {
        compression::EncodeTimestamps(chunk, out);
        return Codec::kTimestampDeltaOfDelta;
      },
      [](Codec, std::string_view data, size_t count, std::vector<int64_t>* out) {
        return compression::DecodeTimestamps(data, count, out);
      },
      where);
}

// ---------------------------------------------------------------------------------------------
// Output.

struct ColumnResult {
  std::string name;
  size_t count = 0;
  std::array<Measurement, kReportedCodecs> codecs;
};

struct Totals {
  size_t values = 0;
  std::vector<std::array<double, kReportedCodecs>> bits;  // One entry per file-column.
  std::array<std::vector<double>, kReportedCodecs> encode, decode;
  std::vector<std::pair<Codec, size_t>> auto_chosen;
  std::vector<double> timestamp_bits, timestamp_encode, timestamp_decode;
  size_t round_trip_failures = 0;
  size_t unreadable_files = 0;
};

// A CSV field, quoted when it holds a delimiter, a quote or a line break.
std::string CsvField(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

void PrintCsvRow(std::string_view file, std::string_view column, std::string_view codec,
                 const Measurement& m) {
  const std::string decode =
      std::isnan(m.decode_per_s) ? "" : absl::StrFormat("%.0f", m.decode_per_s);
  absl::PrintF("%s,%s,%d,%s,%.4f,%.0f,%s\n", CsvField(file), CsvField(column), m.count, codec,
               m.BitsPerValue(), m.encode_per_s, decode);
}

// "decimal 97% chimp128 3%": the share of chunks for which auto chose each codec.
std::string ChoiceSummary(std::vector<std::pair<Codec, size_t>> chosen) {
  size_t total = 0;
  for (const auto& [codec, n] : chosen) total += n;
  if (total == 0) return "-";
  std::sort(chosen.begin(), chosen.end(),
            [](const auto& a, const auto& b) { return a.second > b.second; });
  std::vector<std::string> parts;
  for (const auto& [codec, n] : chosen) {
    const double percent = 100.0 * static_cast<double>(n) / static_cast<double>(total);
    parts.push_back(percent < 0.5 ? absl::StrCat(FloatCodecName(codec), " <1%")
                                  : absl::StrFormat("%s %.0f%%", FloatCodecName(codec), percent));
  }
  return absl::StrJoin(parts, " ");
}

void AddChoices(const std::vector<std::pair<Codec, size_t>>& from,
                std::vector<std::pair<Codec, size_t>>* to) {
  for (const auto& [codec, n] : from) {
    auto it = std::find_if(to->begin(), to->end(),
                           [&](const auto& entry) { return entry.first == codec; });
    if (it == to->end()) {
      to->emplace_back(codec, n);
    } else {
      it->second += n;
    }
  }
}

std::string Speed(double per_s) {
  return std::isnan(per_s) ? "FAIL" : absl::StrFormat("%.1f", per_s / 1e6);
}

constexpr int kNumberWidth = 8;
constexpr int kChoiceWidth = 36;  // "decimal 98% chimp128 <1% gorilla <1%"

void PrintTableHeader(int name_width) {
  const int group = kReportedCodecs * (kNumberWidth + 1);
  const auto centered = [](std::string_view title, int width) {
    const int left = (width - static_cast<int>(title.size())) / 2;
    return absl::StrFormat("%*s%-*s", left, "", width - left, title);
  };
  const auto left_padded = [](std::string_view title, int width) {
    const int left = (width - static_cast<int>(title.size())) / 2;
    return absl::StrFormat("%*s%s", left, "", title);
  };
  // The first two groups include the space before the next '|' of the rows below.
  absl::PrintF("  %*s %9s |%s| %-*s |%s|%s\n", name_width, "", "",
               centered("bits per value", group + 1), kChoiceWidth, "",
               centered("encode M values/s", group + 1), left_padded("decode M values/s", group));
  std::string names;
  for (std::string_view codec : kCodecNames)
    absl::StrAppend(&names, absl::StrFormat(" %*s", kNumberWidth, codec));
  absl::PrintF("  %-*s %9s |%s | %-*s |%s |%s\n", name_width, "column", "count", names,
               kChoiceWidth, "auto chose", names, names);
}

void PrintTableRow(int name_width, const ColumnResult& r) {
  std::string bits, encode, decode;
  for (const Measurement& m : r.codecs) {
    absl::StrAppend(&bits, absl::StrFormat(" %*.2f", kNumberWidth, m.BitsPerValue()));
    absl::StrAppend(&encode, absl::StrFormat(" %*s", kNumberWidth, Speed(m.encode_per_s)));
    absl::StrAppend(&decode, absl::StrFormat(" %*s", kNumberWidth, Speed(m.decode_per_s)));
  }
  absl::PrintF("  %-*s %9d |%s | %-*s |%s |%s\n", name_width, r.name, r.count, bits, kChoiceWidth,
               ChoiceSummary(r.codecs[kAuto].chosen), encode, decode);
}

double Mean(const std::vector<double>& v) {
  if (v.empty()) return std::nan("");
  double sum = 0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

double Median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const size_t mid = v.size() / 2;
  return v.size() % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

void ReportFile(const fs::path& path, const Options& options, Totals& totals) {
  const std::string file = path.string();
  std::string contents;
  if (absl::Status status = ReadFile(path, &contents); !status.ok()) {
    absl::FPrintF(stderr, "%s: %s: %s\n", kProgram, file, status.message());
    ++totals.unreadable_files;
    return;
  }
  const auto note = [&](std::string_view what) {
    if (options.csv) {
      absl::FPrintF(stderr, "%s: %s: %s\n", kProgram, file, what);
    } else {
      absl::PrintF("%s: %s\n\n", file, what);
    }
  };
  if (contents.empty()) {
    note("empty file");
    return;
  }
  Table table = ParseTable(contents);
  contents = std::string();

  std::vector<ColumnResult> results;
  std::vector<std::string> text_columns, empty_columns;
  for (size_t i = 0; i < table.columns.size(); ++i) {
    Column& col = table.columns[i];
    if (table.is_time_column[i]) continue;
    if (!col.numeric) {
      text_columns.push_back(col.name);
      continue;
    }
    if (col.values.empty()) {
      empty_columns.push_back(col.name);
      continue;
    }
    ColumnResult r;
    r.name = col.name;
    r.count = col.values.size();
    for (size_t c = 0; c < kReportedCodecs; ++c) {
      const std::string where =
          absl::StrCat(file, ", column ", col.name, ", codec ", std::string(kCodecNames[c]));
      r.codecs[c] = MeasureFloats(col.values, c, options, where);
    }
    col.values = std::vector<double>();
    results.push_back(std::move(r));
  }
  std::optional<Measurement> timestamps;
  if (!table.timestamps.empty()) {
    timestamps = MeasureTimestamps(table.timestamps, options,
                                   absl::StrCat(file, ", column ", table.time_name, ", timestamp"));
  }

  for (const ColumnResult& r : results) {
    totals.values += r.count;
    std::array<double, kReportedCodecs> bits;
    for (size_t c = 0; c < kReportedCodecs; ++c) {
      const Measurement& m = r.codecs[c];
      bits[c] = m.BitsPerValue();
      totals.encode[c].push_back(m.encode_per_s);
      if (!std::isnan(m.decode_per_s)) totals.decode[c].push_back(m.decode_per_s);
      totals.round_trip_failures += !m.round_trip_ok;
    }
    totals.bits.push_back(bits);
    AddChoices(r.codecs[kAuto].chosen, &totals.auto_chosen);
  }
  if (timestamps) {
    totals.timestamp_bits.push_back(timestamps->BitsPerValue());
    totals.timestamp_encode.push_back(timestamps->encode_per_s);
    if (!std::isnan(timestamps->decode_per_s)) {
      totals.timestamp_decode.push_back(timestamps->decode_per_s);
    }
    totals.round_trip_failures += !timestamps->round_trip_ok;
  }

  if (options.csv) {
    for (const ColumnResult& r : results) {
      for (size_t c = 0; c < kReportedCodecs; ++c) {
        PrintCsvRow(file, r.name, kCodecNames[c], r.codecs[c]);
      }
    }
    if (timestamps) PrintCsvRow(file, table.time_name, "timestamp", *timestamps);
    if (results.empty() && !timestamps) note("no numeric column");
    std::fflush(stdout);
    return;
  }

  std::vector<std::string> notes;
  if (table.skipped_lines > 0) notes.push_back(absl::StrCat(table.skipped_lines, " lines skipped"));
  if (!text_columns.empty()) {
    notes.push_back(absl::StrCat("text columns skipped: ", absl::StrJoin(text_columns, ", ")));
  }
  if (!empty_columns.empty()) {
    notes.push_back(absl::StrCat("columns without values: ", absl::StrJoin(empty_columns, ", ")));
  }
  absl::PrintF("%s: %d rows, %d numeric column%s%s%s\n", file, table.rows, results.size(),
               results.size() == 1 ? "" : "s", notes.empty() ? "" : "; ",
               absl::StrJoin(notes, "; "));
  if (results.empty() && !timestamps) {
    absl::PrintF("  no numeric column\n\n");
    return;
  }
  int name_width = 10;
  for (const ColumnResult& r : results) name_width = std::max<int>(name_width, r.name.size());
  if (!results.empty()) {
    PrintTableHeader(name_width);
    for (const ColumnResult& r : results) PrintTableRow(name_width, r);
  }
  if (timestamps) {
    absl::PrintF(
        "  timestamps (%s): %d, %.2f bits per timestamp, encode %s, decode %s M values/s\n",
        table.time_name, timestamps->count, timestamps->BitsPerValue(),
        Speed(timestamps->encode_per_s), Speed(timestamps->decode_per_s));
  }
  absl::PrintF("\n");
  std::fflush(stdout);
}

void PrintSummary(const Totals& totals, const Options& options) {
  absl::PrintF("Summary: %d file-columns, %d values, chunks of %d values\n", totals.bits.size(),
               totals.values, options.chunk_size);
  if (!totals.bits.empty()) {
    std::string names, mean_bits, encode, decode;
    std::array<double, kReportedCodecs> means;
    for (size_t c = 0; c < kReportedCodecs; ++c) {
      std::vector<double> bits;
      for (const auto& column : totals.bits) bits.push_back(column[c]);
      means[c] = Mean(bits);
      absl::StrAppend(&names, absl::StrFormat(" %*s", kNumberWidth, kCodecNames[c]));
      absl::StrAppend(&mean_bits, absl::StrFormat(" %*.2f", kNumberWidth, means[c]));
      absl::StrAppend(&encode,
                      absl::StrFormat(" %*s", kNumberWidth, Speed(Median(totals.encode[c]))));
      absl::StrAppend(&decode,
                      absl::StrFormat(" %*s", kNumberWidth, Speed(Median(totals.decode[c]))));
    }
    absl::PrintF("  %-34s%s\n", "", names);
    absl::PrintF("  %-34s%s\n", "mean bits per value (over columns)", mean_bits);
    absl::PrintF("  %-34s%s\n", "median encode M values/s", encode);
    absl::PrintF("  %-34s%s\n", "median decode M values/s", decode);
    const double gorilla = means[0];
    absl::PrintF("  auto / gorilla (mean bits per value): %s\n",
                 gorilla > 0 ? absl::StrFormat("%.3f", means[kAuto] / gorilla) : "n/a");
    absl::PrintF("  auto chose (share of chunks): %s\n", ChoiceSummary(totals.auto_chosen));
  }
  if (!totals.timestamp_bits.empty()) {
    absl::PrintF(
        "  timestamps: %d series, mean %.2f bits per timestamp, median encode %s, decode %s M "
        "values/s\n",
        totals.timestamp_bits.size(), Mean(totals.timestamp_bits),
        Speed(Median(totals.timestamp_encode)), Speed(Median(totals.timestamp_decode)));
  }
  if (totals.round_trip_failures > 0) {
    absl::PrintF("ERROR: %d codec-column%s did NOT round-trip bit-exactly (details on stderr)\n",
                 totals.round_trip_failures, totals.round_trip_failures == 1 ? "" : "s");
  } else {
    absl::PrintF("Every decode round-tripped bit-exactly.\n");
  }
}

// ---------------------------------------------------------------------------------------------
// Command line.

bool ParseSize(std::string_view text, size_t* out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end;
}

// Returns 0 to go on, or the exit status to stop with.
int ParseArgs(int argc, char** argv, Options* options) {
  bool options_done = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (options_done || arg.empty() || arg[0] != '-' || arg == "-") {
      options->paths.emplace_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return -1;
    }
    if (arg == "--csv") {
      options->csv = true;
      continue;
    }
    std::string_view name = arg;
    std::optional<std::string_view> value;
    if (const size_t eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    if (name != "--chunk-size" && name != "--min-time-ms") {
      absl::FPrintF(stderr, "%s: unknown option %s\n%s", kProgram, arg, kUsage);
      return 2;
    }
    if (!value) {
      if (i + 1 >= argc) {
        absl::FPrintF(stderr, "%s: %s needs a value\n", kProgram, name);
        return 2;
      }
      value = argv[++i];
    }
    size_t n = 0;
    if (name == "--chunk-size") {
      if (!ParseSize(*value, &n) || n == 0 || n > compression::kMaxChunkValues) {
        absl::FPrintF(stderr, "%s: --chunk-size must be 1..%d, got '%s'\n", kProgram,
                      compression::kMaxChunkValues, *value);
        return 2;
      }
      options->chunk_size = n;
    } else {
      if (!ParseSize(*value, &n) || n > 60'000) {
        absl::FPrintF(stderr, "%s: --min-time-ms must be 0..60000, got '%s'\n", kProgram, *value);
        return 2;
      }
      options->min_time = std::chrono::milliseconds(n);
    }
  }
  if (options->paths.empty()) {
    absl::FPrintF(stderr, "%s: no PATH given\n%s", kProgram, kUsage);
    return 2;
  }
  return 0;
}

// Expands the paths into the data files to read, in order: each argument in turn, folders walked
// recursively and sorted so that runs compare line by line. Returns false on a bad path.
bool CollectFiles(const std::vector<std::string>& paths, std::vector<fs::path>* files,
                  size_t* walk_errors) {
  bool ok = true;
  for (const std::string& arg : paths) {
    const fs::path path(arg);
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
      absl::FPrintF(stderr, "%s: cannot access '%s': %s\n", kProgram, arg,
                    ec ? ec.message() : "No such file or directory");
      ok = false;
      continue;
    }
    if (!fs::is_directory(status)) {
      if (IsDataFileName(path)) {
        files->push_back(path);
      } else {
        absl::FPrintF(stderr, "%s: skipping '%s': not a data file by its name\n", kProgram, arg);
      }
      continue;
    }
    std::vector<fs::path> found;
    fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const fs::path& entry = it->path();
      std::error_code entry_ec;
      if (it->is_directory(entry_ec)) {
        if (entry.filename().string().starts_with(".")) it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file(entry_ec) && IsDataFileName(entry)) found.push_back(entry);
    }
    if (ec) {
      absl::FPrintF(stderr, "%s: error walking '%s': %s\n", kProgram, arg, ec.message());
      ++*walk_errors;
    }
    std::sort(found.begin(), found.end());
    files->insert(files->end(), found.begin(), found.end());
  }
  return ok;
}

int Main(int argc, char** argv) {
  Options options;
  if (const int status = ParseArgs(argc, argv, &options); status != 0) {
    return status < 0 ? 0 : status;
  }
  std::vector<fs::path> files;
  size_t walk_errors = 0;
  if (!CollectFiles(options.paths, &files, &walk_errors)) return 2;

  if (options.csv) {
    absl::PrintF(
        "file,column,count,codec,bits_per_value,encode_values_per_s,decode_values_per_s\n");
  }
  Totals totals;
  totals.unreadable_files = walk_errors;
  for (const fs::path& file : files) ReportFile(file, options, totals);
  if (!options.csv) PrintSummary(totals, options);
  std::fflush(stdout);

  if (totals.round_trip_failures > 0) {
    absl::FPrintF(stderr, "%s: ERROR: %d codec-column(s) did NOT round-trip bit-exactly\n",
                  kProgram, totals.round_trip_failures);
    return 1;
  }
  return totals.unreadable_files > 0 ? 1 : 0;
}

}  // namespace
}  // namespace edgetsdb::bench

int main(int argc, char** argv) { return edgetsdb::bench::Main(argc, argv); }
