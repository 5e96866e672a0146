// Encode and decode speed of every codec on one core, in values per second (the items_per_second
// column). Inputs are cut into chunks of kChunkValues, the storage engine's default chunk, and
// every chunk is encoded separately, so per-chunk headers and codec choice are part of the cost.
//
// Float inputs: City-temp and Stocks-DE from ../shared/datasets/elf-fp-benchmark when present (two
// ends of the spectrum: one-decimal temperatures, three-decimal prices), plus a synthetic
// random walk with two decimals that is always available. A decode benchmark whose codec fails to
// round-trip its input is reported as an error instead of a speed.

#include <benchmark/benchmark.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "compression/codec.h"
#include "compression/float_codec.h"
#include "compression/integer_codec.h"
#include "compression/timestamp_codec.h"

#ifndef EDGETSDB_DATASETS_DIR
#define EDGETSDB_DATASETS_DIR "../shared/datasets"
#endif

namespace edgetsdb::bench {
namespace {

using compression::Codec;

constexpr size_t kChunkValues = 1024;
// 64 chunks (512 KiB of doubles) per input: enough variety across a file, small enough that a
// pass stays in L2/L3 like the chunk a query decodes.
constexpr size_t kMaxChunks = 64;
constexpr size_t kSyntheticValues = kChunkValues * kMaxChunks;

// Deterministic across standard libraries: std::*_distribution is not.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi]; the modulo bias is irrelevant for benchmark inputs.
  int64_t Uniform(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }

 private:
  uint64_t state_;
};

// One value per line; lines that are not numbers (the files have blank ones) are skipped.
std::vector<double> ReadValues(const std::string& path, size_t max_values) {
  std::vector<double> values;
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return values;
  char line[256];
  while (values.size() < max_values && std::fgets(line, sizeof(line), file) != nullptr) {
    std::string_view s(line);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) {
      s.remove_suffix(1);
    }
    double v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && ptr == s.data() + s.size() && !s.empty()) values.push_back(v);
  }
  std::fclose(file);
  return values;
}

// Prices in cents, as a double with two decimals: what a decimal codec should find.
std::vector<double> RandomWalk2Decimals() {
  SplitMix64 rng(42);
  std::vector<double> values;
  int64_t cents = 10'000;
  for (size_t i = 0; i < kSyntheticValues; ++i) {
    cents += rng.Uniform(-100, 100);
    values.push_back(static_cast<double>(cents) / 100);
  }
  return values;
}

// 10 s spacing from 2023-11-14, in nanoseconds.
constexpr int64_t kStartNanos = int64_t{1'700'000'000} * 1'000'000'000;
constexpr int64_t kIntervalNanos = int64_t{10} * 1'000'000'000;

std::vector<int64_t> RegularTimestamps() {
  std::vector<int64_t> ts;
  for (size_t i = 0; i < kSyntheticValues; ++i) {
    ts.push_back(kStartNanos + static_cast<int64_t>(i) * kIntervalNanos);
  }
  return ts;
}

// +-100 ms of jitter at millisecond resolution: edge devices stamp readings in milliseconds and
// their schedulers wake up late or early by that much.
std::vector<int64_t> JitteredTimestamps() {
  SplitMix64 rng(7);
  std::vector<int64_t> ts;
  for (size_t i = 0; i < kSyntheticValues; ++i) {
    ts.push_back(kStartNanos + static_cast<int64_t>(i) * kIntervalNanos +
                 rng.Uniform(-100, 100) * 1'000'000);
  }
  return ts;
}

// A monotonically increasing counter (packets, energy): small non-negative increments.
std::vector<uint64_t> Counter() {
  SplitMix64 rng(11);
  std::vector<uint64_t> values;
  uint64_t v = 1'000'000;
  for (size_t i = 0; i < kSyntheticValues; ++i) {
    v += static_cast<uint64_t>(rng.Uniform(0, 50));
    values.push_back(v);
  }
  return values;
}

// A signed random walk around zero, passed as two's complement bits.
std::vector<uint64_t> IntRandomWalk() {
  SplitMix64 rng(13);
  std::vector<uint64_t> values;
  int64_t v = 0;
  for (size_t i = 0; i < kSyntheticValues; ++i) {
    v += rng.Uniform(-1000, 1000);
    values.push_back(static_cast<uint64_t>(v));
  }
  return values;
}

template <typename T>
std::vector<absl::Span<const T>> Chunks(const std::vector<T>& values) {
  std::vector<absl::Span<const T>> chunks;
  for (size_t i = 0; i < values.size(); i += kChunkValues) {
    chunks.push_back(absl::MakeConstSpan(values).subspan(i, kChunkValues));
  }
  return chunks;
}

// An encode function: appends the chunk's encoding and returns the codec to decode it with.
template <typename T>
using EncodeFn = Codec (*)(absl::Span<const T>, std::string*);
template <typename T>
using DecodeFn = absl::Status (*)(Codec, std::string_view, size_t, std::vector<T>*);

template <typename T>
struct Encoded {
  std::vector<std::string> streams;
  std::vector<Codec> codecs;
  size_t bytes = 0;
};

template <typename T>
Encoded<T> EncodeAll(const std::vector<absl::Span<const T>>& chunks, EncodeFn<T> encode) {
  Encoded<T> e;
  e.streams.resize(chunks.size());
  for (size_t i = 0; i < chunks.size(); ++i) {
    e.codecs.push_back(encode(chunks[i], &e.streams[i]));
    e.bytes += e.streams[i].size();
  }
  return e;
}

void SetCounters(benchmark::State& state, size_t values, size_t bytes) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(values));
  state.counters["bits_per_value"] =
      values == 0 ? 0 : static_cast<double>(bytes) * 8 / static_cast<double>(values);
}

template <typename T>
void BM_Encode(benchmark::State& state, const std::vector<T>* values, EncodeFn<T> encode) {
  const std::vector<absl::Span<const T>> chunks = Chunks(*values);
  std::vector<std::string> streams(chunks.size());
  size_t bytes = 0;
  for (auto _ : state) {
    bytes = 0;
    for (size_t i = 0; i < chunks.size(); ++i) {
      streams[i].clear();  // Keeps the capacity, as a writer reusing its buffer does.
      benchmark::DoNotOptimize(encode(chunks[i], &streams[i]));
      bytes += streams[i].size();
    }
    benchmark::ClobberMemory();
  }
  SetCounters(state, values->size(), bytes);
}

template <typename T>
void BM_Decode(benchmark::State& state, const std::vector<T>* values, EncodeFn<T> encode,
               DecodeFn<T> decode) {
  const std::vector<absl::Span<const T>> chunks = Chunks(*values);
  const Encoded<T> encoded = EncodeAll(chunks, encode);
  std::vector<T> out;
  // A speed is only worth reporting for a decoder that gives the values back, bit for bit.
  for (size_t i = 0; i < chunks.size(); ++i) {
    const absl::Status status =
        decode(encoded.codecs[i], encoded.streams[i], chunks[i].size(), &out);
    if (!status.ok()) {
      state.SkipWithError(absl::StrCat("decode failed: ", status.ToString()).c_str());
      return;
    }
    if (out.size() != chunks[i].size() ||
        std::memcmp(out.data(), chunks[i].data(), out.size() * sizeof(T)) != 0) {
      state.SkipWithError(absl::StrCat("chunk ", i, " does not round-trip").c_str());
      return;
    }
  }
  size_t failures = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < chunks.size(); ++i) {
      failures += !decode(encoded.codecs[i], encoded.streams[i], chunks[i].size(), &out).ok();
      benchmark::DoNotOptimize(out.data());
    }
    benchmark::ClobberMemory();
  }
  if (failures > 0) {
    state.SkipWithError("a repeated decode failed");
    return;
  }
  SetCounters(state, values->size(), encoded.bytes);
}

// Fixed-codec adapters, so that every encoder has the EncodeFn shape.
template <Codec kCodec>
Codec EncodeFloatsWith(absl::Span<const double> values, std::string* out) {
  compression::EncodeFloats(kCodec, values, out);
  return kCodec;
}

Codec EncodeFloatsAuto(absl::Span<const double> values, std::string* out) {
  return compression::EncodeFloatsAuto(values, out);
}

Codec EncodeTimestamps(absl::Span<const int64_t> values, std::string* out) {
  compression::EncodeTimestamps(values, out);
  return Codec::kTimestampDeltaOfDelta;
}

absl::Status DecodeTimestamps(Codec, std::string_view data, size_t count,
                              std::vector<int64_t>* out) {
  return compression::DecodeTimestamps(data, count, out);
}

Codec EncodeUnsignedAuto(absl::Span<const uint64_t> values, std::string* out) {
  return compression::EncodeIntegersAuto(values, /*is_signed=*/false, out);
}

Codec EncodeSignedAuto(absl::Span<const uint64_t> values, std::string* out) {
  return compression::EncodeIntegersAuto(values, /*is_signed=*/true, out);
}

template <typename T>
void Register(const std::string& name, const std::vector<T>* values, EncodeFn<T> encode,
              DecodeFn<T> decode) {
  benchmark::RegisterBenchmark(("Encode/" + name).c_str(), BM_Encode<T>, values, encode);
  benchmark::RegisterBenchmark(("Decode/" + name).c_str(), BM_Decode<T>, values, encode, decode);
}

struct Inputs {
  std::vector<std::pair<std::string, std::vector<double>>> floats;
  std::vector<int64_t> regular = RegularTimestamps();
  std::vector<int64_t> jittered = JitteredTimestamps();
  std::vector<uint64_t> counter = Counter();
  std::vector<uint64_t> int_walk = IntRandomWalk();
};

void RegisterAll(Inputs& inputs) {
  for (std::string_view name : {"City-temp", "Stocks-DE"}) {
    const std::string path =
        absl::StrCat(EDGETSDB_DATASETS_DIR, "/elf-fp-benchmark/", std::string(name), ".csv");
    std::vector<double> values = ReadValues(path, kChunkValues * kMaxChunks);
    if (values.empty()) {
      std::fprintf(stderr, "codec_bench: %s not found or empty, skipping it\n", path.c_str());
      continue;
    }
    inputs.floats.emplace_back(std::string(name), std::move(values));
  }
  inputs.floats.emplace_back("RandomWalk2Decimals", RandomWalk2Decimals());

  const DecodeFn<double> decode_floats = &compression::DecodeFloats;
  for (const auto& [name, values] : inputs.floats) {
    Register<double>("Gorilla/" + name, &values, &EncodeFloatsWith<Codec::kFloatGorilla>,
                     decode_floats);
    Register<double>("Chimp128/" + name, &values, &EncodeFloatsWith<Codec::kFloatChimp128>,
                     decode_floats);
    Register<double>("Decimal/" + name, &values, &EncodeFloatsWith<Codec::kFloatDecimal>,
                     decode_floats);
    Register<double>("Auto/" + name, &values, &EncodeFloatsAuto, decode_floats);
  }
  Register<int64_t>("Timestamps/Regular10s", &inputs.regular, &EncodeTimestamps, &DecodeTimestamps);
  Register<int64_t>("Timestamps/Jitter100ms", &inputs.jittered, &EncodeTimestamps,
                    &DecodeTimestamps);
  const DecodeFn<uint64_t> decode_integers = &compression::DecodeIntegers;
  Register<uint64_t>("IntegersAuto/Counter", &inputs.counter, &EncodeUnsignedAuto, decode_integers);
  Register<uint64_t>("IntegersAuto/RandomWalk", &inputs.int_walk, &EncodeSignedAuto,
                     decode_integers);
}

}  // namespace
}  // namespace edgetsdb::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // Registered benchmarks keep pointers into the inputs: they live until main returns.
  edgetsdb::bench::Inputs inputs;
  edgetsdb::bench::RegisterAll(inputs);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
