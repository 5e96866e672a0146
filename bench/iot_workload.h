// The IoT workload of the HTTP macro benchmark (bench/iot_bench.cc), modelled on TSBS's `iot` use
// case: a fleet of devices that report a dozen readings every 10 s over a gateway, as InfluxDB line
// protocol bodies ready to POST to /write, deterministic for a given seed.
//
//   readings,device=d0042,fleet=east,model=h2,site=s00
//   temperature=21.53,humidity=45.2,...,status=0i 1704067212345000000
//
// - Tags: device dNNNN, site sNN (devices_per_site consecutive devices each), fleet (north, south,
//   east, west) and model (f150, g2000, h2) drawn per device.
// - Fields, 12 a line (the "12-field lines" of the InfluxDB figure): 8 floats with 1 or 2 decimals
//   and 4 integers, random walks from bench/sensor_fleet.h (one integer a counter), and a status
//   code that is 0 but for rare faults that last a few readings.
// - Time: each device keeps its own phase in the 10 s slot and each reading is jittered around it
//   at millisecond granularity, so a device's readings stay in time order while the fleet's
//   interleave; timestamps are written in nanoseconds (no precision parameter needed). Within a
//   slot lines are sent in time order.
// - Late data: a late_fraction of the readings reach the gateway late, between one interval and
//   max_late after their time (a device that was offline for a while), and are sent with the
//   bodies of that later time. Every reading is sent exactly once.
#ifndef EDGETSDB_BENCH_IOT_WORKLOAD_H_
#define EDGETSDB_BENCH_IOT_WORKLOAD_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <queue>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/sensor_fleet.h"
#include "edgetsdb/point.h"

namespace edgetsdb::bench {

inline constexpr std::string_view kIotMeasurement = "readings";
inline constexpr int64_t kNanosPerSecond = 1'000'000'000;
inline constexpr int64_t kNanosPerHour = 3600 * kNanosPerSecond;
// 2024-01-01T00:00:00Z: a fixed default so that two runs write the same bytes.
inline constexpr int64_t kIotDefaultStartNs = 1'704'067'200 * kNanosPerSecond;

struct IotWorkloadOptions {
  int devices = 1000;  // 1..kMaxFleetDevices.
  int devices_per_site = 50;
  int64_t start_ns = kIotDefaultStartNs;
  int64_t duration_ns = 24 * kNanosPerHour;  // Whole intervals of it are generated.
  int64_t interval_ns = 10 * kNanosPerSecond;
  // A reading lands within +/-max_jitter_ns of its device's phase; under half an interval.
  int64_t max_jitter_ns = 500'000'000;
  double late_fraction = 0.01;  // 0..1.
  int64_t max_late_ns = 1800 * kNanosPerSecond;
  size_t lines_per_body = 5000;
  uint64_t seed = 1;
};

// InvalidArgument unless the options describe a workload (ranges above, at least one interval).
absl::Status ValidateIotWorkloadOptions(const IotWorkloadOptions& options);

// The fields of a line, in the order they are written.
std::vector<FieldSpec> IotReadingFields();
inline constexpr int kIotFieldsPerLine = 12;

// "d0042", "s03".
std::string IotDeviceName(int device);
std::string IotSiteName(int site);

// Produces the workload's bodies one after the other. Not thread-safe.
class IotWorkload {
 public:
  static absl::StatusOr<std::unique_ptr<IotWorkload>> Create(const IotWorkloadOptions& options);
  IotWorkload(const IotWorkload&) = delete;
  IotWorkload& operator=(const IotWorkload&) = delete;

  // Replaces *body with the next lines_per_body lines (fewer for the last body). False, and *body
  // empty, when every line has been produced.
  bool NextBody(std::string* body);

  const IotWorkloadOptions& options() const { return options_; }
  int64_t rounds() const { return rounds_; }  // Readings per device.
  size_t total_lines() const { return static_cast<size_t>(rounds_) * options_.devices; }
  size_t total_points() const { return total_lines() * kIotFieldsPerLine; }
  int sites() const { return (options_.devices - 1) / options_.devices_per_site + 1; }
  // Produced so far; late_lines counts the readings sent after later ones.
  size_t lines_produced() const { return lines_produced_; }
  size_t late_lines_produced() const { return late_lines_produced_; }

 private:
  struct LateLine {
    int64_t due_ns;  // When the gateway sends it.
    uint64_t order;  // Ties keep the order they were delayed in.
    std::string text;
    bool operator>(const LateLine& other) const {
      return due_ns != other.due_ns ? due_ns > other.due_ns : order > other.order;
    }
  };

  explicit IotWorkload(const IotWorkloadOptions& options);
  uint64_t RandomBelow(uint64_t n) { return rng_() % n; }  // The bias is immaterial here.
  // Fills ready_ with the next slot's lines (and the late ones that fall due); false at the end.
  bool FillNextSlot();
  void AppendReading(int device, int64_t timestamp_ns, std::string* out);

  IotWorkloadOptions options_;
  int64_t rounds_ = 0;
  SensorFleet fleet_;
  // std::mt19937_64's sequence is fixed by the standard; the distributions are not, so the
  // workload maps raw draws itself.
  std::mt19937_64 rng_;
  uint64_t late_threshold_ = 0;                         // A draw below it makes a reading late.
  std::vector<std::string> device_names_, site_names_;  // The views in tags_ point here.
  std::vector<std::vector<TagView>> tags_;
  std::vector<int64_t> phase_ns_;
  std::vector<int64_t> status_;
  std::vector<FieldView> fields_;
  int64_t next_round_ = 0;
  std::vector<std::pair<int64_t, int>> slot_order_;  // (timestamp, device) of the current slot.
  std::priority_queue<LateLine, std::vector<LateLine>, std::greater<>> late_;
  uint64_t late_order_ = 0;
  std::string ready_;  // Lines produced but not yet handed out.
  size_t ready_lines_ = 0;
  size_t ready_offset_ = 0;
  size_t lines_produced_ = 0;
  size_t late_lines_produced_ = 0;
};

// One of the four timed queries, with what a correct answer holds.
struct IotQuery {
  std::string
      name;  // Short, for tables and CSV: lastpoint, device_day_1m, site_hour_max, raw_hour.
  std::string description;
  std::string influxql;
  size_t expected_series;
  size_t expected_rows;  // Over all series, null rows included (InfluxDB's fill(null)).
};

// The four queries against the workload described by options (which must be valid): last point
// per device; 1-minute means of one device over its first day; per-site max over all devices for
// an hour; the raw points of one series over an hour. The hour is the one at the middle of the
// data, the device d0042 (or the last one in smaller fleets).
std::vector<IotQuery> IotQueries(const IotWorkloadOptions& options);

}  // namespace edgetsdb::bench

#endif  // EDGETSDB_BENCH_IOT_WORKLOAD_H_
