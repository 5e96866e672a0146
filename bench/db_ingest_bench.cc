// Embedded ingest: field values per second through Db::Write on one writer thread, into a data
// directory on the real disk (see bench_system.h; the file system is printed in the context).
//
//   flock /tmp/edgetsdb-build.lock ./build/bench/db_ingest_bench --benchmark_repetitions=5
//
// (the lock keeps builds off the cores meanwhile; --benchmark_report_aggregates_only=true prints
// the medians alone).
//
// A batch is one round of a sensor fleet: 10,000 series at one timestamp, the next round 10 s
// later, the last about now, in two shapes: 10,000 devices with one float field ("10000x1") and
// 1,000 devices with 10 float fields ("1000x10"), all 2-decimal random walks
// (bench/sensor_fleet.h). Measured two ways, since a real caller builds its batch too:
//   Write          Db::Write alone; the batch is built with the timer paused.
//   BuildAndWrite  WriteBatch::Add for every point, then Db::Write.
// for each durability: kInterval (the log synced every 100 ms by a background thread), kSync (one
// fsync per batch: the writer waits for it) and kNone (no sync; the cost of the log and head
// alone). Times are wall-clock, so a sync's wait counts.
//
// Each run opens a fresh database and writes kWarmupRounds untimed first, so that every series
// exists and has sealed its first run, as on a gateway that has been running for a while.
//
// Counters: items_per_second = field values ("points") per second; wal_bytes_per_point = bytes the
// log appends per point (flash wear); syncs_per_batch. The head flushes itself to blocks when it
// outgrows Options::max_head_bytes, inside Write: that cost is part of the rate. Memory is
// measured by storage_report --rss.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/bench_system.h"
#include "bench/sensor_fleet.h"
#include "benchmark/benchmark.h"
#include "edgetsdb/db.h"
#include "edgetsdb/options.h"
#include "edgetsdb/write_batch.h"

namespace edgetsdb::bench {
namespace {

constexpr int64_t kRoundNs = 10'000'000'000;  // 10 s
constexpr int kSeries = 10'000;
// One more round than the head keeps rows uncompressed (HeadOptions::max_open_rows = 64).
constexpr int kWarmupRounds = 65;
// 300 rounds of 10,000 points: every run seals each series' open run four times, and the same
// work is done by every repetition (no iteration estimate that varies with machine load).
constexpr int kTimedRounds = 300;

enum class Timed { kWrite, kBuildAndWrite };

struct Shape {
  int devices;
  int fields;
};

std::string DurabilityName(Durability durability) {
  switch (durability) {
    case Durability::kSync:
      return "Sync";
    case Durability::kInterval:
      return "Interval";
    case Durability::kNone:
      return "None";
  }
  return "?";
}

void Ingest(benchmark::State& state, Timed timed, Durability durability, Shape shape) {
  auto dir = ScratchDir::Create("edgetsdb-ingest");
  if (!dir.ok()) {
    state.SkipWithError(dir.status().ToString().c_str());
    return;
  }
  Options options;
  options.durability = durability;
  auto opened = Db::Open(options, dir->path() + "/db");
  if (!opened.ok()) {
    state.SkipWithError(opened.status().ToString().c_str());
    return;
  }
  std::unique_ptr<Db> db = *std::move(opened);
  SensorFleet fleet(shape.devices, TwoDecimalFields(shape.fields), /*seed=*/42);
  WriteBatch batch;
  // The data ends about now, as a live gateway's does: older data would be due for compaction at
  // once and the engine would recompress it meanwhile.
  int64_t timestamp =
      WallClockNs() / kRoundNs * kRoundNs - (kWarmupRounds + kTimedRounds) * kRoundNs;
  const auto build = [&] {
    batch.Clear();
    absl::Status s = fleet.AddRound(timestamp, &batch);
    timestamp += kRoundNs;
    return s;
  };
  const auto fail = [&](const absl::Status& s) { state.SkipWithError(s.ToString().c_str()); };

  for (int i = 0; i < kWarmupRounds; ++i) {
    absl::Status s = build();
    if (s.ok()) s = db->Write("bench", batch);
    if (!s.ok()) return fail(s);
  }
  const DbStats before = db->GetStats();
  for (auto _ : state) {
    if (timed == Timed::kWrite) state.PauseTiming();
    if (absl::Status s = build(); !s.ok()) return fail(s);
    if (timed == Timed::kWrite) state.ResumeTiming();
    if (absl::Status s = db->Write("bench", batch); !s.ok()) return fail(s);
  }
  const DbStats after = db->GetStats();

  const double batches = static_cast<double>(state.iterations());
  const double points = batches * static_cast<double>(fleet.series());
  state.SetItemsProcessed(static_cast<int64_t>(points));
  state.counters["wal_bytes_per_point"] =
      static_cast<double>(after.wal_bytes_appended - before.wal_bytes_appended) / points;
  state.counters["syncs_per_batch"] =
      static_cast<double>(after.wal_syncs - before.wal_syncs) / batches;
}

void RegisterAll() {
  const Shape shapes[] = {{kSeries, 1}, {kSeries / 10, 10}};
  const Durability durabilities[] = {Durability::kInterval, Durability::kSync, Durability::kNone};
  for (Timed timed : {Timed::kWrite, Timed::kBuildAndWrite}) {
    for (Durability durability : durabilities) {
      for (Shape shape : shapes) {
        const std::string name =
            absl::StrCat("Ingest/", timed == Timed::kWrite ? "Write" : "BuildAndWrite", "/",
                         DurabilityName(durability), "/", shape.devices, "x", shape.fields);
        benchmark::RegisterBenchmark(name.c_str(), Ingest, timed, durability, shape)
            ->Iterations(kTimedRounds)
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
      }
    }
  }
}

// Says where the data directories go, and refuses a memory file system, where fsync is free and
// the kSync figures would mean nothing.
bool DescribeDataDirectory() {
  auto probe = ScratchDir::Create("edgetsdb-ingest-probe");
  if (!probe.ok()) {
    std::fprintf(stderr, "db_ingest_bench: %s\n", probe.status().ToString().c_str());
    return false;
  }
  const std::string where = absl::StrFormat("%s (%s)", probe->path(), FileSystemOf(probe->path()));
  benchmark::AddCustomContext("data_dir", where);
  if (IsMemoryFileSystem(probe->path())) {
    std::fprintf(stderr,
                 "db_ingest_bench: %s is in memory; set EDGETSDB_BENCH_DIR to a directory on "
                 "the disk to measure\n",
                 where.c_str());
    return false;
  }
  return true;
}

}  // namespace
}  // namespace edgetsdb::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (!edgetsdb::bench::DescribeDataDirectory()) return 1;
  edgetsdb::bench::RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
