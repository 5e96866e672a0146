// Synthetic sensor fleets for the storage-engine benchmarks (db_ingest_bench, db_scan_bench,
// storage_report): devices that report every field at once, with tags and values shaped like real
// gateway traffic, deterministic for a given seed.
//
// Every device writes measurement "sensor" with tags device=dNNNNN and site=sNN (100 devices per
// site). A field is a random walk over integers counted in units of 10^-decimals, so a float prints
// with at most `decimals` decimals, as a sensor's reading does; a counter only goes up.
#ifndef EDGETSDB_BENCH_SENSOR_FLEET_H_
#define EDGETSDB_BENCH_SENSOR_FLEET_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "edgetsdb/point.h"
#include "edgetsdb/write_batch.h"

namespace edgetsdb::bench {

inline constexpr std::string_view kSensorMeasurement = "sensor";
inline constexpr int kDevicesPerSite = 100;
inline constexpr int kMaxFleetDevices = 100 * kDevicesPerSite;  // Keeps sNN two digits.

struct FieldSpec {
  enum class Kind : uint8_t { kWalk, kCounter };
  std::string key;
  FieldType type = FieldType::kFloat;  // kFloat or kInt.
  Kind kind = Kind::kWalk;
  int decimals = 0;         // Floats only: the value is units / 10^decimals.
  int64_t start_units = 0;  // Every device starts here, plus a per-device offset.
  int max_step = 1;         // A walk moves by -max_step..max_step units; a counter by 1..max_step.
};

// `count` float fields with 2 decimals: one named "value", more named f0, f1, ...
std::vector<FieldSpec> TwoDecimalFields(int count);

// An environmental IoT device: 9 float fields with 1 to 5 decimals and 3 integer fields (one of
// them a counter).
std::vector<FieldSpec> IotDeviceFields();

class SensorFleet {
 public:
  // devices is clamped to 1..kMaxFleetDevices.
  SensorFleet(int devices, std::vector<FieldSpec> fields, uint64_t seed);
  SensorFleet(const SensorFleet&) = delete;
  SensorFleet& operator=(const SensorFleet&) = delete;

  int devices() const { return devices_; }
  size_t fields_per_device() const { return fields_.size(); }
  size_t series() const { return static_cast<size_t>(devices_) * fields_.size(); }
  const std::vector<FieldSpec>& fields() const { return fields_; }

  // device=dNNNNN, site=sNN, sorted by key.
  absl::Span<const TagView> Tags(int device) const { return tags_[device]; }

  // Advances every field of the device by one step and returns the reading. The views stay valid
  // until the next call.
  absl::Span<const FieldView> NextReading(int device);

  // Adds one reading of every device, all at timestamp_ns: one round of the fleet.
  absl::Status AddRound(int64_t timestamp_ns, WriteBatch* batch);

 private:
  // 0..n-1 (n <= 65536), from a table of random numbers filled once: a generator call per value
  // would cost as much as adding the value to a batch.
  int RandomBelow(int n);

  int devices_;
  std::vector<FieldSpec> fields_;
  std::vector<std::string> device_names_, site_names_;  // The views in tags_ point here.
  std::vector<std::vector<TagView>> tags_;
  std::vector<int64_t> units_;  // [device * fields + field]
  std::vector<uint16_t> random_;
  size_t next_random_ = 0;
  std::vector<FieldView> reading_;
};

// Appends one point as InfluxDB line protocol, with the timestamp as given (the caller states its
// precision to the reader). Floats print in the shortest fixed notation that reads back exactly,
// integers with the `i` suffix. Keys and tag values must not need escaping (a sensor fleet's
// and the datasets' do not).
void AppendLineProtocol(std::string_view measurement, absl::Span<const TagView> tags,
                        absl::Span<const FieldView> fields, int64_t timestamp, std::string* out);

}  // namespace edgetsdb::bench

#endif  // EDGETSDB_BENCH_SENSOR_FLEET_H_
