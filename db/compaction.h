// Compaction: which blocks of a database to merge, and the merge itself.
//
// Levels. Blocks start one partition wide (Options::partition_duration_ns, 2 h by default). Once a
// window of a longer level (by default 1 day, then 1 week; Options::compaction_levels_ns) has
// ended by one partition's width, every block inside it is merged into one block covering the
// whole window, so that a slow series (a point a minute or an hour) gets long chunks, and the
// result is recompressed with Zstandard: cold data is read rarely and Zstandard takes about 10%
// less space than LZ4 on chunk frames. Blocks of one partition written by separate flushes (and
// late data arriving for a compacted window) are merged the same way. Larger levels are planned
// first, so late data is folded into the largest window that is due rather than rewritten once per
// level.
//
// Merging reads one group (device) at a time from every input, oldest block first, so that for
// equal series and timestamp the newest block's value wins, and re-cuts its rows into chunks of up
// to max_chunk_values values spanning at most the output window.
#ifndef EDGETSDB_DB_COMPACTION_H_
#define EDGETSDB_DB_COMPACTION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "compression/block_compression.h"
#include "db/block/block_reader.h"
#include "db/block/block_writer.h"
#include "db/env.h"
#include "db/head.h"

namespace edgetsdb {

struct CompactionPlan {
  std::vector<size_t> inputs;  // Indices into the blocks given to PlanCompaction.
  int64_t start = 0;           // The output's range.
  int64_t end = 0;
  compression::BlockCompression codec = compression::BlockCompression::kLz4;
};

struct CompactionLevels {
  int64_t partition_ns = 0;
  // Widths above the partition, ascending, each a multiple of the one before.
  std::vector<int64_t> levels_ns;
};

// The next compaction due among blocks (any order), or nullopt. now: wall-clock nanoseconds.
// Levels wider than half the retention (when retention_ns > 0) are not used: deleting data by
// whole blocks would otherwise keep it far past its retention.
std::optional<CompactionPlan> PlanCompaction(absl::Span<const BlockMeta> blocks,
                                             const CompactionLevels& levels, int64_t now,
                                             int64_t retention_ns);

// The range of the block that a flush writes a head partition starting at partition_start into:
// the widest level window containing it that compaction would already merge (ended by one
// partition, allowed by the retention), else the partition. Old and bulk-loaded data thus goes
// straight into day and week blocks rather than thousands of small files.
std::pair<int64_t, int64_t> FlushWindow(int64_t partition_start, const CompactionLevels& levels,
                                        int64_t now, int64_t retention_ns);

// Adds a flushed group to a block.
absl::Status AddFlushGroup(BlockWriter* writer, FlushGroup&& group);

// Merges inputs (oldest first: later inputs win on equal series and timestamp) into a new block
// `out` in dir, chunks cut at max_chunk_values and the output's range. Returns the new block's
// file name. The inputs are not removed.
absl::StatusOr<std::string> MergeBlocks(Env* env, const std::string& dir,
                                        absl::Span<const BlockReader* const> inputs,
                                        const BlockMeta& out, compression::BlockCompression codec,
                                        uint32_t max_chunk_values);

}  // namespace edgetsdb

#endif  // EDGETSDB_DB_COMPACTION_H_
