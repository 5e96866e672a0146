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
  WriteBatch(const WriteBatch&) = default;
  WriteBatch& operator=(const WriteBatch&) = default;
  // A moved-from batch is empty and ready for use.
  WriteBatch(WriteBatch&& other) noexcept;
  WriteBatch& operator=(WriteBatch&& other) noexcept;

  // Adds one point. Tags may come in any order; they are stored sorted by key. InvalidArgument
  // (and the batch unchanged) when: the measurement, a tag key or value, or a field key is empty
  // or over its limit (point.h); a string field value is over kMaxStringFieldBytes; a tag key
  // repeats; there is no field or too many, or too many tags; a float field is NaN or infinite
  // (line protocol cannot carry them). A field key that repeats keeps its last value, as InfluxDB
  // does: the point keeps the last occurrence of each key, in the order given. The messages read
  // like InfluxDB's ("duplicate tags", "missing tag value"), so that parsers can pass them on.
  // Amortized, Add allocates nothing: keys seen before in the batch are found by hash and written
  // as back references.
  absl::Status Add(std::string_view measurement, absl::Span<const TagView> tags,
                   absl::Span<const FieldView> fields, int64_t timestamp_ns);

  // Points added so far, and field values (one per series point, after duplicate field keys
  // are dropped) across them.
  size_t point_count() const { return point_count_; }
  size_t value_count() const { return value_count_; }
  bool empty() const { return point_count_ == 0; }
  // Empties the batch and keeps its memory for reuse.
  void Clear();

  // The serialized form (docs/format/write_batch.md), as the write-ahead log stores it.
  std::string_view rep() const { return rep_; }
  // Replaces the contents with a serialized batch; DataLoss (and the batch unchanged) unless the
  // bytes are a valid batch (docs/format/write_batch.md: the validity rule). Later Adds append to
  // it, referring back to its keys.
  absl::Status SetRep(std::string_view rep);

  // Reads the points back in order:
  //   for (WriteBatch::Reader r(batch); r.Next();) { ... r.measurement() ... }
  //   if (!r.status().ok()) ...   // DataLoss.
  // A batch's rep is valid by construction (Add writes only valid points, SetRep refuses anything
  // else), so the status is OK in practice; the reader checks every bound all the same, which is
  // how SetRep validates. The string views point into the batch and stay valid until the batch
  // changes; the spans returned by tags() and fields() until the next call to Next.
  class Reader {
   public:
    explicit Reader(const WriteBatch& batch);
    // Decodes the next point; false at the end or on damage (then status() says which).
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
    friend class WriteBatch;  // SetRep validates with a Reader and adopts the keys it collected.
    explicit Reader(std::string_view rep);
    bool Fail(std::string_view what, size_t position_in_input);

    std::string_view input_;  // What remains of the rep.
    size_t rep_size_ = 0;     // For error offsets.
    size_t header_size_ = 0;
    size_t remaining_points_ = 0;  // Untrusted: never used to size anything.
    absl::Status status_;
    std::vector<std::string_view> series_keys_;  // Keys seen so far, for back references.
    std::vector<std::string_view> field_keys_;
    std::string_view series_key_;
    std::string_view measurement_;
    std::vector<TagView> tags_;
    std::vector<FieldView> fields_;
    std::vector<std::string_view> sorted_field_keys_;  // Scratch for the distinct-keys check.
    int64_t timestamp_ = 0;
  };

 private:
  // The keys already in the rep, so that a repeated one is written as a back reference: an
  // open-addressing hash table of (offset, size) pairs into the rep's body. It holds neither
  // copies of the keys (no allocation per key) nor pointers (the batch stays copyable), and
  // offsets count from the end of the header, which grows by a byte whenever point_count's
  // varint does.
  class KeyTable {
   public:
    // The key's index, or -1 when it is not in the table.
    int64_t Find(std::string_view key, uint64_t hash, std::string_view body) const;
    // Adds the next index, for the key at body[offset, offset + size).
    void Insert(size_t offset, uint32_t size, uint64_t hash);
    void Clear();

   private:
    struct Entry {
      size_t offset;
      uint64_t hash;  // Kept for growing the table, and to skip most key comparisons.
      uint32_t size;
    };
    std::vector<Entry> entries_;   // By index.
    std::vector<uint32_t> slots_;  // Entry index + 1, or 0 when empty; a power of two in size.
  };

  // Rewrites version and point_count in front of the body.
  void UpdateHeader();
  void Swap(WriteBatch& other) noexcept;
  std::string_view body() const { return std::string_view(rep_).substr(header_size_); }

  std::string rep_;
  size_t header_size_ = 0;
  size_t point_count_ = 0;
  size_t value_count_ = 0;
  int64_t last_timestamp_ = 0;  // Timestamps are written as deltas from the previous point's.
  KeyTable series_keys_;
  KeyTable field_keys_;
  // Scratch, reused by Add so that it allocates nothing once warm.
  std::vector<TagView> sorted_tags_;
  std::vector<uint64_t> field_hashes_;
  std::vector<uint32_t> kept_fields_;
  std::string key_scratch_;
};

}  // namespace edgetsdb

#endif  // EDGETSDB_INCLUDE_EDGETSDB_WRITE_BATCH_H_
