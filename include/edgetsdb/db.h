// The embedded edgetsdb API: a gateway program links the library, opens a data directory, and
// writes and queries in-process. The HTTP, MQTT and CoAP servers are built on exactly this
// interface.
//
//   edgetsdb::Options options;
//   auto db = edgetsdb::Db::Open(options, "/var/lib/edgetsdb");
//   edgetsdb::WriteBatch batch;
//   batch.Add("weather", {{"site", "a"}}, {{"temp", 21.5}}, now_ns);
//   absl::Status s = (*db)->Write("edge", batch);   // durable when OK (Options::durability)
//
// Threads: every method is safe to call from any number of threads at once; writes from many
// threads share log fsyncs (group commit). Results are owned by the caller.
// Errors (absl::Status codes, what a caller should do):
//   InvalidArgument    bad input (a malformed query, an unknown database for a query): fix it.
//   OutOfRange         a point outside the retention window: drop it.
//   ResourceExhausted  the disk budget or free-space reserve refuses writes: retry later; writes
//                      resume by themselves once retention or compaction frees room.
//   FailedPrecondition the engine stopped accepting writes after a failed fsync: reopen the Db.
//   DataLoss           a damaged file was found (the message names it): the rest stays usable.
#ifndef EDGETSDB_INCLUDE_EDGETSDB_DB_H_
#define EDGETSDB_INCLUDE_EDGETSDB_DB_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "edgetsdb/options.h"
#include "edgetsdb/point.h"
#include "edgetsdb/write_batch.h"

namespace edgetsdb {

inline constexpr int64_t kMinTime = INT64_MIN;
inline constexpr int64_t kMaxTime = INT64_MAX;

struct TagMatcher {
  enum class Op : uint8_t { kEqual, kNotEqual, kRegexMatch, kRegexNoMatch };
  std::string key;
  Op op = Op::kEqual;
  // A literal for kEqual/kNotEqual, otherwise an RE2 regular expression (the syntax of InfluxQL's
  // Go regexps) that matches anywhere in the value. As in InfluxQL, a missing tag compares as the
  // empty string.
  std::string value;
};

// Selects series: one measurement, tag matchers (all must hold), fields (empty = every field),
// and an inclusive time range.
struct SeriesSelector {
  std::string database;
  std::string measurement;
  std::vector<TagMatcher> matchers;
  std::vector<std::string> fields;
  int64_t min_time = kMinTime;
  int64_t max_time = kMaxTime;
};

// Values of one series, by its field type. Bools are 0 or 1.
using ValueColumn = std::variant<std::vector<double>, std::vector<int64_t>, std::vector<uint64_t>,
                                 std::vector<uint8_t>, std::vector<std::string>>;

struct SeriesData {
  std::string measurement;
  std::vector<std::pair<std::string, std::string>> tags;  // Sorted by key.
  std::string field;
  FieldType type = FieldType::kFloat;
  std::vector<int64_t> timestamps;  // Ascending; one value per timestamp (last write wins).
  ValueColumn values;
};

enum class Aggregate : uint8_t { kCount, kSum, kMin, kMax, kFirst, kLast, kMean };

// Windows are [start, start + width) with start = offset + k * width (aligned to the epoch, as
// InfluxQL's GROUP BY time()).
struct WindowSpec {
  int64_t width_ns = 0;
  int64_t offset_ns = 0;
  std::vector<Aggregate> aggregates;
};

struct WindowSeries {
  std::string measurement;
  std::vector<std::pair<std::string, std::string>> tags;
  std::string field;
  FieldType type = FieldType::kFloat;
  std::vector<int64_t> window_starts;  // Only windows with at least one point.
  // results[a][w]: aggregate a of window w. Count is exact; sums of integers are computed in
  // int64 and wrap as InfluxDB 1.x's do, then reported as double here; first/last carry the
  // timestamp of the chosen point in first_times/last_times.
  std::vector<std::vector<double>> results;
  std::vector<int64_t> first_times, last_times;
};

struct FieldInfo {
  std::string key;
  FieldType type = FieldType::kFloat;
};

struct DbStats {
  uint64_t points_written = 0;
  uint64_t points_rejected = 0;
  uint64_t wal_syncs = 0;
  uint64_t wal_bytes = 0;           // The log's size now (flushes shrink it).
  uint64_t wal_bytes_appended = 0;  // Written to the log since open: what the flash wears by.
  uint64_t block_bytes = 0;
  uint64_t blocks = 0;
  uint64_t head_bytes = 0;  // Memory of the heads (the one taking writes and one being flushed).
  uint64_t series = 0;      // In the heads.
  uint64_t flushes = 0;
  uint64_t compactions = 0;
  uint64_t blocks_deleted_by_retention = 0;
  uint64_t blocks_deleted_by_budget = 0;
  uint64_t writes_refused_for_space = 0;  // ResourceExhausted answers.
  // Window aggregates: block chunks answered from their summaries, and chunks decoded.
  uint64_t chunks_from_summaries = 0;
  uint64_t chunks_decoded_for_windows = 0;
  uint64_t torn_tail_bytes_truncated = 0;  // At the last open.
  uint64_t damaged_files = 0;              // Found at open: log damage and quarantined blocks.
  std::vector<std::string> damage;         // What was found, naming files (at most 100).
};

// What a database holds on disk, per partition (a block's time range), for `edgetsdb inspect`
// and monitoring. Points count one field value with its timestamp.
struct PartitionInfo {
  int64_t start = 0;  // [start, end)
  int64_t end = 0;
  uint64_t blocks = 0;
  uint64_t series = 0;  // Groups (measurement + tag set) with data in the partition.
  uint64_t points = 0;
  uint64_t bytes = 0;  // Block files.
};

struct DatabaseInfo {
  std::string name;
  int64_t retention_ns = 0;
  std::vector<PartitionInfo> partitions;  // In time order.
  uint64_t head_points = 0;               // Not yet in blocks (held by the log).
  uint64_t head_bytes = 0;                // Memory.
};

class Db {
 public:
  // Opens the data directory at path (creating it when options.create_if_missing), takes its lock,
  // removes stray temporary files, loads blocks (setting damaged ones aside) and replays the log.
  static absl::StatusOr<std::unique_ptr<Db>> Open(const Options& options, const std::string& path);

  // Closes: flushes nothing it does not have to (the log already holds the head), releases the
  // lock.
  virtual ~Db() = default;

  // Writes every point of batch to database (created on first write). Returns once the batch is
  // durable at the Db's durability level (or the one given). The batch is all or nothing: on error
  // nothing of it is visible or recovered.
  virtual absl::Status Write(std::string_view database, const WriteBatch& batch) = 0;
  virtual absl::Status Write(std::string_view database, const WriteBatch& batch,
                             Durability durability) = 0;

  // Raw points of the selected series, merged across the head and every block, in time order.
  virtual absl::StatusOr<std::vector<SeriesData>> Query(const SeriesSelector& selector) = 0;
  // Window aggregates; whole chunks inside a window are answered from their summaries alone.
  virtual absl::StatusOr<std::vector<WindowSeries>> QueryWindows(const SeriesSelector& selector,
                                                                 const WindowSpec& windows) = 0;

  virtual absl::Status CreateDatabase(std::string_view database) = 0;
  virtual absl::Status DropDatabase(std::string_view database) = 0;
  // 0 = keep until the disk budget needs the room.
  virtual absl::Status SetRetention(std::string_view database, int64_t retention_ns) = 0;

  virtual std::vector<std::string> Databases() = 0;
  virtual absl::StatusOr<std::vector<std::string>> Measurements(std::string_view database) = 0;
  virtual absl::StatusOr<std::vector<std::string>> TagKeys(std::string_view database,
                                                           std::string_view measurement) = 0;
  virtual absl::StatusOr<std::vector<std::string>> TagValues(std::string_view database,
                                                             std::string_view measurement,
                                                             std::string_view key) = 0;
  virtual absl::StatusOr<std::vector<FieldInfo>> FieldKeys(std::string_view database,
                                                           std::string_view measurement) = 0;
  // Series keys as InfluxDB prints them: measurement,tag=value,...
  virtual absl::StatusOr<std::vector<std::string>> SeriesKeys(
      std::string_view database, std::string_view measurement,
      const std::vector<TagMatcher>& matchers) = 0;

  // Writes the head to blocks (the log then shrinks).
  virtual absl::Status Flush() = 0;
  // Flushes, then runs every due compaction, retention and budget enforcement.
  virtual absl::Status Compact() = 0;

  virtual DbStats GetStats() = 0;
  // Every database's partitions, by name.
  virtual std::vector<DatabaseInfo> DescribeStorage() = 0;
};

}  // namespace edgetsdb

#endif  // EDGETSDB_INCLUDE_EDGETSDB_DB_H_
