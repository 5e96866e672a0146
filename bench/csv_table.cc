#include "bench/csv_table.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/types/span.h"

namespace edgetsdb::bench {

namespace fs = std::filesystem;

namespace {

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
template <typename T>
std::optional<T> ParseNumber(std::string_view cell) {
  if (cell.size() > 1 && cell[0] == '+' && cell[1] != '-') cell.remove_prefix(1);
  T value = 0;
  const char* end = cell.data() + cell.size();
  auto [ptr, ec] = std::from_chars(cell.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::optional<double> ParseDouble(std::string_view cell) { return ParseNumber<double>(cell); }
std::optional<int64_t> ParseInt64(std::string_view cell) { return ParseNumber<int64_t>(cell); }

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
// Lines and tables.

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

// What the scan has learnt about one column so far; ParseTable keeps only the outcome.
struct ColumnState {
  std::string name;
  bool numeric = true;         // Every non-missing cell so far was a number.
  std::vector<double> values;  // Its non-missing values in row order (dropped once not numeric).
  size_t present = 0;          // Non-missing cells.
  size_t missing = 0;          // Missing cells.

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

struct TableState {
  size_t rows = 0;
  size_t skipped_lines = 0;  // Unparsable lines of a single-column file.
  bool single_column = false;
  std::vector<ColumnState> columns;

  // The timestamp series chosen for the file, if any, and the columns it came from.
  std::string time_name;
  std::vector<int64_t> timestamps;
  std::vector<bool> is_time_column;
};

bool IsTimeName(std::string_view name) {
  return EqualsIgnoreCase(name, "time") || EqualsIgnoreCase(name, "timestamp") ||
         EqualsIgnoreCase(name, "date") || EqualsIgnoreCase(name, "datetime");
}

void AddCell(ColumnState& col, std::string_view cell, bool single_column, size_t* skipped) {
  if (IsMissing(cell)) {
    ++col.missing;
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
std::optional<std::vector<int64_t>> EpochToNanos(const ColumnState& col) {
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
bool CombineDateParts(TableState& table) {
  std::array<int, kDateParts.size()> index;
  index.fill(-1);
  for (size_t i = 0; i < table.columns.size(); ++i) {
    const ColumnState& col = table.columns[i];
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
void ChooseTimestamps(TableState& table) {
  table.is_time_column.assign(table.columns.size(), false);
  for (size_t i = 0; i < table.columns.size(); ++i) {
    ColumnState& col = table.columns[i];
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
    ColumnState& col = table.columns[i];
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

// Reads every line into column states, then picks the timestamp series.
TableState ScanTable(std::string_view text) {
  TableState table;
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
        ColumnState col;
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
        ColumnState row_names;
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

}  // namespace

Table ParseTable(std::string_view text) {
  TableState state = ScanTable(text);
  Table table;
  table.rows = state.rows;
  table.skipped_lines = state.skipped_lines;
  for (size_t i = 0; i < state.columns.size(); ++i) {
    ColumnState& col = state.columns[i];
    if (state.is_time_column[i]) continue;
    if (!col.numeric) {
      table.text_columns.push_back(std::move(col.name));
    } else if (col.values.empty()) {
      table.empty_columns.push_back(std::move(col.name));
    } else {
      table.numeric_columns.push_back(
          NumericColumn{std::move(col.name), std::move(col.values), col.missing});
    }
  }
  if (!state.timestamps.empty()) {
    table.timestamps = TimestampSeries{std::move(state.time_name), std::move(state.timestamps)};
  }
  return table;
}

absl::StatusOr<std::string> ReadFile(const fs::path& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return absl::NotFoundError(absl::StrCat("cannot open: ", std::strerror(errno)));
  }
  std::string contents;
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) contents.append(buffer, n);
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) return absl::DataLossError("read error");
  return contents;
}

absl::StatusOr<Table> ReadTable(const fs::path& path) {
  absl::StatusOr<std::string> contents = ReadFile(path);
  if (!contents.ok()) return contents.status();
  return ParseTable(*contents);
}

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

DataFiles ListDataFiles(const std::vector<std::string>& paths) {
  DataFiles result;
  for (const std::string& arg : paths) {
    const fs::path path(arg);
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
      result.problems.push_back(
          {PathProblem::Kind::kInaccessible, arg, ec ? ec.message() : "No such file or directory"});
      continue;
    }
    if (!fs::is_directory(status)) {
      if (IsDataFileName(path)) {
        result.files.push_back(path);
      } else {
        result.problems.push_back({PathProblem::Kind::kNotDataFile, arg, ""});
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
    if (ec) result.problems.push_back({PathProblem::Kind::kWalkError, arg, ec.message()});
    std::sort(found.begin(), found.end());
    result.files.insert(result.files.end(), found.begin(), found.end());
  }
  return result;
}

}  // namespace edgetsdb::bench
