// The query engine in-process, on the HTTP benchmark's IoT workload (bench/iot_workload.h): the
// four typical queries of iot_bench, timed through QueryEngine::Execute and FormatJson, so that the
// engine's share of a query's latency is measured without HTTP.
//
//   query_bench [--devices N] [--hours H] [benchmark flags]
//
// Defaults: 1,000 devices, 6 hours at 10 s (26 M points), written, flushed and compacted first.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "bench/bench_system.h"
#include "bench/iot_workload.h"
#include "db/line_protocol.h"
#include "edgetsdb/db.h"
#include "query/engine.h"
#include "query/result_format.h"

namespace edgetsdb::bench {
namespace {

struct Fixture {
  std::unique_ptr<ScratchDir> dir;
  std::unique_ptr<Db> db;
  std::unique_ptr<query::QueryEngine> engine;
  std::vector<IotQuery> queries;
  int64_t now_ns = 0;
};

Fixture* fixture = nullptr;

absl::Status Load(const IotWorkloadOptions& options) {
  auto dir = ScratchDir::Create("edgetsdb-query-bench");
  if (!dir.ok()) return dir.status();
  fixture->dir = std::make_unique<ScratchDir>(*std::move(dir));
  Options db_options;
  db_options.durability = Durability::kNone;  // Loading is not what is measured.
  auto db = Db::Open(db_options, fixture->dir->path() + "/db");
  if (!db.ok()) return db.status();
  fixture->db = *std::move(db);
  auto workload = IotWorkload::Create(options);
  if (!workload.ok()) return workload.status();
  std::string body;
  WriteBatch batch;
  while ((*workload)->NextBody(&body)) {
    batch.Clear();
    ParseResult parsed = ParseLineProtocol(body, Precision::kNanoseconds, 0, &batch);
    if (parsed.error_count != 0) return absl::InternalError(parsed.errors[0].reason);
    if (absl::Status s = fixture->db->Write("iot", batch); !s.ok()) return s;
  }
  if (absl::Status s = fixture->db->Compact(); !s.ok()) return s;
  fixture->engine = std::make_unique<query::QueryEngine>(fixture->db.get(), query::QueryLimits());
  fixture->queries = IotQueries(options);
  fixture->now_ns = options.start_ns + options.duration_ns;
  return absl::OkStatus();
}

void RunQuery(benchmark::State& state, size_t index) {
  const IotQuery& q = fixture->queries[index];
  query::QueryRequest request;
  request.text = q.influxql;
  request.database = "iot";
  request.now_ns = fixture->now_ns;
  size_t rows = 0;
  for (auto _ : state) {
    auto results = fixture->engine->Execute(request);
    if (!results.ok() || results->empty() || !(*results)[0].error.empty()) {
      state.SkipWithError(results.ok()
                              ? (results->empty() ? "no result" : (*results)[0].error.c_str())
                              : results.status().ToString().c_str());
      return;
    }
    rows = 0;
    for (const auto& series : (*results)[0].series) rows += series.values.size();
    std::string json = query::FormatJson(*results, {.epoch = query::Epoch::kNanoseconds});
    benchmark::DoNotOptimize(json.data());
  }
  state.counters["rows"] = static_cast<double>(rows);
}

}  // namespace
}  // namespace edgetsdb::bench

int main(int argc, char** argv) {
  using namespace edgetsdb::bench;
  IotWorkloadOptions options;
  options.duration_ns = 6 * kNanosPerHour;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--devices") == 0 && i + 1 < argc) {
      options.devices = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--hours") == 0 && i + 1 < argc) {
      options.duration_ns = std::atoll(argv[++i]) * kNanosPerHour;
    } else {
      continue;
    }
    argv[i - 1] = argv[i] = const_cast<char*>("");  // Google Benchmark ignores empty arguments.
  }
  benchmark::Initialize(&argc, argv);
  Fixture storage;
  fixture = &storage;
  if (absl::Status s = Load(options); !s.ok()) {
    std::fprintf(stderr, "query_bench: loading the workload: %s\n", s.ToString().c_str());
    return 1;
  }
  for (size_t i = 0; i < fixture->queries.size(); ++i) {
    benchmark::RegisterBenchmark(absl::StrCat("Query/", fixture->queries[i].name).c_str(), RunQuery,
                                 i)
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
