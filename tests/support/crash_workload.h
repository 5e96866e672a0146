// The workload of the black-box crash test (tests/db/crash_test.cc): the batches its child process
// (tests/db/crash_writer_main.cc) writes, and the file in which the child records each
// acknowledgement. Batch b is a pure function of (seed, b), so the parent regenerates exactly what
// an acknowledged batch held from its number alone.
//
// The batches exercise what recovery must get right: devices of two measurements, every field type,
// points that carry only some of their fields (last write wins field by field), points out of time
// order, and points that overwrite timestamps of earlier batches or that later batches overwrite.
#ifndef EDGETSDB_TESTS_SUPPORT_CRASH_WORKLOAD_H_
#define EDGETSDB_TESTS_SUPPORT_CRASH_WORKLOAD_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/support/points.h"

namespace edgetsdb::testing {

inline constexpr char kCrashDatabase[] = "crash";
inline constexpr char kCrashMeasurements[][6] = {"env", "power"};

// One acknowledgement record: the batch number in fixed-width decimal and a newline. Fixed width,
// so that the parent counts acknowledgements by the file's size and a record cut short stands out.
inline constexpr size_t kAckDigits = 12;
inline constexpr size_t kAckRecordBytes = kAckDigits + 1;

inline std::string EncodeAck(uint64_t batch) {
  std::string digits = std::to_string(batch);
  return std::string(kAckDigits - std::min(digits.size(), kAckDigits), '0') + digits + '\n';
}

// The batch numbers of the whole records in contents, in order; a trailing partial record is not
// one. DataLoss for a whole record that is not a number.
inline absl::StatusOr<std::vector<uint64_t>> ParseAcks(std::string_view contents) {
  std::vector<uint64_t> batches;
  for (size_t pos = 0; pos + kAckRecordBytes <= contents.size(); pos += kAckRecordBytes) {
    const std::string_view record = contents.substr(pos, kAckRecordBytes);
    uint64_t batch = 0;
    if (record.back() != '\n' ||
        !absl::SimpleAtoi(std::string(record.substr(0, kAckDigits)), &batch)) {
      return absl::DataLossError(absl::StrCat("acknowledgement record ", pos / kAckRecordBytes,
                                              " is not a batch number: ", std::string(record)));
    }
    batches.push_back(batch);
  }
  return batches;
}

// Batch b owns the time slots [b * kSlotsPerBatch, (b + 1) * kSlotsPerBatch) from kCrashStart, and
// its points mostly land there; about 1 in 4 lands in a slot of an earlier or a later batch.
inline constexpr int64_t kCrashStart = int64_t{1'764'000'000} * 1'000'000'000;
inline constexpr uint64_t kSlotsPerBatch = 16;
inline constexpr int64_t kSlotNanos = 100'000'000;
inline constexpr uint64_t kMaxPointsPerBatch = 24;

inline std::vector<Point> CrashBatch(uint64_t seed, uint64_t batch) {
  // mt19937_64's output is fixed by the standard (the distributions' is not), so that the parent
  // and the child agree on every batch.
  std::mt19937_64 rng(seed ^ (batch * 0xd6e8feb86659fd93u));
  const auto below = [&rng](uint64_t n) { return rng() % n; };
  std::vector<Point> points(1 + below(kMaxPointsPerBatch));
  for (Point& p : points) {
    uint64_t owner = batch;
    switch (below(8)) {
      case 0:  // Anywhere before: overwrites whatever is there.
        owner = below(batch + 1);
        break;
      case 1:  // Recently: out of order within the open run.
        owner = batch - below(std::min<uint64_t>(batch, 3) + 1);
        break;
      case 2:  // Ahead: later batches overwrite it.
        owner = batch + 1 + below(3);
        break;
      default:
        break;
    }
    p.timestamp = kCrashStart +
                  static_cast<int64_t>(owner * kSlotsPerBatch + below(kSlotsPerBatch)) * kSlotNanos;
    // Each point carries a non-empty subset of its measurement's four fields.
    const uint64_t fields = 1 + below(15);
    if (below(2) == 0) {
      const uint64_t device = below(6);
      p.measurement = kCrashMeasurements[0];
      p.tags = {{"device", absl::StrCat("d", device)}, {"site", absl::StrCat("s", device % 2)}};
      if (fields & 1) {
        p.fields.emplace_back("temp", static_cast<double>(below(200'001)) / 100 - 1000);
      }
      if (fields & 2) p.fields.emplace_back("count", static_cast<int64_t>(rng()));
      if (fields & 4) p.fields.emplace_back("on", below(2) == 1);
      if (fields & 8) {
        p.fields.emplace_back("state", below(4) == 0
                                           ? absl::StrCat("code-", below(100'000), "-", batch)
                                           : std::string(below(2) ? "ok" : "warn"));
      }
    } else {
      p.measurement = kCrashMeasurements[1];
      p.tags = {{"line", absl::StrCat("l", below(3))}};
      if (fields & 1) {
        p.fields.emplace_back("watts", static_cast<double>(below(1'000'000)) / 10);
      }
      if (fields & 2) p.fields.emplace_back("energy", rng());
      if (fields & 4) p.fields.emplace_back("phase", absl::StrCat("L", 1 + below(3)));
      if (fields & 8) p.fields.emplace_back("ok", below(8) != 0);
    }
  }
  return points;
}

}  // namespace edgetsdb::testing

#endif  // EDGETSDB_TESTS_SUPPORT_CRASH_WORKLOAD_H_
