// Head: the recent points of one database, in memory, until they are written to an immutable block
// (Prometheus TSDB calls it the same). Every write lands here after the log has it; every query
// reads it beside the blocks.
//
// Model. A *group* is one measurement and tag set (one device), keyed by its canonical series key
// (docs/format/write_batch.md). The fields of one point share a row: a timestamp and one value per
// field present, so fields written together share one timestamp column (aligned series), as the
// block format stores them (docs/format/block.md). A group holds:
//   - an *open run*: up to HeadOptions::max_open_rows raw rows in arrival order, the only
//     uncompressed data;
//   - *sealed runs*: rows sorted by time, one per timestamp, encoded as chunks (compression/
//     chunk.h) that stay in memory; fields present in every row of a run share its timestamps.
//     A run holds at most max_chunk_values rows, spans at most max_chunk_span_ns and never
//     straddles a partition.
// When the open run is full it is sorted and merged into the group's newest sealed run while that
// may still grow (decoded and re-encoded whole), and the result is cut by count, span and
// partition; every piece but the newest is closed, and so is the newest once full: closed runs are
// never re-encoded. Raw rows cost 8 bytes per timestamp and per value; sealed ones what the codecs
// make of them: about 0.9 bytes per point, all counted, for 2-decimal readings at regular times in
// 1,024-row runs (tests/db/head_test.cc measures it). The open runs are what bound the head's
// memory per active series.
//
// Points may arrive in any order and anywhere in time. For equal group and timestamp the last write
// wins field by field: a later point replaces the fields it carries and leaves the others. Sealed
// runs are kept in the order they were written, so a reader merging them oldest first, then the
// open run, gets that rule by keeping the last value it sees for each timestamp.
//
// Field types are fixed per measurement and field key once written, as in InfluxDB.
//
// Flushing. The head is not emptied piecewise: the Db is expected to freeze a full head (no more
// Apply), start a new one for writes, write each of the frozen head's Partitions() to a block from
// FlushInput, then drop it — LevelDB's memtable rotation. Queries meanwhile read both heads and the
// blocks, newer first for equal timestamps.
//
// Threads: every method is safe to call from any thread. Apply and SealOpenRuns hold the head's
// lock exclusively; queries, listings and FlushInput share it with one another.
#ifndef EDGETSDB_DB_HEAD_H_
#define EDGETSDB_DB_HEAD_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "edgetsdb/db.h"
#include "edgetsdb/point.h"
#include "edgetsdb/write_batch.h"

namespace edgetsdb {

namespace head_internal {
struct Group;
struct Measurement;
struct Rows;
}  // namespace head_internal

// Values out of range are clamped (to 1 .. compression::kMaxChunkValues rows, at least 1 ns), so
// that a Head can always be built; the Db validates its Options before they get here.
struct HeadOptions {
  // A sealed run, and so each chunk, holds at most this many rows.
  uint32_t max_chunk_values = 1024;
  // ... and spans at most this much time (last timestamp - first).
  int64_t max_chunk_span_ns = 2LL * 3600 * 1'000'000'000;
  // Partitions are [k * partition_ns, (k + 1) * partition_ns), aligned to the epoch; one block
  // covers one. No chunk straddles a partition boundary.
  int64_t partition_ns = 2LL * 3600 * 1'000'000'000;
  // Rows a group keeps uncompressed before it seals them (at most max_chunk_values). Smaller
  // means less memory per active series and more re-encoding of the growing run: at 64, about
  // 1.5 KB per active one-field series, and a value is re-encoded about 8 times before its
  // 1,024-row run closes, which is most of Apply's cost (about 0.4 us per point on the project's
  // machine).
  uint32_t max_open_rows = 64;
};

// A time partition [start, end). The last one before kMaxTime has end == kMaxTime and then holds
// kMaxTime itself too, so that every int64 timestamp is in exactly one partition.
struct HeadPartition {
  int64_t start = 0;
  int64_t end = 0;
  bool operator==(const HeadPartition&) const = default;
};

// One field of a flushed group, in the shape db/block's writer takes (FieldChunks): encoded chunks
// (compression/chunk.h) of the field's type, in time order, without overlap. When the field has a
// value at every timestamp of its group in the flushed range, its chunks have no timestamps of
// their own (ts codec 0) and line up one for one with the group's timestamp chunks; otherwise every
// chunk carries its own, and there is none for a timestamp chunk's rows where it has no value.
struct FlushField {
  std::string key;
  FieldType type = FieldType::kFloat;
  std::vector<std::string> chunks;
};

// Everything the head holds for one group within a flushed time range, merged (one row per
// timestamp, last write wins) and encoded as docs/format/block.md stores it.
struct FlushGroup {
  std::string series_key;  // Canonical (docs/format/write_batch.md).
  // The timestamps the shared fields line up with, cut like sealed runs (count, span, partition):
  // chunks with their own timestamps and all-false bool values, which readers ignore. Empty when
  // no field is shared.
  std::vector<std::string> timestamp_chunks;
  std::vector<FlushField> fields;  // Sorted by key; only fields with a value in the range.
};

// Counters for tests and /metrics.
struct HeadStats {
  uint64_t series = 0;        // Groups (measurement + tag set).
  uint64_t points = 0;        // Points applied, before last-write-wins merging.
  uint64_t open_rows = 0;     // Rows in open runs (uncompressed).
  uint64_t sealed_runs = 0;   // Of which some are still growing (one per group at most).
  uint64_t sealed_rows = 0;   // Rows in sealed runs; a timestamp may be in several runs.
  uint64_t sealed_bytes = 0;  // Encoded chunk bytes of sealed runs.
  uint64_t memory_bytes = 0;  // As MemoryBytes().
  // Seals that failed to encode (a bug: the rows stay in the open run, nothing is lost).
  uint64_t seal_failures = 0;
};

class Head {
 public:
  explicit Head(const HeadOptions& options = HeadOptions());
  ~Head();
  Head(const Head&) = delete;
  Head& operator=(const Head&) = delete;

  // Validates the whole batch, then applies every point: all or nothing. InvalidArgument, and the
  // head unchanged, when a field's type differs from the type its measurement already has for that
  // key, or from an earlier point of the same batch (InfluxDB's "field type conflict", naming the
  // field, measurement and both types). DataLoss when the batch does not decode (cannot happen for
  // a batch built with Add or accepted by SetRep). Retention is the Db's business: any timestamp
  // is accepted.
  absl::Status Apply(const WriteBatch& batch);

  // The selected series (selector.database is ignored: a head holds one database), one SeriesData
  // per group and field with at least one point in [min_time, max_time] (inclusive), ordered by
  // series key (canonical, bytewise) then field key. Timestamps ascend, one value per timestamp,
  // the last written. Tag matchers as db/tag_matcher.h has them. InvalidArgument for an empty
  // measurement or a bad regular expression; an unknown measurement or field selects nothing.
  absl::StatusOr<std::vector<SeriesData>> Query(const SeriesSelector& selector) const;

  // The partitions that hold at least one point, in time order.
  std::vector<HeadPartition> Partitions() const;

  // Calls sink once per group with points in [start, end) (end == kMaxTime includes kMaxTime), in
  // series-key order, with the group's points merged and encoded as a block stores them. Returns
  // the first error of sink, or DataLoss/Internal if the head's own chunks fail to decode (a bug).
  // sink runs under the head's shared lock: it must not call Apply or SealOpenRuns. One group's
  // chunks are in memory at a time, besides the head itself. block_width_ns > 0 cuts chunks at
  // boundaries of that width (and lets them span that much) instead of the head's partitions: for
  // a block wider than one partition, so that slow series get long chunks.
  absl::Status FlushInput(int64_t start, int64_t end,
                          absl::FunctionRef<absl::Status(FlushGroup&&)> sink,
                          int64_t block_width_ns = 0) const;

  // Seals every open run and releases its buffers: what a Db under memory pressure does before it
  // resorts to flushing, and before freezing a head for a flush (the sealed form is several times
  // smaller). Queries give the same answers before and after.
  void SealOpenRuns();

  // Registers field types known from elsewhere (the blocks, a previous head), so that Apply
  // refuses a conflicting type as it would within this head. A key already known keeps its type.
  void AddFieldTypes(std::string_view measurement, absl::Span<const FieldInfo> fields);
  // Every measurement's field types, those added by AddFieldTypes included.
  std::vector<std::pair<std::string, std::vector<FieldInfo>>> FieldTypes() const;

  // Listings, sorted. Empty for an unknown measurement. Measurements lists those with points;
  // FieldKeys includes the types AddFieldTypes registered.
  std::vector<std::string> Measurements() const;
  std::vector<std::string> TagKeys(std::string_view measurement) const;
  std::vector<std::string> TagValues(std::string_view measurement, std::string_view key) const;
  std::vector<FieldInfo> FieldKeys(std::string_view measurement) const;
  // Canonical series keys of the measurement's groups, sorted.
  std::vector<std::string> SeriesKeys(std::string_view measurement) const;

  // Approximate bytes of memory the head holds (capacities of its buffers, encoded chunks, keys,
  // and a fixed estimate per group for the hash table and bookkeeping), for the head's budget.
  uint64_t MemoryBytes() const;
  // The smallest and largest timestamp applied; kMaxTime and kMinTime when the head is empty.
  int64_t MinTime() const;
  int64_t MaxTime() const;
  // Groups (measurement + tag set), not series per field.
  size_t SeriesCount() const;
  HeadStats Stats() const;

 private:
  using Group = head_internal::Group;
  using Measurement = head_internal::Measurement;
  using Rows = head_internal::Rows;

  Measurement* FindOrCreateMeasurement(std::string_view name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint32_t AddField(Measurement& measurement, std::string_view key, FieldType type)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A point of the batch Apply is applying, as its validation pass decoded it. The views point
  // into the batch.
  struct DecodedPoint {
    Group* group;  // nullptr: not in the head when validated.
    std::string_view series_key;
    std::string_view measurement;
    int64_t timestamp;
    uint32_t first_field;  // In decoded_fields_.
    uint32_t field_count;
  };

  Group* FindOrCreateGroup(std::string_view series_key, std::string_view measurement)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AppendPoint(Group* group, int64_t timestamp, absl::Span<const FieldView> fields)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Seals the group's open run; on failure (a bug) the rows stay in the open run.
  void Seal(Group* group) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Reaccount(Group* group) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The group's rows with a timestamp in [lo, hi], merged and sorted, for the wanted fields
  // (indexed by field id; nullptr = all). Rows outside [lo, hi] may be included.
  absl::Status CollectRows(const Group& group, int64_t lo, int64_t hi,
                           const std::vector<bool>* wanted, Rows* out) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  std::vector<const Group*> SortedGroups(const Measurement* measurement) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const HeadOptions options_;
  mutable absl::Mutex mu_;
  // Keys view Group::key, which lives as long as the group.
  absl::flat_hash_map<absl::string_view, std::unique_ptr<Group>> groups_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::unique_ptr<Measurement>> measurements_ ABSL_GUARDED_BY(mu_);
  uint64_t memory_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t points_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t seal_failures_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t min_time_ ABSL_GUARDED_BY(mu_) = kMaxTime;
  int64_t max_time_ ABSL_GUARDED_BY(mu_) = kMinTime;
  // Apply's scratch: the batch decoded once, by its validation pass, for the apply pass.
  std::vector<DecodedPoint> decoded_points_ ABSL_GUARDED_BY(mu_);
  std::vector<FieldView> decoded_fields_ ABSL_GUARDED_BY(mu_);
};

}  // namespace edgetsdb

#endif  // EDGETSDB_DB_HEAD_H_
