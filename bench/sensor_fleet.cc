#include "bench/sensor_fleet.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <random>
#include <type_traits>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace edgetsdb::bench {
namespace {

// A prime, so that fleets of any size do not walk the table in short cycles.
constexpr size_t kRandomTableSize = 65521;

constexpr std::array<double, 10> kPowersOfTen = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};

}  // namespace

std::vector<FieldSpec> TwoDecimalFields(int count) {
  std::vector<FieldSpec> fields;
  for (int i = 0; i < count; ++i) {
    FieldSpec field;
    field.key = count == 1 ? "value" : absl::StrCat("f", i);
    field.decimals = 2;
    field.start_units = 2000 + 150 * i;  // 20.00, 21.50, ...
    field.max_step = 3;
    fields.push_back(std::move(field));
  }
  return fields;
}

std::vector<FieldSpec> IotDeviceFields() {
  using Kind = FieldSpec::Kind;
  const auto float_field = [](std::string key, int decimals, int64_t start_units, int max_step) {
    return FieldSpec{std::move(key), FieldType::kFloat, Kind::kWalk,
                     decimals,       start_units,       max_step};
  };
  const auto int_field = [](std::string key, Kind kind, int64_t start, int max_step) {
    return FieldSpec{std::move(key), FieldType::kInt, kind, 0, start, max_step};
  };
  return {
      float_field("temperature", 2, 2150, 3),     // 21.50 °C
      float_field("humidity", 1, 452, 2),         // 45.2 %
      float_field("pressure", 2, 101325, 3),      // 1013.25 hPa
      float_field("voltage", 3, 3700, 2),         // 3.700 V
      float_field("current", 4, 1250, 5),         // 0.1250 A
      float_field("power", 1, 4605, 10),          // 460.5 W
      float_field("vibration", 3, 120, 4),        // 0.120 g
      float_field("latitude", 5, 4813512, 2),     // GPS noise around a fixed site
      float_field("longitude", 5, 1158200, 2),    //
      int_field("rssi", Kind::kWalk, -70, 1),     // dBm
      int_field("co2", Kind::kWalk, 600, 5),      // ppm
      int_field("packets", Kind::kCounter, 0, 3)  // sent since boot
  };
}

SensorFleet::SensorFleet(int devices, std::vector<FieldSpec> fields, uint64_t seed)
    : devices_(std::clamp(devices, 1, kMaxFleetDevices)), fields_(std::move(fields)) {
  device_names_.reserve(devices_);
  site_names_.reserve(devices_);
  for (int d = 0; d < devices_; ++d) {
    device_names_.push_back(absl::StrFormat("d%05d", d));
    site_names_.push_back(absl::StrFormat("s%02d", d / kDevicesPerSite));
  }
  for (int d = 0; d < devices_; ++d) {
    tags_.push_back({{"device", device_names_[d]}, {"site", site_names_[d]}});
  }
  std::mt19937_64 rng(seed);
  random_.resize(kRandomTableSize);
  for (uint16_t& r : random_) r = static_cast<uint16_t>(rng());
  units_.resize(series());
  for (int d = 0; d < devices_; ++d) {
    for (size_t f = 0; f < fields_.size(); ++f) {
      const FieldSpec& spec = fields_[f];
      // Devices differ by a few dozen steps, as neighbouring sensors do.
      const int64_t offset = spec.kind == FieldSpec::Kind::kCounter
                                 ? 0
                                 : (RandomBelow(101) - 50) * int64_t{spec.max_step};
      units_[d * fields_.size() + f] = spec.start_units + offset;
    }
  }
  reading_.resize(fields_.size());
}

int SensorFleet::RandomBelow(int n) {
  const uint32_t r = random_[next_random_];
  if (++next_random_ == random_.size()) next_random_ = 0;
  // Multiply-shift maps 16 random bits onto n outcomes without a division.
  return static_cast<int>((r * static_cast<uint32_t>(n)) >> 16);
}

absl::Span<const FieldView> SensorFleet::NextReading(int device) {
  int64_t* units = &units_[device * fields_.size()];
  for (size_t f = 0; f < fields_.size(); ++f) {
    const FieldSpec& spec = fields_[f];
    if (spec.kind == FieldSpec::Kind::kCounter) {
      units[f] += 1 + RandomBelow(spec.max_step);
    } else {
      units[f] += RandomBelow(2 * spec.max_step + 1) - spec.max_step;
    }
    reading_[f].key = spec.key;
    if (spec.type == FieldType::kInt) {
      reading_[f].value = units[f];
    } else {
      // A correctly rounded division gives the double nearest to the decimal, which prints back
      // with at most `decimals` decimals; multiplying by 0.01 would not.
      reading_[f].value = static_cast<double>(units[f]) / kPowersOfTen[spec.decimals];
    }
  }
  return reading_;
}

absl::Status SensorFleet::AddRound(int64_t timestamp_ns, WriteBatch* batch) {
  for (int d = 0; d < devices_; ++d) {
    if (absl::Status s = batch->Add(kSensorMeasurement, Tags(d), NextReading(d), timestamp_ns);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

void AppendLineProtocol(std::string_view measurement, absl::Span<const TagView> tags,
                        absl::Span<const FieldView> fields, int64_t timestamp, std::string* out) {
  // absl::StrAppend takes absl::string_view, which is not std::string_view in Debian's Abseil.
  out->append(measurement);
  for (const TagView& tag : tags) {
    out->push_back(',');
    out->append(tag.key);
    out->push_back('=');
    out->append(tag.value);
  }
  char separator = ' ';
  for (const FieldView& field : fields) {
    out->push_back(separator);
    separator = ',';
    out->append(field.key);
    out->push_back('=');
    std::visit(
        [out](const auto& value) {
          using T = std::decay_t<decltype(value)>;
          if constexpr (std::is_same_v<T, double>) {
            char text[400];  // The longest fixed-notation double is 300-odd characters.
            const auto result =
                std::to_chars(text, text + sizeof text, value, std::chars_format::fixed);
            out->append(text, result.ptr);
          } else if constexpr (std::is_same_v<T, int64_t>) {
            absl::StrAppend(out, value, "i");
          } else if constexpr (std::is_same_v<T, uint64_t>) {
            absl::StrAppend(out, value, "u");
          } else if constexpr (std::is_same_v<T, bool>) {
            out->append(value ? "true" : "false");
          } else {
            out->push_back('"');
            for (char c : value) {
              if (c == '"' || c == '\\') out->push_back('\\');
              out->push_back(c);
            }
            out->push_back('"');
          }
        },
        field.value);
  }
  absl::StrAppend(out, " ", timestamp, "\n");
}

}  // namespace edgetsdb::bench
