// compression_report: bits per value and single-core speed of every float codec, and of the
// timestamp codec, on real data files, cut into chunks the way the storage engine cuts them.
//
//   compression_report [--csv] [--chunk-size N] [--min-time-ms N] PATH...
//
// PATHs are files or folders (walked recursively, in sorted order). A data file is CSV or text:
// one value per line, or delimited columns with an optional header line, read by
// bench/csv_table.h, which says exactly what becomes a column. Every numeric column is
// encoded with each float codec; a time column (time/timestamp/date/datetime, or year/month/day/
// hour[/minute/second] parts) is encoded with the timestamp codec. Every decode is checked to
// round-trip bit-exactly; a failure is printed on stderr and makes the exit status 1.
//
// Exit status: 0 all good, 1 a round-trip failure or an unreadable file, 2 bad usage or path.

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/types/span.h"
#include "bench/csv_table.h"
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
  absl::StatusOr<std::string> contents = ReadFile(path);
  if (!contents.ok()) {
    absl::FPrintF(stderr, "%s: %s: %s\n", kProgram, file, contents.status().message());
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
  if (contents->empty()) {
    note("empty file");
    return;
  }
  Table table = ParseTable(*contents);
  *contents = std::string();

  std::vector<ColumnResult> results;
  for (NumericColumn& col : table.numeric_columns) {
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
  if (table.timestamps) {
    timestamps =
        MeasureTimestamps(table.timestamps->nanos, options,
                          absl::StrCat(file, ", column ", table.timestamps->name, ", timestamp"));
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
    if (timestamps) PrintCsvRow(file, table.timestamps->name, "timestamp", *timestamps);
    if (results.empty() && !timestamps) note("no numeric column");
    std::fflush(stdout);
    return;
  }

  std::vector<std::string> notes;
  if (table.skipped_lines > 0) notes.push_back(absl::StrCat(table.skipped_lines, " lines skipped"));
  if (!table.text_columns.empty()) {
    notes.push_back(
        absl::StrCat("text columns skipped: ", absl::StrJoin(table.text_columns, ", ")));
  }
  if (!table.empty_columns.empty()) {
    notes.push_back(
        absl::StrCat("columns without values: ", absl::StrJoin(table.empty_columns, ", ")));
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
        table.timestamps->name, timestamps->count, timestamps->BitsPerValue(),
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

int Main(int argc, char** argv) {
  Options options;
  if (const int status = ParseArgs(argc, argv, &options); status != 0) {
    return status < 0 ? 0 : status;
  }
  const DataFiles data_files = ListDataFiles(options.paths);
  bool bad_path = false;
  size_t walk_errors = 0;
  for (const PathProblem& problem : data_files.problems) {
    switch (problem.kind) {
      case PathProblem::Kind::kInaccessible:
        absl::FPrintF(stderr, "%s: cannot access '%s': %s\n", kProgram, problem.path,
                      problem.detail);
        bad_path = true;
        break;
      case PathProblem::Kind::kNotDataFile:
        absl::FPrintF(stderr, "%s: skipping '%s': not a data file by its name\n", kProgram,
                      problem.path);
        break;
      case PathProblem::Kind::kWalkError:
        absl::FPrintF(stderr, "%s: error walking '%s': %s\n", kProgram, problem.path,
                      problem.detail);
        ++walk_errors;
        break;
    }
  }
  if (bad_path) return 2;

  if (options.csv) {
    absl::PrintF(
        "file,column,count,codec,bits_per_value,encode_values_per_s,decode_values_per_s\n");
  }
  Totals totals;
  totals.unreadable_files = walk_errors;
  for (const fs::path& file : data_files.files) ReportFile(file, options, totals);
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
