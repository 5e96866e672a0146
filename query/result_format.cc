#include "query/result_format.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace edgetsdb::query {
namespace {

// Writes JSON with commas and, when pretty, Go's json.MarshalIndent layout (every member and
// element on its own line, four spaces per level), so that pretty=true output matches InfluxDB's.
class JsonWriter {
 public:
  JsonWriter(std::string* out, bool pretty) : out_(out), pretty_(pretty) {}

  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }

  void Key(std::string_view key) {
    Separate();
    AppendJsonString(key, out_);
    out_->append(pretty_ ? ": " : ":");
    after_key_ = true;
  }
  void String(std::string_view value) {
    Separate();
    AppendJsonString(value, out_);
  }
  // Numbers, booleans and null, already formatted.
  void Raw(std::string_view text) {
    Separate();
    out_->append(text);
  }

 private:
  void Open(char bracket) {
    Separate();
    out_->push_back(bracket);
    ++depth_;
    first_ = true;
  }
  void Close(char bracket) {
    --depth_;
    if (!first_) NewLine();  // Go prints empty containers as {} and [].
    out_->push_back(bracket);
    first_ = false;
  }
  // Before a key, or a value that does not follow a key: a comma unless first, then a new line.
  void Separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_) out_->push_back(',');
    if (depth_ > 0) NewLine();
    first_ = false;
  }
  void NewLine() {
    if (!pretty_) return;
    out_->push_back('\n');
    out_->append(4 * depth_, ' ');
  }

  std::string* out_;
  bool pretty_;
  int depth_ = 0;
  bool first_ = true;
  bool after_key_ = false;
};

int64_t EpochDivisor(Epoch epoch) {
  switch (epoch) {
    case Epoch::kRfc3339:
    case Epoch::kNanoseconds:
      return 1;
    case Epoch::kMicroseconds:
      return 1'000;
    case Epoch::kMilliseconds:
      return 1'000'000;
    case Epoch::kSeconds:
      return 1'000'000'000;
    case Epoch::kMinutes:
      return 60'000'000'000;
    case Epoch::kHours:
      return 3'600'000'000'000;
  }
  return 1;
}

template <typename Int>
void AppendInteger(Int value, std::string* out) {
  char buffer[24];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, end);
}

// Go's strconv.FormatFloat(v, 'f', -1, 64): the shortest digits that round-trip, written without
// an exponent, zeros padding big numbers (3574530600399617500, not the exact ...536 that
// std::to_chars' fixed form prints).
void AppendFixed(double value, std::string* out) {
  char buffer[64];
  auto [end, ec] =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
  std::string_view text(buffer, end - buffer);
  if (text.front() == '-') {
    out->push_back('-');
    text.remove_prefix(1);
  }
  const size_t e = text.find('e');
  std::string digits;
  for (char c : text.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  int exponent = std::atoi(std::string(text.substr(e + 1)).c_str());
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  if (digits == "0") {
    out->push_back('0');
    return;
  }
  // value = 0.d1d2d3... * 10^(exponent + 1)
  const int point = exponent + 1;  // Digits before the decimal point.
  if (point <= 0) {
    out->append("0.");
    out->append(static_cast<size_t>(-point), '0');
    out->append(digits);
  } else if (static_cast<size_t>(point) >= digits.size()) {
    out->append(digits);
    out->append(static_cast<size_t>(point) - digits.size(), '0');
  } else {
    out->append(digits, 0, point);
    out->push_back('.');
    out->append(digits, point, std::string::npos);
  }
}

void AppendValue(const Value& value, bool is_time, const FormatOptions& options, JsonWriter& json,
                 std::string& scratch) {
  scratch.clear();
  if (is_time && std::holds_alternative<int64_t>(value)) {
    int64_t ns = std::get<int64_t>(value);
    if (options.epoch == Epoch::kRfc3339) {
      json.String(FormatRfc3339Nano(ns));
      return;
    }
    AppendInteger(ns / EpochDivisor(options.epoch), &scratch);
    json.Raw(scratch);
    return;
  }
  switch (value.index()) {
    case 0:
      json.Raw("null");
      return;
    case 1:
      AppendJsonNumber(std::get<double>(value), &scratch);
      break;
    case 2:
      AppendInteger(std::get<int64_t>(value), &scratch);
      break;
    case 3:
      AppendInteger(std::get<uint64_t>(value), &scratch);
      break;
    case 4:
      scratch = std::get<bool>(value) ? "true" : "false";
      break;
    case 5:
      json.String(std::get<std::string>(value));
      return;
  }
  json.Raw(scratch);
}

// One series, or the rows [begin, end) of it.
void WriteSeries(const ResultSeries& series, size_t begin, size_t end, bool partial,
                 const FormatOptions& options, JsonWriter& json) {
  json.BeginObject();
  if (!series.name.empty()) {  // Go's omitempty: SHOW SERIES rows have no name.
    json.Key("name");
    json.String(series.name);
  }
  if (!series.tags.empty()) {
    json.Key("tags");
    json.BeginObject();
    for (const auto& [key, value] : series.tags) {
      json.Key(key);
      json.String(value);
    }
    json.EndObject();
  }
  json.Key("columns");
  json.BeginArray();
  for (const std::string& column : series.columns) json.String(column);
  json.EndArray();
  if (begin < end) {  // InfluxDB omits an empty values array.
    json.Key("values");
    json.BeginArray();
    std::string scratch;
    for (size_t row = begin; row < end; ++row) {
      json.BeginArray();
      const std::vector<Value>& cells = series.values[row];
      for (size_t i = 0; i < cells.size(); ++i) {
        AppendValue(cells[i], series.has_time && i == 0, options, json, scratch);
      }
      json.EndArray();
    }
    json.EndArray();
  }
  if (partial) {
    json.Key("partial");
    json.Raw("true");
  }
  json.EndObject();
}

void BeginResult(const StatementResult& result, JsonWriter& json) {
  json.BeginObject();
  json.Key("statement_id");
  std::string id;
  AppendInteger(result.statement_id, &id);
  json.Raw(id);
}

void WriteResult(const StatementResult& result, const FormatOptions& options, JsonWriter& json) {
  BeginResult(result, json);
  if (!result.error.empty()) {
    json.Key("error");
    json.String(result.error);
  } else if (!result.series.empty()) {
    json.Key("series");
    json.BeginArray();
    for (const ResultSeries& series : result.series) {
      WriteSeries(series, 0, series.values.size(), series.partial, options, json);
    }
    json.EndArray();
  }
  json.EndObject();
}

// The tags of a series as InfluxDB's CSV prints them: its series-key form, "k=v,k2=v2", escaped.
std::string CsvTags(const ResultSeries& series) {
  std::string out;
  auto escape = [&out](std::string_view text) {
    for (char c : text) {
      if (c == ',' || c == ' ' || c == '=') out.push_back('\\');
      out.push_back(c);
    }
  };
  for (const auto& [key, value] : series.tags) {
    if (!out.empty()) out.push_back(',');
    escape(key);
    out.push_back('=');
    escape(value);
  }
  return out;
}

// RFC 4180 quoting, as Go's encoding/csv writes: quote fields with a comma, quote, CR or LF, or
// a leading space.
void AppendCsvField(std::string_view field, std::string* out) {
  bool quote = !field.empty() && (field.front() == ' ' || field.front() == '\t' ||
                                  field.find_first_of(",\"\r\n") != std::string_view::npos);
  if (!quote) {
    out->append(field);
    return;
  }
  out->push_back('"');
  for (char c : field) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

void AppendCsvRow(const std::vector<std::string>& fields, std::string* out) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendCsvField(fields[i], out);
  }
  out->push_back('\n');
}

std::string CsvValue(const Value& value, bool is_time, const FormatOptions& options) {
  std::string out;
  switch (value.index()) {
    case 0:
      break;
    case 1:
      AppendFixed(std::get<double>(value), &out);
      break;
    case 2: {
      int64_t v = std::get<int64_t>(value);
      AppendInteger(is_time ? v / EpochDivisor(options.epoch) : v, &out);
      break;
    }
    case 3:
      AppendInteger(std::get<uint64_t>(value), &out);
      break;
    case 4:
      out = std::get<bool>(value) ? "true" : "false";
      break;
    case 5:
      out = std::get<std::string>(value);
      break;
  }
  return out;
}

}  // namespace

absl::StatusOr<Epoch> ParseEpoch(std::string_view text) {
  if (text.empty()) return Epoch::kRfc3339;
  if (text == "ns" || text == "n") return Epoch::kNanoseconds;
  if (text == "u" || text == "µ" || text == "us") return Epoch::kMicroseconds;
  if (text == "ms") return Epoch::kMilliseconds;
  if (text == "s") return Epoch::kSeconds;
  if (text == "m") return Epoch::kMinutes;
  if (text == "h") return Epoch::kHours;
  return absl::InvalidArgumentError(
      absl::StrCat("invalid epoch \"", std::string(text), "\": expected h, m, s, ms, u or ns"));
}

void AppendJsonString(std::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      // Go escapes these for safe embedding in HTML; clients see the same characters either way.
      case '<':
      case '>':
      case '&':
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 15]);
        break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

void AppendJsonNumber(double value, std::string* out) {
  if (!std::isfinite(value)) {  // JSON has no NaN or infinity; InfluxDB cannot store them either.
    out->append("null");
    return;
  }
  double magnitude = std::fabs(value);
  if (magnitude != 0 && (magnitude < 1e-6 || magnitude >= 1e21)) {
    char buffer[64];
    auto [end, ec] =
        std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
    size_t n = end - buffer;
    // Go writes "1e-07" and encoding/json shortens it to "1e-7"; to_chars writes the former.
    if (n >= 4 && buffer[n - 4] == 'e' && buffer[n - 3] == '-' && buffer[n - 2] == '0') {
      buffer[n - 2] = buffer[n - 1];
      --n;
    }
    out->append(buffer, n);
    return;
  }
  AppendFixed(value, out);
}

std::string FormatRfc3339Nano(int64_t unix_ns) {
  // Floor division: a time before the epoch still has a non-negative fraction of a second.
  int64_t seconds = unix_ns / 1'000'000'000;
  int64_t nanos = unix_ns % 1'000'000'000;
  if (nanos < 0) {
    nanos += 1'000'000'000;
    --seconds;
  }
  std::string out =
      absl::FormatTime("%Y-%m-%dT%H:%M:%S", absl::FromUnixSeconds(seconds), absl::UTCTimeZone());
  if (nanos != 0) {
    char digits[10];
    std::snprintf(digits, sizeof(digits), "%09lld", static_cast<long long>(nanos));
    size_t length = 9;
    while (digits[length - 1] == '0') --length;  // RFC3339Nano drops trailing zeros.
    out.push_back('.');
    out.append(digits, length);
  }
  out.push_back('Z');
  return out;
}

std::string FormatJson(const std::vector<StatementResult>& results, const FormatOptions& options) {
  std::string out;
  JsonWriter json(&out, options.pretty);
  json.BeginObject();
  json.Key("results");
  json.BeginArray();
  for (const StatementResult& result : results) WriteResult(result, options, json);
  json.EndArray();
  json.EndObject();
  out.push_back('\n');
  return out;
}

std::vector<std::string> FormatJsonChunks(const std::vector<StatementResult>& results,
                                          const FormatOptions& options, int64_t chunk_size) {
  if (chunk_size <= 0) chunk_size = 10'000;  // InfluxDB's default chunk_size.
  std::vector<std::string> chunks;
  auto emit = [&](const StatementResult& result, const ResultSeries* series, size_t begin,
                  size_t end, bool series_partial, bool result_partial) {
    std::string out;
    JsonWriter json(&out, options.pretty);
    json.BeginObject();
    json.Key("results");
    json.BeginArray();
    BeginResult(result, json);
    if (!result.error.empty()) {
      json.Key("error");
      json.String(result.error);
    } else if (series != nullptr) {
      json.Key("series");
      json.BeginArray();
      WriteSeries(*series, begin, end, series_partial, options, json);
      json.EndArray();
    }
    if (result_partial) {
      json.Key("partial");
      json.Raw("true");
    }
    json.EndObject();
    json.EndArray();
    json.EndObject();
    out.push_back('\n');
    chunks.push_back(std::move(out));
  };
  for (const StatementResult& result : results) {
    if (!result.error.empty() || result.series.empty()) {
      emit(result, nullptr, 0, 0, false, false);
      continue;
    }
    for (size_t s = 0; s < result.series.size(); ++s) {
      const ResultSeries& series = result.series[s];
      size_t rows = series.values.size();
      size_t begin = 0;
      do {
        size_t end = std::min(rows, begin + static_cast<size_t>(chunk_size));
        bool series_continues = end < rows;
        bool result_continues = series_continues || s + 1 < result.series.size();
        emit(result, &series, begin, end, series_continues || series.partial, result_continues);
        begin = end;
      } while (begin < rows);
    }
  }
  return chunks;
}

std::string FormatCsv(const std::vector<StatementResult>& results, const FormatOptions& options) {
  std::string out;
  bool any_statement = false;
  for (const StatementResult& result : results) {
    if (result.series.empty()) continue;  // InfluxDB skips statements without series.
    if (any_statement) out.push_back('\n');
    any_statement = true;
    const std::vector<std::string>* header_columns = nullptr;
    std::vector<std::string> row;
    for (const ResultSeries& series : result.series) {
      if (header_columns == nullptr || *header_columns != series.columns) {
        if (header_columns != nullptr) out.push_back('\n');
        header_columns = &series.columns;
        row = {"name", "tags"};
        row.insert(row.end(), series.columns.begin(), series.columns.end());
        AppendCsvRow(row, &out);
      }
      row.assign(2 + series.columns.size(), std::string());
      row[0] = series.name;
      row[1] = CsvTags(series);
      for (const std::vector<Value>& cells : series.values) {
        for (size_t i = 0; i < cells.size() && i + 2 < row.size(); ++i) {
          row[i + 2] = CsvValue(cells[i], series.has_time && i == 0, options);
        }
        AppendCsvRow(row, &out);
      }
    }
  }
  return out;
}

std::string FormatJsonError(std::string_view message) {
  std::string out = "{\"error\":";
  AppendJsonString(message, &out);
  out.append("}\n");
  return out;
}

}  // namespace edgetsdb::query
