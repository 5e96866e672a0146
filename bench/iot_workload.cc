#include "bench/iot_workload.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace edgetsdb::bench {
namespace {

constexpr int64_t kNanosPerMilli = 1'000'000;
constexpr int64_t kNanosPerMinute = 60 * kNanosPerSecond;
constexpr int64_t kNanosPerDay = 24 * kNanosPerHour;
constexpr int64_t kMaxDurationNs = 366 * kNanosPerDay;
constexpr int kStatusField = kIotFieldsPerLine - 1;

// TSBS's iot trucks come in four fleets and three models; drawn per device.
constexpr std::array<std::string_view, 4> kFleets = {"north", "south", "east", "west"};
constexpr std::array<std::string_view, 3> kModels = {"f150", "g2000", "h2"};

// A status code leaves 0 about once per 5,000 readings (14 hours at 10 s) and returns after 20
// readings on average.
constexpr uint64_t kFaultOneIn = 5000;
constexpr uint64_t kRecoveryOneIn = 20;
constexpr int kStatusCodes = 3;

// The device whose series the single-device queries read.
constexpr int kQueriedDevice = 42;
constexpr std::string_view kQueriedField = "temperature";

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

std::string Rfc3339(int64_t ns) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", absl::FromUnixNanos(ns), absl::UTCTimeZone());
}

}  // namespace

absl::Status ValidateIotWorkloadOptions(const IotWorkloadOptions& o) {
  const auto bad = [](std::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("iot workload: ", std::string(what)));
  };
  if (o.devices < 1 || o.devices > kMaxFleetDevices) {
    return bad(absl::StrCat("devices must be 1..", kMaxFleetDevices));
  }
  if (o.devices_per_site < 1) return bad("devices_per_site must be at least 1");
  if (o.start_ns < 0) return bad("start must not be before 1970");
  // Whole milliseconds that divide an hour, so that an hour holds a known number of readings.
  if (o.interval_ns < kNanosPerMilli || o.interval_ns % kNanosPerMilli != 0 ||
      kNanosPerHour % o.interval_ns != 0) {
    return bad("the interval must be whole milliseconds that divide an hour");
  }
  if (o.max_jitter_ns < 0 || o.max_jitter_ns % kNanosPerMilli != 0 ||
      2 * o.max_jitter_ns >= o.interval_ns) {
    return bad("the jitter must be whole milliseconds, under half the interval");
  }
  if (o.duration_ns < o.interval_ns || o.duration_ns > kMaxDurationNs) {
    return bad("the duration must be one interval to 366 days");
  }
  if (!(o.late_fraction >= 0 && o.late_fraction <= 1)) return bad("late_fraction must be 0..1");
  if (o.late_fraction > 0 && (o.max_late_ns < o.interval_ns || o.max_late_ns > kNanosPerDay)) {
    return bad("max_late must be one interval to one day");
  }
  if (o.lines_per_body < 1) return bad("lines_per_body must be at least 1");
  return absl::OkStatus();
}

std::vector<FieldSpec> IotReadingFields() {
  using Kind = FieldSpec::Kind;
  const auto float_field = [](std::string key, int decimals, int64_t start_units, int max_step) {
    return FieldSpec{std::move(key), FieldType::kFloat, Kind::kWalk,
                     decimals,       start_units,       max_step};
  };
  const auto int_field = [](std::string key, Kind kind, int64_t start, int max_step) {
    return FieldSpec{std::move(key), FieldType::kInt, kind, 0, start, max_step};
  };
  std::vector<FieldSpec> fields = {
      float_field("temperature", 2, 2150, 3),     // 21.50 °C
      float_field("humidity", 1, 452, 2),         // 45.2 %
      float_field("pressure", 1, 10132, 2),       // 1013.2 hPa
      float_field("voltage", 2, 1240, 2),         // 12.40 V
      float_field("current", 2, 352, 3),          // 3.52 A
      float_field("power", 1, 4369, 10),          // 436.9 W
      float_field("speed", 1, 600, 4),            // 60.0 km/h
      float_field("fuel", 1, 632, 1),             // 63.2 %
      int_field("rssi", Kind::kWalk, -70, 1),     // dBm
      int_field("load", Kind::kWalk, 40, 1),      // %
      int_field("packets", Kind::kCounter, 0, 3)  // sent since boot
  };
  // The fleet holds the status at 0 (a walk of step 0); IotWorkload sets it.
  fields.push_back(int_field("status", Kind::kWalk, 0, 0));
  return fields;
}

std::string IotDeviceName(int device) { return absl::StrFormat("d%04d", device); }
std::string IotSiteName(int site) { return absl::StrFormat("s%02d", site); }

absl::StatusOr<std::unique_ptr<IotWorkload>> IotWorkload::Create(
    const IotWorkloadOptions& options) {
  if (absl::Status s = ValidateIotWorkloadOptions(options); !s.ok()) return s;
  return std::unique_ptr<IotWorkload>(new IotWorkload(options));
}

IotWorkload::IotWorkload(const IotWorkloadOptions& options)
    : options_(options),
      rounds_(options.duration_ns / options.interval_ns),
      fleet_(options.devices, IotReadingFields(), options.seed),
      // Not the fleet's seed: its table and these draws would run in step.
      rng_(options.seed ^ 0x9e3779b97f4a7c15),
      late_threshold_(static_cast<uint64_t>(std::llround(options.late_fraction * 1e6))) {
  const int devices = options_.devices;
  device_names_.reserve(devices);
  site_names_.reserve(devices);
  for (int d = 0; d < devices; ++d) {
    device_names_.push_back(IotDeviceName(d));
    site_names_.push_back(IotSiteName(d / options_.devices_per_site));
  }
  const int64_t interval_ms = options_.interval_ns / kNanosPerMilli;
  const int64_t jitter_ms = options_.max_jitter_ns / kNanosPerMilli;
  for (int d = 0; d < devices; ++d) {
    const std::string_view fleet = kFleets[RandomBelow(kFleets.size())];
    const std::string_view model = kModels[RandomBelow(kModels.size())];
    tags_.push_back({{"device", device_names_[d]},
                     {"fleet", fleet},
                     {"model", model},
                     {"site", site_names_[d]}});
    // Far enough from the slot's edges that no jitter moves a reading out of its slot.
    phase_ns_.push_back(
        (jitter_ms + static_cast<int64_t>(RandomBelow(interval_ms - 2 * jitter_ms))) *
        kNanosPerMilli);
  }
  status_.assign(devices, 0);
  slot_order_.reserve(devices);
}

void IotWorkload::AppendReading(int device, int64_t timestamp_ns, std::string* out) {
  const absl::Span<const FieldView> reading = fleet_.NextReading(device);
  fields_.assign(reading.begin(), reading.end());
  int64_t& status = status_[device];
  if (status == 0) {
    if (RandomBelow(kFaultOneIn) == 0) status = 1 + static_cast<int64_t>(RandomBelow(kStatusCodes));
  } else if (RandomBelow(kRecoveryOneIn) == 0) {
    status = 0;
  }
  fields_[kStatusField].value = status;
  AppendLineProtocol(kIotMeasurement, tags_[device], fields_, timestamp_ns, out);
}

bool IotWorkload::FillNextSlot() {
  if (next_round_ == rounds_) {
    if (late_.empty()) return false;
    // Readings whose delay runs past the end are sent last, as a gateway's backlog would be.
    while (!late_.empty()) {
      ready_.append(late_.top().text);
      late_.pop();
      ++ready_lines_;
      ++late_lines_produced_;
    }
    return true;
  }
  const int64_t slot_ns = options_.start_ns + next_round_ * options_.interval_ns;
  const int64_t slot_end_ns = slot_ns + options_.interval_ns;
  const int64_t jitter_ms = options_.max_jitter_ns / kNanosPerMilli;
  slot_order_.clear();
  for (int d = 0; d < options_.devices; ++d) {
    const int64_t jitter =
        (static_cast<int64_t>(RandomBelow(2 * jitter_ms + 1)) - jitter_ms) * kNanosPerMilli;
    slot_order_.emplace_back(slot_ns + phase_ns_[d] + jitter, d);
  }
  std::sort(slot_order_.begin(), slot_order_.end());

  const auto send_late_until = [this](int64_t until_ns) {
    while (!late_.empty() && late_.top().due_ns < until_ns) {
      ready_.append(late_.top().text);
      late_.pop();
      ++ready_lines_;
      ++late_lines_produced_;
    }
  };
  const int64_t late_span_ms = (options_.max_late_ns - options_.interval_ns) / kNanosPerMilli + 1;
  for (const auto& [timestamp_ns, device] : slot_order_) {
    send_late_until(timestamp_ns);
    if (late_threshold_ > 0 && RandomBelow(1'000'000) < late_threshold_) {
      LateLine late;
      late.due_ns = timestamp_ns + options_.interval_ns +
                    static_cast<int64_t>(RandomBelow(late_span_ms)) * kNanosPerMilli;
      late.order = late_order_++;
      AppendReading(device, timestamp_ns, &late.text);
      late_.push(std::move(late));
      continue;
    }
    AppendReading(device, timestamp_ns, &ready_);
    ++ready_lines_;
  }
  send_late_until(slot_end_ns);
  ++next_round_;
  return true;
}

bool IotWorkload::NextBody(std::string* body) {
  body->clear();
  size_t lines = 0;
  while (lines < options_.lines_per_body) {
    if (ready_lines_ == 0) {
      ready_.clear();
      ready_offset_ = 0;
      if (!FillNextSlot()) break;
      continue;
    }
    // Take whole lines from what the slots produced: all of them when they fit.
    size_t end = ready_.size();
    size_t taken = ready_lines_;
    if (lines + ready_lines_ > options_.lines_per_body) {
      end = ready_offset_;
      for (taken = 0; lines + taken < options_.lines_per_body; ++taken) {
        end = ready_.find('\n', end) + 1;
      }
    }
    body->append(ready_, ready_offset_, end - ready_offset_);
    ready_offset_ = end;
    ready_lines_ -= taken;
    lines += taken;
  }
  lines_produced_ += lines;
  return lines > 0;
}

std::vector<IotQuery> IotQueries(const IotWorkloadOptions& options) {
  const int64_t rounds = options.duration_ns / options.interval_ns;
  const int64_t end_ns = options.start_ns + rounds * options.interval_ns;
  const int sites = (options.devices - 1) / options.devices_per_site + 1;
  const std::string device = IotDeviceName(std::min(kQueriedDevice, options.devices - 1));
  const std::string field(kQueriedField);

  const int64_t day_end_ns = options.start_ns + kNanosPerDay;
  const int64_t minutes =
      FloorDiv(day_end_ns - 1, kNanosPerMinute) - FloorDiv(options.start_ns, kNanosPerMinute) + 1;
  // The hour in the middle of the data; its readings are whole slots, since the interval
  // divides an hour.
  const int64_t hour_ns =
      options.start_ns + (end_ns - options.start_ns) / 2 / kNanosPerHour * kNanosPerHour;
  const int64_t hour_end_ns = hour_ns + kNanosPerHour;
  const int64_t hour_rows = (std::min(hour_end_ns, end_ns) - hour_ns) / options.interval_ns;

  std::vector<IotQuery> queries;
  // last(*) is the one-call form InfluxDB 1.x has for "the latest of every field"; it returns one
  // row per device with a last_<field> column each.
  queries.push_back(
      {"lastpoint", "last point per device",
       absl::StrCat("SELECT last(*) FROM ", std::string(kIotMeasurement), " GROUP BY device"),
       static_cast<size_t>(options.devices), static_cast<size_t>(options.devices)});
  queries.push_back(
      {"device_day_1m", "1-minute means of one device over a day",
       absl::StrCat("SELECT mean(", field, ") FROM ", std::string(kIotMeasurement),
                    " WHERE device='", device, "' AND time >= '", Rfc3339(options.start_ns),
                    "' AND time < '", Rfc3339(day_end_ns), "' GROUP BY time(1m)"),
       1, static_cast<size_t>(minutes)});
  queries.push_back({"site_hour_max", "per-site max over all devices for an hour",
                     absl::StrCat("SELECT max(", field, ") FROM ", std::string(kIotMeasurement),
                                  " WHERE time >= '", Rfc3339(hour_ns), "' AND time < '",
                                  Rfc3339(hour_end_ns), "' GROUP BY site"),
                     static_cast<size_t>(sites), static_cast<size_t>(sites)});
  queries.push_back({"raw_hour", "raw points of one series over an hour",
                     absl::StrCat("SELECT ", field, " FROM ", std::string(kIotMeasurement),
                                  " WHERE device='", device, "' AND time >= '", Rfc3339(hour_ns),
                                  "' AND time < '", Rfc3339(hour_end_ns), "'"),
                     1, static_cast<size_t>(hour_rows)});
  return queries;
}

}  // namespace edgetsdb::bench
