// Reading series out of blocks, and merging what the sources of one database (its blocks, oldest
// first, then its heads) give for a query: for equal series and timestamp the newest source wins,
// which is last write wins across flushes and late data.
#ifndef EDGETSDB_DB_BLOCK_QUERY_H_
#define EDGETSDB_DB_BLOCK_QUERY_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "db/block/block_reader.h"
#include "db/tag_matcher.h"
#include "edgetsdb/db.h"

namespace edgetsdb {

// A series from one source, with its canonical series key (docs/format/write_batch.md): results
// are ordered by key, then field.
struct KeyedSeries {
  std::string series_key;
  SeriesData data;
};

std::string CanonicalSeriesKey(std::string_view measurement,
                               const std::vector<std::pair<std::string, std::string>>& tags);

// Splits a canonical series key; false if it does not parse.
bool ParseCanonicalSeriesKey(std::string_view key, std::string_view* measurement,
                             std::vector<TagView>* tags);

// The key as InfluxDB prints it: measurement,tag=value,... with line protocol's escaping.
std::string FormatSeriesKey(std::string_view measurement, const std::vector<TagView>& tags);

// Adds keys to a head's results (already in key, field order).
std::vector<KeyedSeries> WithKeys(std::vector<SeriesData> series);

// An empty column of the type's alternative.
ValueColumn EmptyColumn(FieldType type);

// What the reads of one group's fields share, and what a scan reuses from group to group: the
// group's timestamp chunks as decoded so far, the last few frames read (so that a group whose
// timestamp and field chunks straddle frames does not decompress them again and again; the
// BlockReader keeps only one), and scratch space. Used by one thread at a time, and not beyond the
// life of the readers it reads (frames are told apart by reader address).
class BlockScan {
 public:
  // Forgets the decoded timestamp chunks (keeping their memory): call before reading another
  // group's fields with this scan. Frames stay, as the next group's chunks follow in them.
  void StartGroup();

  // The bytes of a chunk of block, from a frame held here or read through block.ReadChunkView.
  absl::StatusOr<std::string_view> ReadChunk(const BlockReader& block, const ChunkRef& ref);
  // The group's timestamp chunk `index` (of group.timestamp_chunks), decoded once per StartGroup.
  absl::StatusOr<const std::vector<int64_t>*> SharedTimestamps(const BlockReader& block,
                                                               const BlockGroup& group,
                                                               size_t index);
  // Scratch for a chunk's own timestamps.
  std::vector<int64_t>* own_timestamps() { return &own_timestamps_; }

 private:
  // Four 64 KiB frames: enough for any interleaving within a group that straddles frames.
  static constexpr size_t kHeldFrames = 4;
  struct HeldFrame {
    const BlockReader* block = nullptr;
    uint32_t frame = 0;
    uint64_t last_use = 0;  // The least recently used frame makes room.
    std::shared_ptr<const std::string> data;
  };

  std::vector<std::vector<int64_t>> timestamps_;  // By chunk index; empty: not decoded yet.
  std::vector<int64_t> own_timestamps_;
  std::array<HeldFrame, kHeldFrames> frames_;
  uint64_t uses_ = 0;
};

// Appends the field's points with timestamps in [lo, hi] to *timestamps and *values (of the
// field's type), reserving room for them first. DataLoss naming the block for a damaged chunk.
// scan may be null; pass the same one for the fields of one group (StartGroup between groups) so
// that its timestamp chunks are decoded once and its frames decompressed once.
absl::Status ReadFieldRange(const BlockReader& block, const BlockGroup& group,
                            const BlockField& field, int64_t lo, int64_t hi,
                            std::vector<int64_t>* timestamps, ValueColumn* values,
                            BlockScan* scan = nullptr);

// Appends the selected series of the block (as Db::Query selects them), in key and field order.
absl::Status QueryBlock(const BlockReader& block, const SeriesSelector& selector,
                        const TagMatchers& matchers, std::vector<KeyedSeries>* out);

// Merges per-source results, sources oldest first, into one list in key and field order. Where
// sources disagree on a field's type (possible only across a dropped and recreated database), the
// newest source's series replaces the older ones.
std::vector<SeriesData> MergeSources(std::vector<std::vector<KeyedSeries>> sources);

// Merges newer into older (both ascending): for equal timestamps newer's value wins.
void MergeSeriesInto(SeriesData* older, SeriesData&& newer);

}  // namespace edgetsdb

#endif  // EDGETSDB_DB_BLOCK_QUERY_H_
