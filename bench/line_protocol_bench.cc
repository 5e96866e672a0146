// Line protocol ingest: how many lines and points per second ParseLineProtocol turns into a
// WriteBatch, and how many bytes per field value that batch costs in the write-ahead log (the
// figure that decides flash wear).
//
//   ./build/bench/line_protocol_bench
//
// Counters: lines/s and points/s (rates), values/s, and wal_bytes_per_value (the batch's rep size
// over its field values: what the log stores, before its record framing).
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "db/line_protocol.h"
#include "edgetsdb/write_batch.h"

namespace edgetsdb {
namespace {

constexpr int64_t kStartNs = 1'700'000'000'000'000'000;
constexpr int64_t kNowNs = 1'700'000'100'000'000'000;
constexpr int kDevices = 100;
constexpr int kLinesPerBody = 5'000;  // About 1 MB of IoT lines: a large HTTP write.

// Readings from kDevices environmental sensors every 10 s, as a gateway would forward them: 12
// fields of mixed types, floats with the decimals their sensors have, values drifting slowly.
std::string IotBody() {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int> step(-3, 3);
  std::string body;
  char line[512];
  for (int i = 0; i < kLinesPerBody; ++i) {
    const int device = i % kDevices;
    const int64_t ts = kStartNs + int64_t{i / kDevices} * 10'000'000'000;
    std::snprintf(
        line, sizeof line,
        "sensors,site=plant1,device=d%04d temperature=%.2f,humidity=%.1f,pressure=%.2f,"
        "co2=%di,voc=%.3f,pm25=%.1f,pm10=%.1f,battery=%.2f,rssi=%di,uptime=%uu,door_open=%s,"
        "status=\"%s\" %lld\n",
        device, 21.53 + 0.01 * step(rng), 40.2 + 0.1 * step(rng), 1013.25 + 0.01 * step(rng),
        600 + step(rng), 0.125 + 0.001 * step(rng), 12.5 + 0.1 * step(rng), 20.1 + 0.1 * step(rng),
        3.71 + 0.01 * step(rng), -67 + step(rng), 86400u + static_cast<unsigned>(i),
        (i % 7 == 0) ? "true" : "false", (i % 50 == 0) ? "recalibrating" : "ok",
        static_cast<long long>(ts));
    body += line;
  }
  return body;
}

// The smallest useful line: one float per point, as a temperature probe sends it.
std::string SimpleBody() {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> step(-20, 20);
  std::string body;
  char line[128];
  for (int i = 0; i < kLinesPerBody; ++i) {
    const int64_t ts = kStartNs + int64_t{i / kDevices} * 1'000'000'000;
    std::snprintf(line, sizeof line, "temp,probe=p%03d value=%.1f %lld\n", i % kDevices,
                  20.0 + 0.1 * step(rng), static_cast<long long>(ts));
    body += line;
  }
  return body;
}

void RunParse(benchmark::State& state, const std::string& body) {
  WriteBatch batch;
  ParseResult result;
  for (auto _ : state) {
    batch.Clear();
    result = ParseLineProtocol(body, Precision::kNanoseconds, kNowNs, &batch);
    benchmark::DoNotOptimize(batch.rep().data());
  }
  if (result.error_count != 0) state.SkipWithError(result.errors[0].reason.c_str());
  const double iterations = static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(body.size()) * state.iterations());
  state.counters["lines/s"] =
      benchmark::Counter(kLinesPerBody * iterations, benchmark::Counter::kIsRate);
  state.counters["points/s"] = benchmark::Counter(static_cast<double>(result.points) * iterations,
                                                  benchmark::Counter::kIsRate);
  state.counters["values/s"] = benchmark::Counter(
      static_cast<double>(batch.value_count()) * iterations, benchmark::Counter::kIsRate);
  state.counters["wal_bytes_per_value"] =
      static_cast<double>(batch.rep().size()) / static_cast<double>(batch.value_count());
  state.counters["text_bytes_per_value"] =
      static_cast<double>(body.size()) / static_cast<double>(batch.value_count());
}

void BM_ParseIotLines(benchmark::State& state) { RunParse(state, IotBody()); }
BENCHMARK(BM_ParseIotLines)->Unit(benchmark::kMillisecond);

void BM_ParseSimpleLines(benchmark::State& state) { RunParse(state, SimpleBody()); }
BENCHMARK(BM_ParseSimpleLines)->Unit(benchmark::kMillisecond);

// Reading a batch back, as log replay and the head's insert path do.
void BM_ReadIotBatch(benchmark::State& state) {
  WriteBatch batch;
  (void)ParseLineProtocol(IotBody(), Precision::kNanoseconds, kNowNs, &batch);
  size_t values = 0;
  for (auto _ : state) {
    values = 0;
    for (WriteBatch::Reader r(batch); r.Next();) values += r.fields().size();
    benchmark::DoNotOptimize(values);
  }
  state.counters["points/s"] = benchmark::Counter(
      static_cast<double>(batch.point_count()) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
  state.counters["values/s"] =
      benchmark::Counter(static_cast<double>(values) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ReadIotBatch)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace edgetsdb

BENCHMARK_MAIN();
