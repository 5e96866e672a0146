// Scans: field values per second that Db::Query returns over every series, and that
// Db::QueryWindows aggregates into 1 h windows, after the data was written and flushed to blocks.
//
//   flock /tmp/edgetsdb-build.lock ./build/bench/db_scan_bench --benchmark_repetitions=5
//
// (the lock keeps builds off the cores meanwhile; --benchmark_report_aggregates_only=true prints
// the medians alone; --points=N changes the size of the datasets).
//
// Datasets of N points (field values, default 10,000,000) of 2-decimal random walks
// (bench/sensor_fleet.h), each written once per process into a data directory on disk, then
// Flush()ed and Compact()ed, so that no background compaction runs while the scans are timed:
//   recent_10s: 1,000 devices x 10 fields (10,000 series) every 10 s, ending now: what a dashboard
//        reads. Chunks are cut at the 2 h partition boundaries, so most span two 1 h windows and
//        a window query decodes them: the worst case for summaries.
//   recent_1s: 100 devices x 10 fields (1,000 series) every second, ending now. A 1,024-row chunk
//        spans 17 minutes, so most chunks lie inside one 1 h window and are answered from their
//        summaries.
//   old_1s: the same starting 2024-01-01: compaction has merged it into day blocks recompressed
//        with Zstandard, as it does with everything older than a day plus a partition.
// Flush() and Compact() may return Unimplemented (while they are being built): the benchmark then
// says so on stderr and scans what the engine holds; in_blocks is the share of points in blocks.
//
// Scan/DecodeOnly opens the dataset's block files itself and decodes every chunk (frames
// decompressed, chunks parsed and checksummed, timestamps and values decoded into scratch
// columns reused from chunk to chunk) without building results: what the codec path costs on one
// core, against which Query's materialized vectors, merging and allocation can be judged.
//
// Counters: items_per_second = points returned (Query), aggregated (QueryWindows) or decoded
// (DecodeOnly) per second, one thread; windows = windows returned per series.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/bench_system.h"
#include "bench/sensor_fleet.h"
#include "benchmark/benchmark.h"
#include "compression/chunk.h"
#include "db/block/block_reader.h"
#include "db/block_query.h"
#include "db/env.h"
#include "edgetsdb/db.h"
#include "edgetsdb/options.h"
#include "edgetsdb/write_batch.h"

namespace edgetsdb::bench {
namespace {

constexpr int64_t kOldStartNs = 1'704'067'200'000'000'000;  // 2024-01-01T00:00:00Z
constexpr int64_t kHourNs = 3'600'000'000'000;
constexpr char kDatabase[] = "scan";

uint64_t points_wanted = 10'000'000;

struct DatasetSpec {
  const char* name;
  int devices;
  int fields;
  int64_t interval_ns;
  bool recent;  // Ends now; else starts at kOldStartNs.
};

constexpr DatasetSpec kDatasets[] = {
    {"recent_10s", 1'000, 10, 10'000'000'000, true},
    {"recent_1s", 100, 10, 1'000'000'000, true},
    {"old_1s", 100, 10, 1'000'000'000, false},
};

// Says what an unimplemented maintenance call means for the figures; other errors stop the load.
absl::Status Maintain(const char* what, const absl::Status& status, const DatasetSpec& spec) {
  if (absl::IsUnimplemented(status)) {
    std::fprintf(stderr,
                 "db_scan_bench: NOTE: %s is not implemented yet (%s); dataset %s is "
                 "scanned as the engine holds it without it\n",
                 what, std::string(status.message()).c_str(), spec.name);
    return absl::OkStatus();
  }
  return status;
}

struct LoadedDb {
  ScratchDir dir;  // Declared first: removed after the Db closes.
  std::unique_ptr<Db> db;
  uint64_t points = 0;
  double in_blocks = 0;  // Share of the points in blocks after Flush() and Compact().
};

absl::StatusOr<std::unique_ptr<LoadedDb>> Load(const DatasetSpec& spec) {
  auto dir = ScratchDir::Create(absl::StrCat("edgetsdb-scan-", spec.name));
  if (!dir.ok()) return dir.status();
  Options options;
  options.durability = Durability::kNone;  // A bulk load: the log's syncs are not measured here.
  auto db = Db::Open(options, dir->path() + "/db");
  if (!db.ok()) return db.status();
  auto loaded = std::make_unique<LoadedDb>(LoadedDb{*std::move(dir), *std::move(db)});

  SensorFleet fleet(spec.devices, TwoDecimalFields(spec.fields), /*seed=*/7);
  const uint64_t rounds = std::max<uint64_t>(1, points_wanted / fleet.series());
  const int64_t span = static_cast<int64_t>(rounds - 1) * spec.interval_ns;
  const int64_t start =
      spec.recent ? WallClockNs() / spec.interval_ns * spec.interval_ns - span : kOldStartNs;
  WriteBatch batch;
  for (uint64_t round = 0; round < rounds; ++round) {
    batch.Clear();
    const int64_t timestamp = start + static_cast<int64_t>(round) * spec.interval_ns;
    if (absl::Status s = fleet.AddRound(timestamp, &batch); !s.ok()) return s;
    if (absl::Status s = loaded->db->Write(kDatabase, batch); !s.ok()) return s;
  }
  loaded->points = rounds * fleet.series();
  if (absl::Status s = Maintain("Flush()", loaded->db->Flush(), spec); !s.ok()) return s;
  if (absl::Status s = Maintain("Compact()", loaded->db->Compact(), spec); !s.ok()) return s;

  uint64_t block_points = 0, blocks = 0, partitions = 0;
  for (const DatabaseInfo& info : loaded->db->DescribeStorage()) {
    partitions += info.partitions.size();
    for (const PartitionInfo& partition : info.partitions) {
      block_points += partition.points;
      blocks += partition.blocks;
    }
  }
  loaded->in_blocks = static_cast<double>(block_points) / static_cast<double>(loaded->points);
  std::fprintf(stderr,
               "db_scan_bench: dataset %s: %llu points, %.0f%% in %llu blocks of %llu partitions, "
               "in %s (%s)\n",
               spec.name, static_cast<unsigned long long>(loaded->points), 100 * loaded->in_blocks,
               static_cast<unsigned long long>(blocks), static_cast<unsigned long long>(partitions),
               loaded->dir.path().c_str(), FileSystemOf(loaded->dir.path()).c_str());
  return loaded;
}

// Each dataset is written once per process, on first use, and shared by every benchmark and
// repetition that reads it; main() closes them and removes their directories.
std::map<std::string, std::unique_ptr<LoadedDb>>& LoadedDatasets() {
  static std::map<std::string, std::unique_ptr<LoadedDb>> loaded;
  return loaded;
}

absl::StatusOr<LoadedDb*> Dataset(const DatasetSpec& spec) {
  auto& loaded = LoadedDatasets();
  auto it = loaded.find(spec.name);
  if (it == loaded.end()) {
    auto db = Load(spec);
    if (!db.ok()) return db.status();
    it = loaded.emplace(spec.name, *std::move(db)).first;
  }
  return it->second.get();
}

SeriesSelector EverySeries() {
  SeriesSelector selector;
  selector.database = kDatabase;
  selector.measurement = std::string(kSensorMeasurement);
  return selector;
}

void QueryAll(benchmark::State& state, const DatasetSpec& spec) {
  auto dataset = Dataset(spec);
  if (!dataset.ok()) return state.SkipWithError(dataset.status().ToString().c_str());
  Db& db = *(*dataset)->db;
  const SeriesSelector selector = EverySeries();
  uint64_t returned = 0;
  for (auto _ : state) {
    auto result = db.Query(selector);
    if (!result.ok()) return state.SkipWithError(result.status().ToString().c_str());
    returned = 0;
    for (const SeriesData& series : *result) returned += series.timestamps.size();
    benchmark::DoNotOptimize(returned);
  }
  if (returned != (*dataset)->points) {
    return state.SkipWithError(
        absl::StrFormat("Query returned %d points of %d", returned, (*dataset)->points).c_str());
  }
  state.SetItemsProcessed(static_cast<int64_t>(returned * state.iterations()));
  state.counters["in_blocks"] = (*dataset)->in_blocks;
}

void QueryWindows1h(benchmark::State& state, const DatasetSpec& spec) {
  auto dataset = Dataset(spec);
  if (!dataset.ok()) return state.SkipWithError(dataset.status().ToString().c_str());
  Db& db = *(*dataset)->db;
  const SeriesSelector selector = EverySeries();
  WindowSpec windows;
  windows.width_ns = kHourNs;
  windows.aggregates = {Aggregate::kCount, Aggregate::kMean, Aggregate::kMin, Aggregate::kMax};
  uint64_t counted = 0;
  double windows_per_series = 0;
  for (auto _ : state) {
    auto result = db.QueryWindows(selector, windows);
    if (!result.ok()) return state.SkipWithError(result.status().ToString().c_str());
    counted = 0;
    size_t window_count = 0;
    for (const WindowSeries& series : *result) {
      for (double count : series.results[0]) counted += static_cast<uint64_t>(count);
      window_count += series.window_starts.size();
    }
    windows_per_series =
        result->empty() ? 0
                        : static_cast<double>(window_count) / static_cast<double>(result->size());
    benchmark::DoNotOptimize(counted);
  }
  if (counted != (*dataset)->points) {
    return state.SkipWithError(
        absl::StrFormat("windows count %d points of %d", counted, (*dataset)->points).c_str());
  }
  state.SetItemsProcessed(static_cast<int64_t>(counted * state.iterations()));
  state.counters["windows"] = windows_per_series;
  state.counters["in_blocks"] = (*dataset)->in_blocks;
}

// Decodes every chunk of the block; returns the field values decoded, or the first error.
absl::StatusOr<uint64_t> DecodeBlock(const BlockReader& block, BlockScan* scan,
                                     std::vector<int64_t>* timestamps,
                                     compression::Column* values) {
  uint64_t decoded = 0;
  for (uint32_t id = 0; id < block.group_count(); ++id) {
    const BlockGroup group = block.group(id);
    for (const ChunkRef& ref : group.timestamp_chunks) {  // Shared by the group's fields.
      absl::StatusOr<std::string_view> bytes = scan->ReadChunk(block, ref);
      if (!bytes.ok()) return bytes.status();
      absl::StatusOr<compression::ParsedChunk> chunk = compression::ParseChunk(*bytes);
      if (!chunk.ok()) return chunk.status();
      if (absl::Status s = compression::DecodeChunkTimestamps(*chunk, timestamps); !s.ok()) {
        return s;
      }
    }
    for (const BlockField& field : group.fields) {
      for (const ChunkRef& ref : field.chunks) {
        // Values appended to a column cleared per chunk: no allocation once it has grown.
        absl::StatusOr<std::string_view> bytes = scan->ReadChunk(block, ref);
        if (!bytes.ok()) return bytes.status();
        absl::StatusOr<compression::ParsedChunk> chunk = compression::ParseChunk(*bytes);
        if (!chunk.ok()) return chunk.status();
        if (!field.shared_timestamps) {
          if (absl::Status s = compression::DecodeChunkTimestamps(*chunk, timestamps); !s.ok()) {
            return s;
          }
        }
        std::visit([](auto& v) { v.clear(); }, values[static_cast<int>(field.type)]);
        if (absl::Status s =
                compression::DecodeChunkValuesInto(*chunk, &values[static_cast<int>(field.type)]);
            !s.ok()) {
          return s;
        }
        decoded += ref.count;
      }
    }
  }
  return decoded;
}

void DecodeOnly(benchmark::State& state, const DatasetSpec& spec) {
  auto dataset = Dataset(spec);
  if (!dataset.ok()) return state.SkipWithError(dataset.status().ToString().c_str());
  std::vector<std::unique_ptr<BlockReader>> blocks;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator((*dataset)->dir.path() + "/db")) {
    if (entry.path().extension() != ".blk") continue;
    auto block = BlockReader::Open(Env::Default(), entry.path().string());
    if (!block.ok()) return state.SkipWithError(block.status().ToString().c_str());
    blocks.push_back(*std::move(block));
  }
  std::vector<int64_t> timestamps;
  // One scratch column per field type, in FieldType order.
  compression::Column values[] = {std::vector<double>(), std::vector<int64_t>(),
                                  std::vector<uint64_t>(), std::vector<uint8_t>(),
                                  std::vector<std::string>()};
  uint64_t decoded = 0;
  for (auto _ : state) {
    decoded = 0;
    for (const auto& block : blocks) {
      BlockScan scan;
      auto n = DecodeBlock(*block, &scan, &timestamps, values);
      if (!n.ok()) return state.SkipWithError(n.status().ToString().c_str());
      decoded += *n;
    }
    benchmark::DoNotOptimize(decoded);
  }
  state.SetItemsProcessed(static_cast<int64_t>(decoded * state.iterations()));
  state.counters["blocks"] = static_cast<double>(blocks.size());
  // 1 when every point the dataset holds in blocks was decoded once.
  state.counters["decoded"] = static_cast<double>(decoded) /
                              (static_cast<double>((*dataset)->points) * (*dataset)->in_blocks);
}

void RegisterAll() {
  for (const DatasetSpec& spec : kDatasets) {
    benchmark::RegisterBenchmark(absl::StrCat("Scan/Query/", spec.name).c_str(), QueryAll, spec)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(absl::StrCat("Scan/QueryWindows1h/", spec.name).c_str(),
                                 QueryWindows1h, spec)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(absl::StrCat("Scan/DecodeOnly/", spec.name).c_str(), DecodeOnly,
                                 spec)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
}

// --points=N, left in argv by benchmark::Initialize. Returns false on a bad value.
bool ParseOwnFlags(int* argc, char** argv) {
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    constexpr std::string_view kFlag = "--points=";
    std::string_view arg = argv[i];
    if (!arg.starts_with(kFlag)) {
      argv[kept++] = argv[i];
      continue;
    }
    arg.remove_prefix(kFlag.size());
    const auto result = std::from_chars(arg.data(), arg.data() + arg.size(), points_wanted);
    if (result.ec != std::errc() || result.ptr != arg.data() + arg.size() || points_wanted == 0) {
      std::fprintf(stderr, "db_scan_bench: --points needs a positive number, got '%s'\n", argv[i]);
      return false;
    }
  }
  *argc = kept;
  return true;
}

}  // namespace
}  // namespace edgetsdb::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (!edgetsdb::bench::ParseOwnFlags(&argc, argv)) return 1;
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("points_per_dataset", absl::StrCat(edgetsdb::bench::points_wanted));
  edgetsdb::bench::RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  edgetsdb::bench::LoadedDatasets().clear();
  benchmark::Shutdown();
  return 0;
}
