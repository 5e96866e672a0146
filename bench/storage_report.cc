// storage_report: how many bytes a point costs in edgetsdb once written and compacted, on real and
// generated sensor data; and how much memory the engine holds while it ingests, and idle.
//
//   storage_report [--csv] [--dataset beijing|iot|all] [--devices N] [--hours H] ...
//   storage_report --rss [--rss-hours H] [--rss-fields F]
//
// See kUsage for every option. A point is one field value with its timestamp, as in the Gorilla
// paper's 1.37 bytes per point, the reference printed beside the results.
//
// Exit status: 0 all measured (a missing dataset folder is skipped, with a note); 1 the engine or
// a file failed; 2 bad usage.

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/bench_system.h"
#include "bench/csv_table.h"
#include "bench/sensor_fleet.h"
#include "edgetsdb/db.h"
#include "edgetsdb/options.h"
#include "edgetsdb/write_batch.h"

#ifndef EDGETSDB_DATASETS_DIR
#define EDGETSDB_DATASETS_DIR "../shared/datasets"
#endif

namespace edgetsdb::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kProgram = "storage_report";

constexpr char kUsage[] =
    R"(Usage: storage_report [OPTIONS]
       storage_report --rss [--rss-hours H] [--rss-fields F]

Writes a dataset into a fresh edgetsdb database (Durability::kNone, a bulk load) in a temporary
directory on disk ($EDGETSDB_BENCH_DIR, else $TMPDIR or /tmp), calls Db::Compact(), and reports
bytes per point: one point is one field value with its timestamp. Reported per dataset:
  - ingest rate: points per second through Db::Write alone (generating or parsing excluded);
  - write-ahead log bytes per point: appended over the ingest (record headers and batches), and
    held before Compact() (GetStats().wal_bytes: the head flushes itself past
    Options::max_head_bytes, which trims the log);
  - stored bytes per point after compaction: GetStats().block_bytes, checked against the
    partitions of DescribeStorage(), and every file left in the data directory. While Compact()
    returns Unimplemented, the head's memory (GetStats().head_bytes) stands in, marked as such;
  - peak resident memory of the process while it measured the dataset (VmHWM, reset before
    each dataset), data generation and parsing included.

Datasets:
  beijing  UCI Beijing multi-site air quality (../shared/datasets/uci-beijing-multisite-air-
           quality): 10 stations, hourly 2013-03..2017-02, 11 numeric fields (PM2.5, PM10, SO2,
           NO2, CO, O3, TEMP, PRES, DEWP, RAIN, WSPM) as measurement air_quality, tag station;
           missing cells (NA) are left out of their row. Skipped when the folder is absent.
  iot      a generated fleet: --devices devices report every 10 s, each with its own phase and
           a jitter uniform in +/-100 ms, at millisecond precision, for --hours hours; 9 float
           fields with 1 to 5 decimals and 3 integer fields (one a counter), all random walks
           (bench/sensor_fleet.h); measurement sensor, tags device=dNNNNN, site=sNN.

Options:
  --csv                      one CSV row per dataset instead of text:
                             dataset,points,series,ingest_points_per_s,wal_appended_bytes_per_point,
                             size_source,stored_bytes,bytes_per_point,dir_bytes_per_point,
                             peak_rss_bytes
                             (size_source: blocks, or head_memory_standin when Compact() is not
                             implemented; dir_bytes_per_point is empty then)
  --dataset NAME             beijing, iot or all (default all)
  --datasets DIR             where the shared datasets are (default: the build's)
  --devices N                iot devices, 1..10000 (default 1000)
  --hours H                  iot hours of data (default 24)
  --partition-hours H        Options::partition_duration_ns in hours (default: the engine's);
                             the default compaction levels that are not wider multiples of it
                             are dropped
  --write-line-protocol FILE also write the points as InfluxDB line protocol to FILE, for
                             bench/influxdb_size.sh; needs one --dataset. Its first line is a
                             comment naming the dataset, the timestamp precision (s for beijing,
                             ms for iot) and the point count
  --rss                      measure resident memory instead (VmRSS, VmHWM): the process before
                             and after opening an empty database (idle), then while 10,000
                             active series ingest --rss-hours of data at 10 s (default 3) with the
                             default Options (kSync), as 10000/F devices of --rss-fields F float
                             fields (default 1)
  --help                     this text
)";

constexpr double kGorillaBytesPerPoint = 1.37;  // Pelkonen et al., VLDB 2015, section 4.1.
constexpr int64_t kIotStartNs = 1'704'067'200'000'000'000;  // 2024-01-01T00:00:00Z
constexpr int64_t kNsPerMs = 1'000'000;
constexpr int64_t kIotIntervalMs = 10'000;
constexpr int64_t kIotJitterMs = 100;
constexpr size_t kBeijingRowsPerBatch = 1'000;
constexpr char kDatabase[] = "report";

struct Args {
  bool csv = false;
  bool rss = false;
  std::string dataset = "all";
  std::string datasets_dir = EDGETSDB_DATASETS_DIR;
  int devices = 1'000;
  int hours = 24;
  std::optional<int> partition_hours;
  std::string line_protocol_file;
  int rss_hours = 3;
  int rss_fields = 1;
};

// ---------------------------------------------------------------------------------------------
// Datasets: each produces its points as a sequence of batches, and the same points as line
// protocol when asked.

struct DatasetInfo {
  std::string name;
  std::string precision;  // Of the line protocol timestamps: "s" or "ms".
  uint64_t series = 0;    // Measurement + tags + field.
  std::string shape;      // For the report.
};

// Receives each batch and, when line protocol was asked for, the same points as text.
using BatchSink = absl::FunctionRef<absl::Status(const WriteBatch&, std::string_view)>;

// csv_table skips missing cells without saying where, which would shift a column against the
// timestamps; "nan" is a number to it, so writing missing cells as nan keeps the rows aligned, and
// the NaNs are left out when points are built. Missing is what csv_table calls missing: empty
// (spaces only: the Beijing files have a few), NA, N/A or null, in any case.
bool IsMissingCell(std::string_view cell) {
  while (!cell.empty() && cell.front() == ' ') cell.remove_prefix(1);
  while (!cell.empty() && cell.back() == ' ') cell.remove_suffix(1);
  std::string lower(cell);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.empty() || lower == "na" || lower == "n/a" || lower == "null";
}

std::string MissingCellsAsNan(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  size_t cell_start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    const bool at_end = i == text.size();
    if (!at_end && text[i] != ',' && text[i] != '\n' && text[i] != '\r') continue;
    const std::string_view cell = text.substr(cell_start, i - cell_start);
    // A line's end is not a cell: blank lines and CRLF stay as they are.
    const bool is_cell =
        !cell.empty() || (i > 0 && text[i - 1] == ',') || (!at_end && text[i] == ',');
    out.append(is_cell && IsMissingCell(cell) ? std::string_view("nan") : cell);
    if (!at_end) out.push_back(text[i]);
    cell_start = i + 1;
  }
  return out;
}

// "PRSA_Data_Aotizhongxin_20130301-20170228.csv" -> "Aotizhongxin": the file's station column
// holds the same name, but csv_table keeps no text cells.
std::string StationOf(const fs::path& file) {
  std::string stem = file.stem().string();
  constexpr std::string_view kPrefix = "PRSA_Data_";
  if (stem.starts_with(kPrefix)) stem.erase(0, kPrefix.size());
  if (const size_t underscore = stem.rfind('_'); underscore != std::string::npos) {
    stem.erase(underscore);
  }
  return stem;
}

struct Station {
  std::string name;
  Table table;
  std::vector<const NumericColumn*> columns;  // The fields: every numeric column but "No".
};

absl::StatusOr<Station> ReadStation(const fs::path& file) {
  absl::StatusOr<std::string> text = ReadFile(file);
  if (!text.ok()) return text.status();
  Station station{StationOf(file), ParseTable(MissingCellsAsNan(*text)), {}};
  const Table& table = station.table;
  if (!table.timestamps || table.timestamps->nanos.size() != table.rows) {
    return absl::DataLossError(absl::StrCat(file.string(), ": a row without a timestamp"));
  }
  for (const NumericColumn& column : table.numeric_columns) {
    if (column.name == "No") continue;  // The row number.
    if (column.values.size() != table.rows) {
      return absl::DataLossError(absl::StrCat(file.string(), ": column ", column.name,
                                              " has a cell that is neither a number nor missing"));
    }
    station.columns.push_back(&column);
  }
  return station;
}

// The stations are written hour by hour, all stations of an hour together, as a gateway would
// receive them (and as the engine's partitions expect: a backfill of one station's four years at
// a time flushes thousands of partitions per station).
absl::StatusOr<DatasetInfo> ProduceBeijing(const Args& args, bool want_line_protocol,
                                           BatchSink sink) {
  const fs::path folder = fs::path(args.datasets_dir) / "uci-beijing-multisite-air-quality";
  const DataFiles files = ListDataFiles({folder.string()});
  if (!files.problems.empty() || files.files.empty()) {
    return absl::NotFoundError(absl::StrCat("no Beijing data files in ", folder.string()));
  }
  DatasetInfo info{"beijing", "s", 0, ""};
  std::vector<Station> stations;
  size_t fields_per_station = 0;
  struct Row {
    int64_t timestamp;
    uint32_t station;
    uint32_t row;
  };
  std::vector<Row> rows;
  for (const fs::path& file : files.files) {
    absl::StatusOr<Station> station = ReadStation(file);
    if (!station.ok()) return station.status();
    fields_per_station = std::max(fields_per_station, station->columns.size());
    info.series += station->columns.size();
    for (size_t r = 0; r < station->table.rows; ++r) {
      rows.push_back({station->table.timestamps->nanos[r], static_cast<uint32_t>(stations.size()),
                      static_cast<uint32_t>(r)});
    }
    stations.push_back(*std::move(station));
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& a, const Row& b) { return a.timestamp < b.timestamp; });

  WriteBatch batch;
  std::string line_protocol;
  std::vector<FieldView> fields;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Station& station = stations[rows[i].station];
    fields.clear();
    for (const NumericColumn* column : station.columns) {
      const double value = column->values[rows[i].row];
      if (!std::isnan(value)) fields.push_back({column->name, value});
    }
    if (!fields.empty()) {
      const TagView tags[] = {{"station", station.name}};
      const int64_t timestamp = rows[i].timestamp;
      if (absl::Status s = batch.Add("air_quality", tags, fields, timestamp); !s.ok()) return s;
      if (want_line_protocol) {
        AppendLineProtocol("air_quality", tags, fields, timestamp / 1'000'000'000, &line_protocol);
      }
    }
    if (batch.point_count() == kBeijingRowsPerBatch || i + 1 == rows.size()) {
      if (absl::Status s = sink(batch, line_protocol); !s.ok()) return s;
      batch.Clear();
      line_protocol.clear();
    }
  }
  info.shape =
      absl::StrFormat("%d stations x %d fields, hourly", stations.size(), fields_per_station);
  return info;
}

absl::StatusOr<DatasetInfo> ProduceIot(const Args& args, bool want_line_protocol, BatchSink sink) {
  SensorFleet fleet(args.devices, IotDeviceFields(), /*seed=*/2024);
  DatasetInfo info{"iot", "ms", fleet.series(),
                   absl::StrFormat("%d devices x %d fields, 10 s +/- 100 ms uniform jitter, %d h",
                                   fleet.devices(), fleet.fields_per_device(), args.hours)};
  // Devices are not synchronized: each has its own phase within the interval.
  std::mt19937_64 rng(99);
  std::vector<int64_t> phase_ms(fleet.devices());
  for (int64_t& phase : phase_ms) phase = static_cast<int64_t>(rng() % kIotIntervalMs);
  const int64_t rounds = int64_t{args.hours} * 3'600'000 / kIotIntervalMs;
  WriteBatch batch;
  std::string line_protocol;
  for (int64_t round = 0; round < rounds; ++round) {
    batch.Clear();
    line_protocol.clear();
    for (int d = 0; d < fleet.devices(); ++d) {
      const int64_t jitter_ms = static_cast<int64_t>(rng() % (2 * kIotJitterMs + 1)) - kIotJitterMs;
      const int64_t time_ms =
          kIotStartNs / kNsPerMs + phase_ms[d] + round * kIotIntervalMs + jitter_ms;
      const absl::Span<const FieldView> reading = fleet.NextReading(d);
      if (absl::Status s =
              batch.Add(kSensorMeasurement, fleet.Tags(d), reading, time_ms * kNsPerMs);
          !s.ok()) {
        return s;
      }
      if (want_line_protocol) {
        AppendLineProtocol(kSensorMeasurement, fleet.Tags(d), reading, time_ms, &line_protocol);
      }
    }
    if (absl::Status s = sink(batch, line_protocol); !s.ok()) return s;
  }
  return info;
}

// ---------------------------------------------------------------------------------------------
// Measurement.

struct Result {
  DatasetInfo dataset;
  std::string data_dir;  // With its file system.
  uint64_t points = 0;
  double write_seconds = 0;
  uint64_t wal_written_bytes = 0;  // Appended to the log over the whole ingest.
  uint64_t wal_bytes = 0;          // The log's size at the end of the ingest (flushes trim it).
  absl::Status compact_status;
  bool from_blocks = false;  // Else the head's memory stands in.
  uint64_t stored_bytes = 0;
  uint64_t described_bytes = 0;   // Sum of DescribeStorage() partitions.
  uint64_t described_points = 0;  // Points in those partitions.
  uint64_t dir_bytes_after = 0;   // Every file in the data directory after Compact().
  uint64_t peak_rss = 0;

  double PerPoint(uint64_t bytes) const {
    return points == 0 ? 0 : static_cast<double>(bytes) / static_cast<double>(points);
  }
  double IngestRate() const {
    return write_seconds > 0 ? static_cast<double>(points) / write_seconds : 0;
  }
};

// A line protocol file with a first-line comment that bench/influxdb_size.sh reads.
class LineProtocolFile {
 public:
  static absl::StatusOr<std::unique_ptr<LineProtocolFile>> Create(const std::string& path) {
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (file == nullptr) {
      return absl::InternalError(absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
    }
    return std::unique_ptr<LineProtocolFile>(new LineProtocolFile(path, file));
  }
  ~LineProtocolFile() {
    if (file_ != nullptr) std::fclose(file_);
  }

  absl::Status Append(std::string_view text) {
    if (std::fwrite(text.data(), 1, text.size(), file_) != text.size()) return WriteError();
    return absl::OkStatus();
  }
  // Writes the header (the file was opened with room for it: see Create) and closes.
  absl::Status Finish(const DatasetInfo& dataset, uint64_t points) {
    const std::string header =
        absl::StrFormat("# edgetsdb storage_report dataset=%s precision=%s points=%d", dataset.name,
                        dataset.precision, points);
    std::string padded = header;
    padded.resize(kHeaderBytes - 1, ' ');
    padded.push_back('\n');
    if (std::fseek(file_, 0, SEEK_SET) != 0 ||
        std::fwrite(padded.data(), 1, padded.size(), file_) != padded.size()) {
      return WriteError();
    }
    const int closed = std::fclose(file_);
    file_ = nullptr;
    return closed == 0 ? absl::OkStatus() : WriteError();
  }

 private:
  // The point count is known only at the end, so the first line is reserved and rewritten.
  static constexpr size_t kHeaderBytes = 128;

  LineProtocolFile(std::string path, std::FILE* file) : path_(std::move(path)), file_(file) {
    const std::string reserved = std::string(kHeaderBytes - 1, ' ') + "\n";
    std::fwrite(reserved.data(), 1, reserved.size(), file_);  // Checked by Finish's rewrite.
  }
  absl::Status WriteError() const {
    return absl::InternalError(absl::StrCat("cannot write ", path_, ": ", std::strerror(errno)));
  }

  std::string path_;
  std::FILE* file_;
};

absl::StatusOr<Result> Measure(const Args& args, std::string_view dataset) {
  ResetPeakRss();  // Each dataset's own peak, not the previous one's.
  auto dir = ScratchDir::Create("edgetsdb-storage-report");
  if (!dir.ok()) return dir.status();
  const std::string db_path = dir->path() + "/db";
  Options options;
  options.durability = Durability::kNone;
  if (args.partition_hours) {
    options.partition_duration_ns = int64_t{*args.partition_hours} * 3'600'000'000'000;
    // Only the default levels that can still merge such partitions.
    std::erase_if(options.compaction_levels_ns, [&](int64_t level) {
      return level <= options.partition_duration_ns || level % options.partition_duration_ns != 0;
    });
  }
  auto opened = Db::Open(options, db_path);
  if (!opened.ok()) return opened.status();
  std::unique_ptr<Db> db = *std::move(opened);

  std::unique_ptr<LineProtocolFile> line_protocol;
  if (!args.line_protocol_file.empty()) {
    auto file = LineProtocolFile::Create(args.line_protocol_file);
    if (!file.ok()) return file.status();
    line_protocol = *std::move(file);
  }

  Result result;
  result.data_dir = absl::StrFormat("%s (%s)", dir->path(), FileSystemOf(dir->path()));
  const auto write = [&](const WriteBatch& batch, std::string_view text) -> absl::Status {
    if (batch.empty()) return absl::OkStatus();
    const Clock::time_point start = Clock::now();
    if (absl::Status s = db->Write(kDatabase, batch); !s.ok()) return s;
    result.write_seconds += std::chrono::duration<double>(Clock::now() - start).count();
    result.points += batch.value_count();
    return line_protocol != nullptr ? line_protocol->Append(text) : absl::OkStatus();
  };
  const bool want_line_protocol = line_protocol != nullptr;
  absl::StatusOr<DatasetInfo> info = dataset == "beijing"
                                         ? ProduceBeijing(args, want_line_protocol, write)
                                         : ProduceIot(args, want_line_protocol, write);
  if (!info.ok()) return info.status();
  result.dataset = *std::move(info);
  if (line_protocol != nullptr) {
    if (absl::Status s = line_protocol->Finish(result.dataset, result.points); !s.ok()) return s;
  }

  result.wal_bytes = db->GetStats().wal_bytes;
  result.wal_written_bytes = db->GetStats().wal_bytes_appended;
  result.compact_status = db->Compact();
  if (!result.compact_status.ok() && !absl::IsUnimplemented(result.compact_status)) {
    return result.compact_status;
  }
  const DbStats stats = db->GetStats();
  result.from_blocks = result.compact_status.ok();
  result.stored_bytes = result.from_blocks ? stats.block_bytes : stats.head_bytes;
  for (const DatabaseInfo& database : db->DescribeStorage()) {
    for (const PartitionInfo& partition : database.partitions) {
      result.described_bytes += partition.bytes;
      result.described_points += partition.points;
    }
  }
  result.dir_bytes_after = DirectoryBytes(db_path);
  result.peak_rss = ProcStatusBytes("VmHWM").value_or(0);
  return result;
}

std::string Megabytes(uint64_t bytes) {
  return absl::StrFormat("%.1f MiB", static_cast<double>(bytes) / (1 << 20));
}

void PrintText(const Result& r) {
  absl::PrintF("dataset %s: %s\n", r.dataset.name, r.dataset.shape);
  absl::PrintF("  points (field values): %d in %d series\n", r.points, r.dataset.series);
  absl::PrintF("  data directory: %s\n", r.data_dir);
  absl::PrintF("  ingest, Db::Write alone (kNone): %.2f M points/s\n", r.IngestRate() / 1e6);
  absl::PrintF(
      "  write-ahead log: %d bytes appended = %.3f bytes/point; %d bytes (%.3f/point) on "
      "disk before Compact()\n",
      r.wal_written_bytes, r.PerPoint(r.wal_written_bytes), r.wal_bytes, r.PerPoint(r.wal_bytes));
  if (r.from_blocks) {
    absl::PrintF(
        "  blocks after Compact(): %d bytes = %.3f bytes/point (%.1f%% of Gorilla's %.2f)\n",
        r.stored_bytes, r.PerPoint(r.stored_bytes),
        100 * r.PerPoint(r.stored_bytes) / kGorillaBytesPerPoint, kGorillaBytesPerPoint);
    absl::PrintF("  DescribeStorage(): %d bytes, %d points in partitions\n", r.described_bytes,
                 r.described_points);
    absl::PrintF("  data directory after Compact(), every file: %d bytes = %.3f bytes/point\n",
                 r.dir_bytes_after, r.PerPoint(r.dir_bytes_after));
  } else {
    absl::PrintF("  Compact(): %s\n", r.compact_status.ToString());
    absl::PrintF(
        "  STAND-IN, NOT ON DISK: head memory %d bytes = %.3f bytes/point (%.1f%% of Gorilla's "
        "%.2f)\n",
        r.stored_bytes, r.PerPoint(r.stored_bytes),
        100 * r.PerPoint(r.stored_bytes) / kGorillaBytesPerPoint, kGorillaBytesPerPoint);
  }
  absl::PrintF("  peak resident memory (VmHWM, whole process): %s\n\n", Megabytes(r.peak_rss));
  std::fflush(stdout);
}

void PrintCsv(const Result& r) {
  const std::string dir_per_point =
      r.from_blocks ? absl::StrFormat("%.4f", r.PerPoint(r.dir_bytes_after)) : "";
  absl::PrintF("%s,%d,%d,%.0f,%.4f,%s,%d,%.4f,%s,%d\n", r.dataset.name, r.points, r.dataset.series,
               r.IngestRate(), r.PerPoint(r.wal_written_bytes),
               r.from_blocks ? "blocks" : "head_memory_standin", r.stored_bytes,
               r.PerPoint(r.stored_bytes), dir_per_point, r.peak_rss);
  std::fflush(stdout);
}

// ---------------------------------------------------------------------------------------------
// Resident memory.

void PrintRss(std::string_view when, Db* db) {
  const uint64_t head = db != nullptr ? db->GetStats().head_bytes : 0;
  absl::PrintF("  %-44s VmRSS %s, VmHWM %s%s\n", when,
               Megabytes(ProcStatusBytes("VmRSS").value_or(0)),
               Megabytes(ProcStatusBytes("VmHWM").value_or(0)),
               db != nullptr ? absl::StrCat(", head ", Megabytes(head)) : "");
  std::fflush(stdout);
}

int MeasureRss(const Args& args) {
  const int fields = std::clamp(args.rss_fields, 1, 100);
  const int devices = 10'000 / fields;
  absl::PrintF(
      "resident memory (targets: idle open empty database <= 10 MB, 10,000 active series "
      "<= 64 MB)\n");
  PrintRss("process start:", nullptr);
  auto dir = ScratchDir::Create("edgetsdb-storage-rss");
  if (!dir.ok()) {
    absl::FPrintF(stderr, "%s: %s\n", kProgram, dir.status().ToString());
    return 1;
  }
  auto opened = Db::Open(Options(), dir->path() + "/db");  // The defaults: kSync.
  if (!opened.ok()) {
    absl::FPrintF(stderr, "%s: %s\n", kProgram, opened.status().ToString());
    return 1;
  }
  std::unique_ptr<Db> db = *std::move(opened);
  PrintRss("idle, empty database open:", db.get());

  SensorFleet fleet(devices, TwoDecimalFields(fields), /*seed=*/5);
  absl::PrintF(
      "  ingest: %d devices x %d fields = %d series every 10 s, one batch a round, in %s\n",
      fleet.devices(), fields, fleet.series(), FileSystemOf(dir->path()));
  WriteBatch batch;
  constexpr int kRoundsPerHour = 360;
  // Live data, ending about now: older data would be compacted (and recompressed) at once.
  constexpr int64_t kIntervalNs = kIotIntervalMs * kNsPerMs;
  const int64_t start = WallClockNs() / kIntervalNs * kIntervalNs -
                        int64_t{args.rss_hours} * kRoundsPerHour * kIntervalNs;
  for (int hour = 1; hour <= args.rss_hours; ++hour) {
    for (int round = 0; round < kRoundsPerHour; ++round) {
      batch.Clear();
      const int64_t timestamp =
          start + (int64_t{hour - 1} * kRoundsPerHour + round) * kIotIntervalMs * kNsPerMs;
      absl::Status s = fleet.AddRound(timestamp, &batch);
      if (s.ok()) s = db->Write(kDatabase, batch);
      if (!s.ok()) {
        absl::FPrintF(stderr, "%s: %s\n", kProgram, s.ToString());
        return 1;
      }
    }
    PrintRss(absl::StrFormat("after %d h (%d points):", hour,
                             int64_t{hour} * kRoundsPerHour * static_cast<int64_t>(fleet.series())),
             db.get());
  }
  const absl::Status flushed = db->Flush();
  if (absl::IsUnimplemented(flushed)) {
    absl::PrintF(
        "  note: Flush() is not implemented yet, so the head holds every point and grows "
        "with the hours written; Options::max_head_bytes (32 MiB) will bound it\n");
  } else if (!flushed.ok()) {
    absl::FPrintF(stderr, "%s: Flush: %s\n", kProgram, flushed.ToString());
    return 1;
  } else {
    PrintRss("after Flush():", db.get());
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Command line.

bool ParseInt(std::string_view text, int min, int max, int* out) {
  int value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < min || value > max) {
    return false;
  }
  *out = value;
  return true;
}

// Returns 0 to go on, or the exit status to stop with (-1: stop with 0).
int ParseArgs(int argc, char** argv, Args* args) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return -1;
    }
    if (arg == "--csv") {
      args->csv = true;
      continue;
    }
    if (arg == "--rss") {
      args->rss = true;
      continue;
    }
    std::string_view name = arg;
    std::optional<std::string_view> value;
    if (const size_t eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    if (!value) {
      if (i + 1 >= argc) {
        absl::FPrintF(stderr, "%s: %s needs a value (or is unknown)\n%s", kProgram, name, kUsage);
        return 2;
      }
      value = argv[++i];
    }
    const auto bad = [&](std::string_view what) {
      absl::FPrintF(stderr, "%s: %s must be %s, got '%s'\n", kProgram, name, what, *value);
      return 2;
    };
    int number = 0;
    if (name == "--dataset") {
      if (*value != "beijing" && *value != "iot" && *value != "all") {
        return bad("beijing, iot or all");
      }
      args->dataset = std::string(*value);
    } else if (name == "--datasets") {
      args->datasets_dir = std::string(*value);
    } else if (name == "--write-line-protocol") {
      args->line_protocol_file = std::string(*value);
    } else if (name == "--devices") {
      if (!ParseInt(*value, 1, kMaxFleetDevices, &args->devices)) return bad("1..10000");
    } else if (name == "--hours") {
      if (!ParseInt(*value, 1, 24 * 366, &args->hours)) return bad("1..8784");
    } else if (name == "--partition-hours") {
      if (!ParseInt(*value, 1, 24 * 366, &number)) return bad("1..8784");
      args->partition_hours = number;
    } else if (name == "--rss-hours") {
      if (!ParseInt(*value, 1, 24 * 31, &args->rss_hours)) return bad("1..744");
    } else if (name == "--rss-fields") {
      if (!ParseInt(*value, 1, 100, &args->rss_fields)) return bad("1..100");
    } else {
      absl::FPrintF(stderr, "%s: unknown option %s\n%s", kProgram, arg, kUsage);
      return 2;
    }
  }
  if (!args->line_protocol_file.empty() && args->dataset == "all") {
    absl::FPrintF(stderr, "%s: --write-line-protocol needs --dataset beijing or --dataset iot\n",
                  kProgram);
    return 2;
  }
  return 0;
}

int Main(int argc, char** argv) {
  Args args;
  if (const int status = ParseArgs(argc, argv, &args); status != 0) {
    return status < 0 ? 0 : status;
  }
  if (args.rss) return MeasureRss(args);

  std::vector<std::string> datasets;
  if (args.dataset == "all" || args.dataset == "beijing") datasets.push_back("beijing");
  if (args.dataset == "all" || args.dataset == "iot") datasets.push_back("iot");
  if (args.csv) {
    absl::PrintF(
        "dataset,points,series,ingest_points_per_s,wal_appended_bytes_per_point,size_source,stored_"
        "bytes,"
        "bytes_per_point,dir_bytes_per_point,peak_rss_bytes\n");
  }
  int exit_status = 0;
  for (const std::string& dataset : datasets) {
    absl::StatusOr<Result> result = Measure(args, dataset);
    if (absl::IsNotFound(result.status()) && dataset == "beijing") {
      absl::FPrintF(stderr, "%s: skipping beijing: %s\n", kProgram, result.status().message());
      // No half-written file for a script to load.
      if (!args.line_protocol_file.empty()) std::remove(args.line_protocol_file.c_str());
      continue;
    }
    if (!result.ok()) {
      absl::FPrintF(stderr, "%s: %s: %s\n", kProgram, dataset, result.status().ToString());
      exit_status = 1;
      continue;
    }
    if (args.csv) {
      PrintCsv(*result);
    } else {
      PrintText(*result);
    }
  }
  return exit_status;
}

}  // namespace
}  // namespace edgetsdb::bench

int main(int argc, char** argv) { return edgetsdb::bench::Main(argc, argv); }
