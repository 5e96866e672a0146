// WriteBatch: points to be written together, in the compact form the write-ahead log stores
// (docs/format/write_batch.md). Every ingest path builds one: the embedded API directly, HTTP, MQTT
// and CoAP through the line protocol parser (db/line_protocol.h) or their payload parsers.
//
// Threads: a batch is not thread-safe; build it on one thread, then hand it to Db::Write, which
// only reads it. Copyable and movable.
#ifndef EDGETSDB_INCLUDE_EDGETSDB_WRITE_BATCH_H_
#define EDGETSDB_INCLUDE_EDGETSDB_WRITE_BATCH_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "edgetsdb/point.h"

namespace edgetsdb {

class WriteBatch {
 public:
  WriteBatch();

  // Adds one point. Tags may come in any order; they are stored sorted by key. InvalidArgument
  // (and the batch unchanged) when: the measurement, a tag key or value, or a field key is empty
  // or over its limit (point.h); a tag key repeats; there is no field or too many; a float field
  // is NaN or infinite (line protocol cannot carry them). A field key that repeats keeps its last
  // value, as InfluxDB does.
  absl::Status Add(std::string_view measurement, absl::Span<const TagView> tags,
                   absl::Span<const FieldView> fields, int64_t timestamp_ns);

  // Points added so far, and field values (one per series point) across them.
  size_t point_count() const { return point_count_; }
  size_t value_count() const { return value_count_; }
  bool empty() const { return point_count_ == 0; }
  void Clear();

  // The serialized form (docs/format/write_batch.md), as the write-ahead log stores it.
  std::string_view rep() const { return rep_; }
  // Replaces the contents with a serialized batch; DataLoss if it does not parse completely.
  absl::Status SetRep(std::string_view rep);

  // Reads the points back in order:
  //   for (WriteBatch::Reader r(batch); r.Next();) { ... r.measurement() ... }
  //   if (!r.status().ok()) ...   // DataLoss: only after SetRep of unchecked bytes.
  // Views stay valid until the next call to Next, or until the batch changes.
  class Reader {
   public:
    explicit Reader(const WriteBatch& batch);
    bool Next();
    absl::Status status() const { return status_; }

    // The canonical series key (measurement and sorted tags, docs/format/write_batch.md): equal
    // for equal measurement and tag set, whatever order the tags were added in.
    std::string_view series_key() const { return series_key_; }
    std::string_view measurement() const { return measurement_; }
    absl::Span<const TagView> tags() const { return tags_; }
    absl::Span<const FieldView> fields() const { return fields_; }
    int64_t timestamp() const { return timestamp_; }

   private:
    std::string_view input_;  // What remains of the rep.
    size_t remaining_points_ = 0;
    absl::Status status_;
    std::vector<std::string_view> series_keys_;  // Keys seen so far, for back references.
    std::vector<std::string_view> field_keys_;
    std::string_view series_key_;
    std::string_view measurement_;
    std::vector<TagView> tags_;
    std::vector<FieldView> fields_;
    int64_t timestamp_ = 0;
  };

 private:
  std::string rep_;
  size_t point_count_ = 0;
  size_t value_count_ = 0;
};

}  // namespace edgetsdb

#endif  // EDGETSDB_INCLUDE_EDGETSDB_WRITE_BATCH_H_
