// The data model: InfluxDB's, so that line protocol, MQTT and CoAP payloads map onto it directly.
//
// A point has a measurement, a tag set (string key=value pairs; order does not matter, they are
// kept sorted), one or more fields (float, int, uint, bool or string), and a timestamp in
// nanoseconds since the Unix epoch. A series is measurement + tag set + field key.
#ifndef EDGETSDB_INCLUDE_EDGETSDB_POINT_H_
#define EDGETSDB_INCLUDE_EDGETSDB_POINT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace edgetsdb {

// A field value. The alternative's index is its type: keep in step with FieldType.
using FieldValue = std::variant<double, int64_t, uint64_t, bool, std::string>;

enum class FieldType : uint8_t { kFloat = 0, kInt = 1, kUint = 2, kBool = 3, kString = 4 };

inline FieldType TypeOf(const FieldValue& value) { return static_cast<FieldType>(value.index()); }

// InfluxDB's names of the types ("float", "integer", "unsigned", "boolean", "string"), as SHOW
// FIELD KEYS and type-conflict errors print them.
inline std::string_view FieldTypeName(FieldType type) {
  switch (type) {
    case FieldType::kFloat:
      return "float";
    case FieldType::kInt:
      return "integer";
    case FieldType::kUint:
      return "unsigned";
    case FieldType::kBool:
      return "boolean";
    case FieldType::kString:
      return "string";
  }
  return "unknown";
}

// Views used when adding points: they point into the caller's memory for the duration of the call.
struct TagView {
  std::string_view key;
  std::string_view value;
};

struct FieldView {
  std::string_view key;
  // A string value is viewed, not owned.
  std::variant<double, int64_t, uint64_t, bool, std::string_view> value;
};

// Limits that every ingest path enforces (InfluxDB's are similar; they bound memory per point).
inline constexpr size_t kMaxNameBytes = 64 * 1024;  // Measurement, tag and field keys.
inline constexpr size_t kMaxTagValueBytes = 64 * 1024;
inline constexpr size_t kMaxStringFieldBytes = 64 * 1024;
inline constexpr size_t kMaxTagsPerPoint = 256;
inline constexpr size_t kMaxFieldsPerPoint = 1024;

}  // namespace edgetsdb

#endif  // EDGETSDB_INCLUDE_EDGETSDB_POINT_H_
