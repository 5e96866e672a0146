// Every codec against every real series in the shared datasets folder, read as compression_report
// reads it. The other codec tests pin the formats' corner cases; these catch what real data does
// that nobody thought to synthesize. The folder is not part of the repository: without it, these
// tests are skipped.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "bench/csv_table.h"
#include "compression/codec.h"
#include "compression/float_codec.h"
#include "compression/timestamp_codec.h"
#include "gtest/gtest.h"

namespace edgetsdb::compression {
namespace {

namespace fs = std::filesystem;

// The chunk size the storage engine cuts series into, and so the one the codecs are tuned for.
constexpr size_t kChunkValues = 1024;

#if defined(__SANITIZE_ADDRESS__)
// The sanitizer build is a Debug build, where encoding every value four times takes minutes. The
// first values of each column still exercise every file's kind of data.
constexpr size_t kMaxValuesPerSeries = 20'000;
#else
constexpr size_t kMaxValuesPerSeries = std::numeric_limits<size_t>::max();
#endif

struct DataFile {
  std::string name;  // Relative to the datasets folder.
  bench::Table table;
};

// Every data file of the datasets folder, parsed once per process (the folder holds ~40 MB of
// text), or nothing when the folder is absent.
const std::vector<DataFile>& Datasets() {
  static const std::vector<DataFile>* const datasets = [] {
    auto* files = new std::vector<DataFile>;
    const fs::path root = EDGETSDB_DATASETS_DIR;
    if (!fs::is_directory(root)) return files;
    const bench::DataFiles listed = bench::ListDataFiles({root.string()});
    for (const bench::PathProblem& problem : listed.problems) {
      ADD_FAILURE() << problem.path << ": " << problem.detail;
    }
    for (const fs::path& path : listed.files) {
      absl::StatusOr<bench::Table> table = bench::ReadTable(path);
      EXPECT_TRUE(table.ok()) << path << ": " << table.status();
      if (table.ok()) {
        files->push_back({fs::relative(path, root).string(), *std::move(table)});
      }
    }
    return files;
  }();
  return *datasets;
}

template <typename T>
absl::Span<const T> Sample(const std::vector<T>& values) {
  return absl::MakeConstSpan(values).first(std::min(values.size(), kMaxValuesPerSeries));
}

template <typename T>
uint64_t Bits(T value) {
  static_assert(sizeof(T) == sizeof(uint64_t));
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

// Compares bit patterns, not values, so that NaN payloads and -0.0 count.
template <typename T>
testing::AssertionResult BitExact(absl::Span<const T> want, const std::vector<T>& got) {
  if (got.size() != want.size()) {
    return testing::AssertionFailure()
           << "decoded " << got.size() << " values, want " << want.size();
  }
  for (size_t i = 0; i < want.size(); ++i) {
    if (Bits(got[i]) != Bits(want[i])) {
      return testing::AssertionFailure() << "value " << i << ": want bits 0x" << std::hex
                                         << Bits(want[i]) << ", got 0x" << Bits(got[i]);
    }
  }
  return testing::AssertionSuccess();
}

struct FloatCodecChoice {
  const char* name;
  Codec codec;     // Ignored when automatic.
  bool automatic;  // EncodeFloatsAuto picks the codec per chunk.
};

constexpr FloatCodecChoice kGorilla = {"gorilla", Codec::kFloatGorilla, false};
constexpr FloatCodecChoice kAuto = {"auto", Codec::kNone, true};
constexpr FloatCodecChoice kFloatCodecChoices[] = {
    kGorilla,
    {"chimp128", Codec::kFloatChimp128, false},
    {"decimal", Codec::kFloatDecimal, false},
    kAuto,
};

// Encodes `values` chunk by chunk as the storage engine would, checks that every chunk decodes to
// the same bits, and returns the encoded size in bytes. Reports the first bad chunk only.
size_t RoundTripFloats(absl::Span<const double> values, const FloatCodecChoice& choice,
                       const std::string& where) {
  size_t bytes = 0;
  std::string encoded;
  std::vector<double> decoded;
  for (size_t start = 0; start < values.size(); start += kChunkValues) {
    const absl::Span<const double> chunk = values.subspan(start, kChunkValues);
    encoded.clear();
    Codec codec = choice.codec;
    if (choice.automatic) {
      codec = EncodeFloatsAuto(chunk, &encoded);
    } else {
      EncodeFloats(codec, chunk, &encoded);
    }
    bytes += encoded.size();
    const absl::Status status = DecodeFloats(codec, encoded, chunk.size(), &decoded);
    if (!status.ok()) {
      ADD_FAILURE() << where << ", " << choice.name << ", chunk at value " << start << ": "
                    << status;
      return bytes;
    }
    if (testing::AssertionResult same = BitExact(chunk, decoded); !same) {
      ADD_FAILURE() << where << ", " << choice.name << ", chunk at value " << start << ": "
                    << same.message();
      return bytes;
    }
  }
  return bytes;
}

TEST(DatasetsTest, EveryFloatCodecRoundTripsEveryNumericColumnBitExactly) {
  if (Datasets().empty()) GTEST_SKIP() << EDGETSDB_DATASETS_DIR << " not found";
  size_t columns = 0;
  for (const DataFile& file : Datasets()) {
    for (const bench::NumericColumn& column : file.table.numeric_columns) {
      ++columns;
      for (const FloatCodecChoice& choice : kFloatCodecChoices) {
        RoundTripFloats(Sample(column.values), choice, file.name + ", column " + column.name);
      }
    }
  }
  EXPECT_GT(columns, 0u);
}

TEST(DatasetsTest, TimestampCodecRoundTripsEveryTimestampSeries) {
  if (Datasets().empty()) GTEST_SKIP() << EDGETSDB_DATASETS_DIR << " not found";
  size_t series = 0;
  std::string encoded;
  std::vector<int64_t> decoded;
  for (const DataFile& file : Datasets()) {
    if (!file.table.timestamps) continue;
    ++series;
    const absl::Span<const int64_t> nanos = Sample(file.table.timestamps->nanos);
    for (size_t start = 0; start < nanos.size(); start += kChunkValues) {
      const absl::Span<const int64_t> chunk = nanos.subspan(start, kChunkValues);
      encoded.clear();
      EncodeTimestamps(chunk, &encoded);
      const absl::Status status = DecodeTimestamps(encoded, chunk.size(), &decoded);
      ASSERT_TRUE(status.ok()) << file.name << ", chunk at " << start << ": " << status;
      ASSERT_TRUE(BitExact(chunk, decoded)) << file.name << ", chunk at " << start;
    }
  }
  // The UCI folders have date-time and date-part columns.
  EXPECT_GT(series, 0u);
}

// The point of the automatic choice, on the series that the Chimp, Elf and ALP papers compare on.
// Sizes are deterministic, so unlike a speed check this cannot flake. The ratio is 0.42 today.
TEST(DatasetsTest, AutoChoiceTakesAtMost45PercentOfGorillasBitsOnElfBenchmark) {
  const std::string kFolder = "elf-fp-benchmark";
  double gorilla_bits = 0;
  double auto_bits = 0;
  size_t columns = 0;
  for (const DataFile& file : Datasets()) {
    if (!file.name.starts_with(kFolder + "/")) continue;
    for (const bench::NumericColumn& column : file.table.numeric_columns) {
      ++columns;
      const std::string where = file.name + ", column " + column.name;
      // Whole columns even under the sanitizers: a prefix would measure something else.
      const double values = static_cast<double>(column.values.size());
      gorilla_bits += RoundTripFloats(column.values, kGorilla, where) * 8.0 / values;
      auto_bits += RoundTripFloats(column.values, kAuto, where) * 8.0 / values;
    }
  }
  if (columns == 0) GTEST_SKIP() << kFolder << " not found in " << EDGETSDB_DATASETS_DIR;
  const double gorilla_mean = gorilla_bits / static_cast<double>(columns);
  const double auto_mean = auto_bits / static_cast<double>(columns);
  EXPECT_LE(auto_mean, 0.45 * gorilla_mean)
      << "mean bits per value over " << columns << " columns: auto " << auto_mean << ", gorilla "
      << gorilla_mean;
}

}  // namespace
}  // namespace edgetsdb::compression
