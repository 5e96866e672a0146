// Options for opening a Db. Every limit the engine enforces is here, with its default and the
// reason for it; the server maps its configuration file onto this struct.
#ifndef EDGETSDB_INCLUDE_EDGETSDB_OPTIONS_H_
#define EDGETSDB_INCLUDE_EDGETSDB_OPTIONS_H_

#include <cstdint>
#include <vector>

namespace edgetsdb {

class Env;

// When an acknowledged write is durable (docs/durability.md).
enum class Durability : uint8_t {
  // Acknowledged after its write-ahead log record is fsynced. Concurrent writers share one fsync
  // (group commit). Survives process crashes and power loss. The default.
  kSync = 0,
  // The log is fsynced at most every Options::sync_interval_ms. A process crash loses nothing (the
  // data is in the kernel); a power loss loses at most that window.
  kInterval = 1,
  // Never fsynced by the write path; flushes and log rolls still sync. For bulk loads.
  kNone = 2,
};

struct Options {
  // File system and clock. nullptr means Env::Default(). Not owned; must outlive the Db.
  Env* env = nullptr;

  Durability durability = Durability::kSync;
  int64_t sync_interval_ms = 100;

  // Creates the data directory if missing.
  bool create_if_missing = true;

  // Blocks cover this much time each (a partition); compaction merges aged partitions into longer
  // ones (see compaction_levels_ns) so slow series still get long chunks.
  int64_t partition_duration_ns = 2LL * 3600 * 1'000'000'000;
  // Compaction merges the blocks of a window of each of these widths into one block once the
  // window has ended (by one partition), recompressed with Zstandard. Ascending, each a multiple
  // of the one before and of partition_duration_ns. Levels wider than half a database's
  // retention are skipped for it.
  std::vector<int64_t> compaction_levels_ns = {24LL * 3600 * 1'000'000'000,
                                               7LL * 24 * 3600 * 1'000'000'000};

  // The head cuts a chunk when it holds this many values or spans this much time.
  uint32_t max_chunk_values = 1024;

  // Points older than now - retention are rejected on write and deleted with their partition.
  // 0 keeps data until the disk budget needs the room. A database may override it.
  int64_t default_retention_ns = 0;

  // Every file the engine owns (log, blocks, index; later rollups and the replication backlog)
  // stays under this many bytes: the oldest partitions are deleted first, and writes are refused
  // with ResourceExhausted when that is not enough. 0 = no budget.
  uint64_t max_disk_bytes = 0;
  // Writes are refused (ResourceExhausted) while the file system has less than this free, and the
  // oldest partitions are deleted to keep it free. Keep it above max_head_bytes: a flush needs
  // that much room to write its blocks before the log shrinks.
  uint64_t min_free_bytes = 64ull << 20;

  // The head (recent data in memory) is flushed to blocks once it reaches half of this; writes
  // wait for that flush rather than let it grow past this.
  uint64_t max_head_bytes = 32ull << 20;

  // Write-ahead log segments roll at this size.
  uint64_t wal_segment_bytes = 8ull << 20;
};

}  // namespace edgetsdb

#endif  // EDGETSDB_INCLUDE_EDGETSDB_OPTIONS_H_
